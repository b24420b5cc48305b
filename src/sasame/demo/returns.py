"""Goods and money coming back: RMAs (size-driven for apparel), refunds and chargebacks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sasame import models as m
from sasame.demo.catalog import Catalog
from sasame.demo.context import DemoContext
from sasame.demo.pnl_truth import truth_of
from sasame.demo.sales import AMAZON, ETSY, SHOPIFY, WHOLESALE, group_sum
from sasame.demo.timeline import Timeline
from sasame.ingest.bulk import next_id, units_from_cents, write_rows

REASONS = ("too_small", "too_large", "not_as_described", "changed_mind", "defective", "damaged", "wrong_item")
# Apparel returns are mostly about fit, and which way depends on the size bought.
APPAREL_REASONS = {
    "S": [0.52, 0.14, 0.09, 0.13, 0.06, 0.04, 0.02],
    "M": [0.38, 0.27, 0.09, 0.14, 0.06, 0.04, 0.02],
    "L": [0.26, 0.40, 0.09, 0.13, 0.06, 0.04, 0.02],
    "XL": [0.14, 0.53, 0.09, 0.12, 0.06, 0.04, 0.02],
}
GOODS_REASONS = [0.0, 0.0, 0.16, 0.36, 0.20, 0.23, 0.05]
RETURN_RATE = {  # (apparel, other) per channel
    SHOPIFY: (0.13, 0.035),
    AMAZON: (0.17, 0.05),
    ETSY: (0.08, 0.025),
    WHOLESALE: (0.0, 0.0),
}
STORE_PAID = {"defective", "damaged", "wrong_item"}
"""Reasons for which the store pays the return label and refunds the shipping."""
CHARGEBACK_RATE = 0.003
CHARGEBACK_FEE_CENTS = 1500
CHARGEBACK_REASONS = ("fraudulent", "product_not_received", "product_unacceptable", "credit_not_processed")


@dataclass
class ReturnPlan:
    """Per demanded line whether it comes back and why; per order when the RMA moves (NaT if none)."""

    returned: np.ndarray
    reason: np.ndarray
    condition: np.ndarray
    """0 restockable, 1 damaged, 2 lost."""
    requested_at: np.ndarray
    received_at: np.ndarray
    refunded_at: np.ndarray
    restock_day: np.ndarray
    """Per line: the business day its units go back on a shelf, or -1."""
    rejected: np.ndarray


def plan_returns(
    ctx: DemoContext,
    timeline: Timeline,
    catalog: Catalog,
    channel: np.ndarray,
    delivered_at: np.ndarray,
    line_order: np.ndarray,
    line_variant: np.ndarray,
) -> ReturnPlan:
    """Decide, before stock is simulated, which lines would come back and when they would arrive."""
    rng = ctx.rng("returns.plan")
    n_lines, n_orders = len(line_order), len(channel)
    line_channel = channel[line_order]
    apparel = np.array([c == "apparel" for c in catalog.category])[line_variant]
    rate = np.zeros(n_lines)
    for c, (wear, other) in RETURN_RATE.items():
        chosen = line_channel == c
        rate[chosen] = np.where(apparel[chosen], wear, other)
    never_arrived = np.isnat(delivered_at)[line_order]
    returned = (rng.random(n_lines) < rate) & ~never_arrived

    reason = np.empty(n_lines, dtype=np.int64)
    sizes = np.array([s or "" for s in catalog.size], dtype=object)[line_variant]
    uniform = rng.random(n_lines)
    for size, weights in APPAREL_REASONS.items():
        chosen = apparel & (sizes == size)
        reason[chosen] = np.searchsorted(np.cumsum(weights), uniform[chosen] * 0.999999)
    reason[~apparel] = np.searchsorted(np.cumsum(GOODS_REASONS), uniform[~apparel] * 0.999999)
    damaged_reason = np.isin(reason, [REASONS.index("defective"), REASONS.index("damaged")])
    condition = np.where(
        damaged_reason, 1, np.where(rng.random(n_lines) < 0.04, 2, np.where(rng.random(n_lines) < 0.06, 1, 0))
    )

    hour = 3.6e9
    requested_at = delivered_at + (rng.uniform(1, 24, n_orders) * 24 * hour).astype("timedelta64[us]")
    received_at = requested_at + (rng.uniform(3, 10, n_orders) * 24 * hour).astype("timedelta64[us]")
    refunded_at = received_at + (rng.uniform(0.3, 3, n_orders) * 24 * hour).astype("timedelta64[us]")
    rejected = rng.random(n_orders) < 0.02
    received_day = np.where(
        np.isnat(received_at),
        -1,
        timeline.day_of(np.where(np.isnat(received_at), timeline.boundaries[0], received_at)),
    )
    line_received_day = received_day[line_order]
    restock = returned & (condition == 0) & ~rejected[line_order] & (line_received_day >= 0)
    restock_day = np.where(restock, line_received_day, -1)
    return ReturnPlan(
        returned, reason, condition, requested_at, received_at, refunded_at, restock_day, rejected
    )


@dataclass
class MoneyBack:
    """Refunds and chargebacks as they hit each order (cents), for the payout step."""

    refund_order: np.ndarray
    refund_at: np.ndarray
    refund_cents: np.ndarray
    chargeback_order: np.ndarray
    chargeback_opened_at: np.ndarray
    chargeback_resolved_at: np.ndarray
    chargeback_won: np.ndarray
    chargeback_cents: np.ndarray
    return_line_ids: np.ndarray
    """Per kept line: the id of its return line, or -1."""
    refunded_cents_per_order: np.ndarray
    refund_tax_cents: np.ndarray
    refund_merchandise_cents: np.ndarray


def write_returns(
    ctx: DemoContext,
    timeline: Timeline,
    plan: ReturnPlan,
    *,
    kept_orders: np.ndarray,
    kept_lines: np.ndarray,
    order_ids: np.ndarray,
    line_ids: np.ndarray,
    line_order_position: np.ndarray,
    channel: np.ndarray,
    placed_at: np.ndarray,
    total_cents: np.ndarray,
    shipping_cents: np.ndarray,
    line_net_cents: np.ndarray,
    line_tax_cents: np.ndarray,
    line_quantity: np.ndarray,
) -> MoneyBack:
    """Insert returns, return lines, refunds and chargebacks for the orders that happened.

    ``line_order_position`` maps each kept line to its kept order's position; the ``*_cents`` line
    arrays are per kept line, the order arrays per kept order.
    """
    rng = ctx.rng("returns.write")
    cutoff = timeline.cutoff()
    n_kept = len(kept_orders)
    requested = plan.requested_at[kept_orders]
    line_returned = plan.returned[kept_lines] & (requested[line_order_position] < cutoff)
    has_return = np.bincount(line_order_position[line_returned], minlength=n_kept) > 0
    rma_orders = np.flatnonzero(has_return)
    rma_ids = next_id(ctx.connection, m.Return) + np.arange(len(rma_orders))
    rma_of_order = np.full(n_kept, -1, dtype=np.int64)
    rma_of_order[rma_orders] = np.arange(len(rma_orders))

    returned_lines = np.flatnonzero(line_returned)
    first_line = np.full(n_kept, -1, dtype=np.int64)
    first_line[line_order_position[returned_lines[::-1]]] = returned_lines[::-1]
    reason_index = plan.reason[kept_lines][first_line[rma_orders]]
    reason = np.array(REASONS, dtype=object)[reason_index]
    received = plan.received_at[kept_orders][rma_orders]
    refunded = plan.refunded_at[kept_orders][rma_orders]
    rejected = plan.rejected[kept_orders][rma_orders]
    is_received = received < cutoff
    is_refunded = (refunded < cutoff) & ~rejected
    status = np.where(
        rejected & is_received,
        "rejected",
        np.where(is_refunded, "refunded", np.where(is_received, "received", "in_transit")),
    )
    store_paid = np.isin(reason, list(STORE_PAID))
    write_rows(
        ctx.connection,
        m.Return,
        {
            "id": rma_ids,
            "rma_number": [f"RMA-{10000 + int(i)}" for i in rma_ids],
            "order_id": order_ids[rma_orders],
            "status": status,
            "reason": reason,
            "requested_at": requested[rma_orders],
            "received_at": np.where(is_received, received, np.datetime64("NaT")),
            "return_tracking_number": [
                f"9202{int(x):018d}" for x in rng.integers(0, 10**17, len(rma_orders))
            ],
            "label_cost": units_from_cents(np.where(store_paid, 795, 0)),
            "currency": np.full(len(rma_orders), ctx.currency, dtype=object),
        },
    )
    return_line_ids = np.full(len(kept_lines), -1, dtype=np.int64)
    return_line_ids[returned_lines] = next_id(ctx.connection, m.ReturnLine) + np.arange(len(returned_lines))
    condition_names = np.array(["restockable", "damaged", "lost"], dtype=object)
    line_received = is_received[rma_of_order[line_order_position[returned_lines]]]
    write_rows(
        ctx.connection,
        m.ReturnLine,
        {
            "id": return_line_ids[returned_lines],
            "return_id": rma_ids[rma_of_order[line_order_position[returned_lines]]],
            "order_line_id": line_ids[returned_lines],
            "quantity": line_quantity[returned_lines],
            "condition": np.where(
                line_received, condition_names[plan.condition[kept_lines][returned_lines]], None
            ),
        },
    )

    # Refunds: merchandise net of discount plus its tax, and the shipping when the store was at fault.
    merchandise = group_sum(line_net_cents[returned_lines], line_order_position[returned_lines], n_kept)
    tax = group_sum(line_tax_cents[returned_lines], line_order_position[returned_lines], n_kept)
    refund_rma = np.flatnonzero(is_refunded)
    refund_orders = rma_orders[refund_rma]
    refund_shipping = np.where(store_paid[refund_rma], shipping_cents[refund_orders], 0)
    refund_tax = tax[refund_orders]
    refund_amount = merchandise[refund_orders] + refund_tax + refund_shipping
    refund_ids = next_id(ctx.connection, m.Refund) + np.arange(len(refund_orders))
    truth = truth_of(ctx, timeline.count)
    refund_day = timeline.day_of(refunded[refund_rma])
    truth.add("returns", channel[refund_orders], refund_day, -merchandise[refund_orders])
    truth.add("shipping_income", channel[refund_orders], refund_day, -refund_shipping)
    truth.add(
        "shipping", channel[rma_orders], timeline.day_of(requested[rma_orders]), -np.where(store_paid, 795, 0)
    )
    write_rows(
        ctx.connection,
        m.Refund,
        {
            "id": refund_ids,
            "order_id": order_ids[refund_orders],
            "return_id": rma_ids[refund_rma],
            "external_id": [f"RF{int(i):09d}" for i in refund_ids],
            "refunded_at": refunded[refund_rma],
            "amount": units_from_cents(refund_amount),
            "shipping_amount": units_from_cents(refund_shipping),
            "tax_amount": units_from_cents(refund_tax),
            "currency": np.full(len(refund_orders), ctx.currency, dtype=object),
            "reason": reason[refund_rma],
        },
    )
    refunded_per_order = np.zeros(n_kept, dtype=np.int64)
    refunded_per_order[refund_orders] = refund_amount

    # Chargebacks: a few per thousand Shopify card payments, each with the processor's fee.
    shop = np.flatnonzero((channel == SHOPIFY) & ~has_return)
    disputed = shop[rng.random(len(shop)) < CHARGEBACK_RATE]
    opened = placed_at[disputed] + (rng.uniform(20, 60, len(disputed)) * 86_400e6).astype("timedelta64[us]")
    inside = opened < cutoff
    disputed, opened = disputed[inside], opened[inside]
    resolved = opened + (rng.uniform(30, 75, len(disputed)) * 86_400e6).astype("timedelta64[us]")
    is_resolved = resolved < cutoff
    won = is_resolved & (rng.random(len(disputed)) < 0.35)
    cb_status = np.where(~is_resolved, "open", np.where(won, "won", "lost"))
    truth.add("chargebacks", channel[disputed], timeline.day_of(opened), -total_cents[disputed])
    truth.add(
        "chargebacks", channel[disputed[won]], timeline.day_of(resolved[won]), total_cents[disputed[won]]
    )
    cb_ids = next_id(ctx.connection, m.Chargeback) + np.arange(len(disputed))
    write_rows(
        ctx.connection,
        m.Chargeback,
        {
            "id": cb_ids,
            "order_id": order_ids[disputed],
            "external_id": [f"DP{int(i):08d}" for i in cb_ids],
            "opened_at": opened,
            "resolved_at": np.where(is_resolved, resolved, np.datetime64("NaT")),
            "status": cb_status,
            "reason": np.array(CHARGEBACK_REASONS, dtype=object)[
                rng.integers(0, len(CHARGEBACK_REASONS), len(disputed))
            ],
            "amount": units_from_cents(total_cents[disputed]),
            "fee": units_from_cents(np.full(len(disputed), CHARGEBACK_FEE_CENTS, dtype=np.int64)),
            "currency": np.full(len(disputed), ctx.currency, dtype=object),
        },
    )
    return MoneyBack(
        refund_order=refund_orders,
        refund_at=refunded[refund_rma],
        refund_cents=refund_amount,
        chargeback_order=disputed,
        chargeback_opened_at=opened,
        chargeback_resolved_at=np.where(won, resolved, np.datetime64("NaT")),
        chargeback_won=won,
        chargeback_cents=total_cents[disputed],
        return_line_ids=return_line_ids,
        refunded_cents_per_order=refunded_per_order,
        refund_tax_cents=refund_tax,
        refund_merchandise_cents=merchandise[refund_orders],
    )
