"""Channel fees, payouts on each channel's real schedule, and the bank statement that receives them.

Every payout's amount is the exact sum of its lines, all in integer cents until written.
Marketplace-facilitator sales tax on Amazon and Etsy is collected and remitted by the marketplace,
so it never reaches those payouts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import numpy as np

from sasame import models as m
from sasame.demo.context import DemoContext
from sasame.demo.pnl_truth import fee_line, truth_of
from sasame.demo.sales import AMAZON, CHANNELS, ETSY, SHOPIFY, WHOLESALE
from sasame.demo.timeline import Timeline
from sasame.ingest.bulk import next_id, units_from_cents, write_rows

SHOPIFY_RATE_BP, SHOPIFY_FIXED = 290, 30
AMAZON_REFERRAL_BP, AMAZON_REFERRAL_MINIMUM = 1500, 30
AMAZON_RESERVE_BP = 700
AMAZON_REFUND_ADMIN_BP = 2000
"""Amazon keeps 20% of the referral fee it returns on a refund."""
ETSY_TRANSACTION_BP, ETSY_PROCESSING_BP, ETSY_PROCESSING_FIXED, ETSY_LISTING = 650, 300, 25, 20
SETTLEMENT_DAYS = 14
PROVIDERS = {SHOPIFY: "shopify_payments", AMAZON: "amazon", ETSY: "etsy", WHOLESALE: "wholesale"}
BANK_DESCRIPTION = {
    SHOPIFY: "SHOPIFY PAYMENTS TRANSFER",
    AMAZON: "AMAZON.COM SERVICES SETTLEMENT",
    ETSY: "ETSY, INC. DEPOSIT",
    WHOLESALE: "ACH CREDIT INVOICE PAYMENT",
}
BANK_ACCOUNT = "operating-checking"


class Deposits(TypedDict):
    """The bank deposit of every paid payout, column-wise."""

    account: list[str]
    posted_on: np.ndarray
    amount: np.ndarray
    """Integer cents."""
    description: list[str]
    payout: list[str]
    """The external id of the payout each deposit pays."""


class PayoutSummary(TypedDict):
    """What writing the payouts tells the rest of the generation."""

    payouts: int
    payout_lines: int
    deposits: Deposits
    wholesale_paid: np.ndarray
    """Per order: whether it is a wholesale order whose invoice has been paid."""
    channel_names: tuple[str, ...]


def fba_fee_cents(grams: np.ndarray) -> np.ndarray:
    """Return Amazon's FBA fulfilment fee per unit by shipping weight tier (standard size)."""
    return np.select(
        [grams <= 113, grams <= 227, grams <= 454, grams <= 907], [322, 340, 475, 560], default=689
    )


def percent(amount: np.ndarray, basis_points: int) -> np.ndarray:
    """Return a share of non-negative cents, rounded half up."""
    return (amount * basis_points + 5_000) // 10_000


@dataclass
class PayoutLines:
    """Signed payout lines in cents before they are grouped into payouts."""

    channel: list[np.ndarray]
    order: list[np.ndarray]
    """Kept-order position, or -1."""
    occurred_at: list[np.ndarray]
    cents: list[np.ndarray]
    kind: list[np.ndarray]
    fee_type: list[np.ndarray]
    description: list[np.ndarray]

    def add(
        self,
        channel: int,
        order: np.ndarray,
        occurred_at: np.ndarray,
        cents: np.ndarray,
        kind: str,
        fee_type: str | None = None,
        description: str | None = None,
    ) -> None:
        keep = cents != 0
        count = int(keep.sum())
        self.channel.append(np.full(count, channel))
        self.order.append(order[keep])
        self.occurred_at.append(occurred_at[keep])
        self.cents.append(cents[keep].astype(np.int64))
        self.kind.append(np.full(count, kind, dtype=object))
        self.fee_type.append(np.full(count, fee_type, dtype=object))
        self.description.append(np.full(count, description, dtype=object))


def write_payouts(
    ctx: DemoContext,
    timeline: Timeline,
    *,
    channel_ids: dict[int, int],
    order_ids: np.ndarray,
    channel: np.ndarray,
    placed_at: np.ndarray,
    subtotal: np.ndarray,
    discount: np.ndarray,
    shipping: np.ndarray,
    tax: np.ndarray,
    total: np.ndarray,
    units: np.ndarray,
    fba_fees: np.ndarray,
    refund_order: np.ndarray,
    refund_at: np.ndarray,
    refund_cents: np.ndarray,
    refund_tax_cents: np.ndarray,
    refund_merchandise_cents: np.ndarray,
    chargeback_order: np.ndarray,
    chargeback_opened_at: np.ndarray,
    chargeback_resolved_at: np.ndarray,
    chargeback_won: np.ndarray,
    chargeback_cents: np.ndarray,
    customer_names: np.ndarray,
) -> PayoutSummary:
    """Insert payouts, payout lines and the bank deposits of those already paid; return a summary."""
    rng = ctx.rng("payouts")
    lines = PayoutLines([], [], [], [], [], [], [])
    everyone = np.arange(len(channel))
    principal = subtotal - discount

    shop = everyone[channel == SHOPIFY]
    lines.add(SHOPIFY, shop, placed_at[shop], principal[shop], "principal")
    lines.add(SHOPIFY, shop, placed_at[shop], shipping[shop], "shipping")
    lines.add(SHOPIFY, shop, placed_at[shop], tax[shop], "tax")
    lines.add(
        SHOPIFY,
        shop,
        placed_at[shop],
        -(percent(total[shop], SHOPIFY_RATE_BP) + SHOPIFY_FIXED),
        "fee",
        "processing",
    )

    amazon = everyone[channel == AMAZON]
    referral = np.maximum(
        percent(principal[amazon] + shipping[amazon], AMAZON_REFERRAL_BP),
        AMAZON_REFERRAL_MINIMUM * units[amazon],
    )
    lines.add(AMAZON, amazon, placed_at[amazon], principal[amazon], "principal")
    lines.add(AMAZON, amazon, placed_at[amazon], shipping[amazon], "shipping")
    lines.add(AMAZON, amazon, placed_at[amazon], -referral, "fee", "commission")
    lines.add(AMAZON, amazon, placed_at[amazon], -fba_fees[amazon], "fee", "fba_fulfilment")

    etsy = everyone[channel == ETSY]
    lines.add(ETSY, etsy, placed_at[etsy], principal[etsy], "principal")
    lines.add(ETSY, etsy, placed_at[etsy], shipping[etsy], "shipping")
    lines.add(
        ETSY,
        etsy,
        placed_at[etsy],
        -percent(principal[etsy] + shipping[etsy], ETSY_TRANSACTION_BP),
        "fee",
        "transaction",
    )
    lines.add(
        ETSY,
        etsy,
        placed_at[etsy],
        -(percent(total[etsy], ETSY_PROCESSING_BP) + ETSY_PROCESSING_FIXED),
        "fee",
        "processing",
    )
    lines.add(ETSY, etsy, placed_at[etsy], -ETSY_LISTING * units[etsy], "fee", "listing")

    for c in (SHOPIFY, AMAZON, ETSY):
        chosen = channel[refund_order] == c
        orders = refund_order[chosen]
        # Marketplaces refund the buyer's tax themselves, so only Shopify's payout carries it.
        given_back = refund_cents[chosen] - (0 if c == SHOPIFY else refund_tax_cents[chosen])
        lines.add(c, orders, refund_at[chosen], -given_back, "refund", None, "Refund")
        if c == AMAZON:
            returned_fee = percent(
                percent(refund_merchandise_cents[chosen], AMAZON_REFERRAL_BP), 10_000 - AMAZON_REFUND_ADMIN_BP
            )
            lines.add(
                c,
                orders,
                refund_at[chosen],
                returned_fee,
                "fee",
                "refund_commission",
                "Referral fee returned less refund administration fee",
            )
    lines.add(
        SHOPIFY,
        chargeback_order,
        chargeback_opened_at,
        -chargeback_cents,
        "chargeback",
        None,
        "Chargeback opened",
    )
    lines.add(
        SHOPIFY,
        chargeback_order,
        chargeback_opened_at,
        -np.full(len(chargeback_order), 1500),
        "fee",
        "chargeback",
        "Chargeback fee",
    )
    won = chargeback_order[chargeback_won]
    lines.add(
        SHOPIFY,
        won,
        chargeback_resolved_at[chargeback_won],
        chargeback_cents[chargeback_won],
        "chargeback",
        None,
        "Chargeback won: funds returned",
    )

    whole = everyone[channel == WHOLESALE]
    # Net-30 invoices: most retailers pay on time by bank transfer, some late, a few very late.
    lateness = np.select(
        [rng.random(len(whole)) < 0.7, rng.random(len(whole)) < 0.85],
        [rng.integers(-2, 4, len(whole)), rng.integers(5, 26, len(whole))],
        default=rng.integers(35, 61, len(whole)),
    )
    invoice_day = timeline.day_of(placed_at[whole])
    paid_day = invoice_day + 30 + lateness
    lines.add(WHOLESALE, whole, placed_at[whole], principal[whole], "principal")
    lines.add(WHOLESALE, whole, placed_at[whole], shipping[whole], "shipping")

    line_channel = np.concatenate(lines.channel)
    line_order = np.concatenate(lines.order)
    occurred = np.concatenate(lines.occurred_at)
    cents = np.concatenate(lines.cents)
    kind = np.concatenate(lines.kind)
    fee_type = np.concatenate(lines.fee_type)
    description = np.concatenate(lines.description)
    day = timeline.day_of(occurred)
    start = np.datetime64(timeline.start, "D")
    n_days = timeline.count

    # Payout key per line by the channel's schedule; a payout exists once its period has closed.
    key = np.zeros(len(cents), dtype=np.int64)
    paid_on = np.zeros(len(cents), dtype="datetime64[D]")
    closed = np.zeros(len(cents), dtype=bool)
    shop_line = line_channel == SHOPIFY
    shop_paid = np.busday_offset(start + day[shop_line], 2, roll="forward")
    last_paid = np.busday_offset(start + n_days, 2, roll="forward")
    key[shop_line] = shop_paid.astype(np.int64)
    paid_on[shop_line] = shop_paid
    closed[shop_line] = shop_paid < last_paid
    amazon_line = line_channel == AMAZON
    period = day[amazon_line] // SETTLEMENT_DAYS
    key[amazon_line] = period
    paid_on[amazon_line] = start + (period + 1) * SETTLEMENT_DAYS + 3
    closed[amazon_line] = (period + 1) * SETTLEMENT_DAYS <= n_days
    etsy_line = line_channel == ETSY
    offset = int(timeline.weekday[0])
    week = (day[etsy_line] + offset) // 7
    key[etsy_line] = week
    paid_on[etsy_line] = start + (week + 1) * 7 - offset + 1
    closed[etsy_line] = (week + 1) * 7 - offset <= n_days
    whole_line = line_channel == WHOLESALE
    position = np.searchsorted(whole, line_order[whole_line])
    key[whole_line] = position
    paid_on[whole_line] = np.busday_offset(start + paid_day[position], 0, roll="forward")
    closed[whole_line] = paid_on[whole_line] < start + n_days

    # Amazon holds a reserve from each settlement and releases it in the next one.
    amazon_periods = np.unique(key[amazon_line & closed])
    if len(amazon_periods):
        net = np.array([cents[amazon_line & (key == p)].sum() for p in amazon_periods.tolist()])
        held = -np.maximum(percent(np.maximum(net, 0), AMAZON_RESERVE_BP), 0)
        period_end = timeline.boundaries[
            np.minimum((amazon_periods + 1) * SETTLEMENT_DAYS, len(timeline.boundaries) - 1)
        ] - np.timedelta64(1, "s")
        released = -held[:-1]
        extra_key = np.concatenate([amazon_periods, amazon_periods[1:]])
        extra_cents = np.concatenate([held, released])
        extra_at = np.concatenate([period_end, period_end[1:] - np.timedelta64(1, "s")])
        extra_kind = np.array(["reserve"] * len(extra_key), dtype=object)
        extra_desc = np.array(
            ["Account level reserve held"] * len(held) + ["Previous reserve released"] * len(released),
            dtype=object,
        )
        line_channel = np.concatenate([line_channel, np.full(len(extra_key), AMAZON)])
        line_order = np.concatenate([line_order, np.full(len(extra_key), -1)])
        occurred = np.concatenate([occurred, extra_at])
        cents = np.concatenate([cents, extra_cents])
        kind = np.concatenate([kind, extra_kind])
        fee_type = np.concatenate([fee_type, np.full(len(extra_key), None, dtype=object)])
        description = np.concatenate([description, extra_desc])
        key = np.concatenate([key, extra_key])
        paid_on = np.concatenate([paid_on, start + (extra_key + 1) * SETTLEMENT_DAYS + 3])
        closed = np.concatenate([closed, np.ones(len(extra_key), dtype=bool)])

    keep = closed
    line_channel, line_order, occurred, cents, kind, fee_type, description, key, paid_on = (
        a[keep]
        for a in (line_channel, line_order, occurred, cents, kind, fee_type, description, key, paid_on)
    )
    is_fee = kind == "fee"
    providers = np.array([PROVIDERS[c] for c in range(4)], dtype=object)[line_channel[is_fee]]
    fee_lines = np.array(
        [fee_line(str(p), f) for p, f in zip(providers.tolist(), fee_type[is_fee].tolist(), strict=True)],
        dtype=object,
    )
    truth = truth_of(ctx, timeline.count)
    for name in ("marketplace_fees", "payment_processing"):
        chosen = fee_lines == name
        truth.add(
            name,
            line_channel[is_fee][chosen],
            timeline.day_of(occurred[is_fee][chosen]),
            cents[is_fee][chosen],
        )
    order = np.lexsort((occurred, key, line_channel))
    line_channel, line_order, occurred, cents, kind, fee_type, description, key, paid_on = (
        a[order]
        for a in (line_channel, line_order, occurred, cents, kind, fee_type, description, key, paid_on)
    )
    new_payout = np.concatenate([[True], (line_channel[1:] != line_channel[:-1]) | (key[1:] != key[:-1])])
    payout_index = np.cumsum(new_payout) - 1
    n_payouts = int(new_payout.sum())
    payout_ids = next_id(ctx.connection, m.Payout) + np.arange(n_payouts)
    first = np.flatnonzero(new_payout)
    amount = np.add.reduceat(cents, first)  # exact int64 sums of each payout's (contiguous) lines
    payout_channel = line_channel[first]
    payout_paid_on = paid_on[first]
    period_start = np.full(n_payouts, np.datetime64("NaT"), dtype="datetime64[us]")
    period_end = np.full(n_payouts, np.datetime64("NaT"), dtype="datetime64[us]")
    first_day = np.full(n_payouts, 10**9, dtype=np.int64)
    last_day = np.full(n_payouts, -1, dtype=np.int64)
    line_day = timeline.day_of(occurred)
    np.minimum.at(first_day, payout_index, line_day)
    np.maximum.at(last_day, payout_index, line_day)
    boundaries = timeline.boundaries
    for c in (SHOPIFY, WHOLESALE):
        chosen = payout_channel == c
        period_start[chosen] = boundaries[first_day[chosen]]
        period_end[chosen] = boundaries[last_day[chosen] + 1]
    chosen = payout_channel == AMAZON
    period_start[chosen] = boundaries[key[first][chosen] * SETTLEMENT_DAYS]
    period_end[chosen] = boundaries[
        np.minimum((key[first][chosen] + 1) * SETTLEMENT_DAYS, len(boundaries) - 1)
    ]
    chosen = payout_channel == ETSY
    week_start = np.maximum(key[first][chosen] * 7 - offset, 0)
    period_start[chosen] = boundaries[week_start]
    period_end[chosen] = boundaries[np.minimum(key[first][chosen] * 7 - offset + 7, len(boundaries) - 1)]
    end = np.datetime64(timeline.end, "D")
    is_paid = np.asarray(payout_paid_on < end)
    prefixes = {SHOPIFY: "SP", AMAZON: "AMZ", ETSY: "ETSY", WHOLESALE: "INV"}
    external = [
        f"{prefixes[int(c)]}-{int(i):08d}"
        for c, i in zip(payout_channel.tolist(), payout_ids.tolist(), strict=True)
    ]
    # Each payout keeps a link to its raw report: the settlement / payout / deposit file row.
    provider_names = np.array([PROVIDERS[c] for c in range(4)], dtype=object)[payout_channel]
    source_ids = next_id(ctx.connection, m.SourceRecord) + np.arange(n_payouts)
    write_rows(
        ctx.connection,
        m.SourceRecord,
        {
            "id": source_ids,
            "origin": [f"demo.{provider}.payouts" for provider in provider_names.tolist()],
            "natural_key": external,
            "file_name": [f"{provider}_payouts.csv" for provider in provider_names.tolist()],
            "row_number": np.arange(n_payouts) + 2,
            "payload": [
                {"id": e, "paid_on": str(p), "amount_cents": int(a)}
                for e, p, a in zip(external, payout_paid_on.tolist(), amount.tolist(), strict=True)
            ],
            "received_at": np.full(n_payouts, timeline.cutoff()),
        },
    )
    write_rows(
        ctx.connection,
        m.Payout,
        {
            "source_record_id": source_ids,
            "id": payout_ids,
            "provider": np.array([PROVIDERS[c] for c in range(4)], dtype=object)[payout_channel],
            "channel_id": np.array([channel_ids[c] for c in range(4)])[payout_channel],
            "external_id": external,
            "period_start": period_start,
            "period_end": period_end,
            "paid_on": payout_paid_on,
            "amount": units_from_cents(amount),
            "currency": np.full(n_payouts, ctx.currency, dtype=object),
            "status": np.where(is_paid, "paid", "in_transit"),
        },
    )
    write_rows(
        ctx.connection,
        m.PayoutLine,
        {
            "id": next_id(ctx.connection, m.PayoutLine) + np.arange(len(cents)),
            "payout_id": payout_ids[payout_index],
            "kind": kind,
            "fee_type": fee_type,
            "order_id": np.ma.masked_array(
                np.where(line_order >= 0, order_ids[np.maximum(line_order, 0)], 0), mask=line_order < 0
            ),
            "occurred_at": occurred,
            "amount": units_from_cents(cents),
            "currency": np.full(len(cents), ctx.currency, dtype=object),
            "description": description,
        },
    )

    paid = np.flatnonzero(is_paid)
    wholesale_customer = np.where(payout_channel == WHOLESALE, line_order[first], -1)
    bank_description = [
        f"{BANK_DESCRIPTION[int(payout_channel[i])]} {customer_names[wholesale_customer[i]].upper()}"
        if payout_channel[i] == WHOLESALE
        else f"{BANK_DESCRIPTION[int(payout_channel[i])]} {external[i]}"
        for i in paid.tolist()
    ]
    deposits: Deposits = {
        "account": [BANK_ACCOUNT] * len(paid),
        "posted_on": payout_paid_on[paid],
        "amount": amount[paid],
        "description": bank_description,
        "payout": [external[i] for i in paid.tolist()],
    }
    orders_paid = np.zeros(len(channel), dtype=bool)
    paid_wholesale_orders = line_order[(line_channel == WHOLESALE) & is_paid[payout_index]]
    orders_paid[paid_wholesale_orders] = True
    return {
        "payouts": n_payouts,
        "payout_lines": len(cents),
        "deposits": deposits,
        "wholesale_paid": orders_paid,
        "channel_names": CHANNELS,
    }


def write_bank(ctx: DemoContext, deposits: Deposits, others: list[tuple[np.datetime64, int, str]]) -> int:
    """Insert the bank statement: every paid payout's deposit plus the store's other money movements."""
    posted = np.concatenate([deposits["posted_on"], np.array([o[0] for o in others], dtype="datetime64[D]")])
    cents = np.concatenate([deposits["amount"], np.array([o[1] for o in others], dtype=np.int64)])
    description = list(deposits["description"]) + [o[2] for o in others]
    order = np.argsort(posted, kind="stable")
    n = len(order)
    ids = next_id(ctx.connection, m.BankTransaction) + np.arange(n)
    # Deposits are left unmatched (payout_id empty) for the finance engine; the truth keeps the answer.
    matches = {
        f"FIT{int(ids[position]):010d}": deposits["payout"][int(source)]
        for position, source in enumerate(order.tolist())
        if source < len(deposits["payout"])
    }
    ctx.truth.append(("bank_deposit_matches", "all", matches))
    write_rows(
        ctx.connection,
        m.BankTransaction,
        {
            "id": ids,
            "account": [BANK_ACCOUNT] * n,
            "external_id": [f"FIT{int(i):010d}" for i in ids],
            "posted_on": posted[order],
            "amount": units_from_cents(cents[order]),
            "currency": [ctx.currency] * n,
            "description": [description[i] for i in order.tolist()],
        },
    )
    return n
