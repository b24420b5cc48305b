"""The generator's own daily P&L, per channel, kept as ground truth for the finance engine.

Each generation step that moves money adds what it did, in integer cents, by business day and
channel, from its own arrays (never from the database): the prices it charged, the refunds and
chargebacks it decided, the fees its payouts carried, the labels it bought, the ads it paid for,
and the cost of the goods that left the shelves. The cost of goods is costed here with its own
first-in first-out layers over its own receipts, in the store's costing policy:

- a purchase line's landed value is its ordered units x unit cost plus the PO's freight and duty
  shared over its lines by value (largest remainder, to the cent); a receipt takes the share of
  that value its units are of the units ordered, rounded half up to the cent;
- the first units a SKU ever has are its opening balance at their recorded unit cost; units a
  count finds later are valued at the SKU's latest unit cost;
- a sale or write-off takes units from the oldest layer first; taking k of a layer's r remaining
  units takes value x k / r rounded half up (all r take exactly what is left);
- a restockable return comes back at the cost its sale left with, pro rata;
- a sale with no stock is costed at the latest unit cost and trued up (to COGS, without a channel)
  when the next receipt arrives, on the receipt's day;
- COGS is recognised when the goods ship (the sale movement), a return's when it is restocked.

Profit effects are signed: revenue positive, costs negative. Facts are written as ground truth
kind ``daily_pnl``, one per channel (key = channel code) and one for amounts without a channel
(key ``unassigned``: ads other than Amazon's, write-offs, true-ups).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

from sasame.demo.context import DemoContext
from sasame.demo.sales import CHANNELS

LINES = (
    "gross_sales",
    "discounts",
    "shipping_income",
    "returns",
    "chargebacks",
    "cogs",
    "marketplace_fees",
    "payment_processing",
    "shipping",
    "advertising",
)
UNASSIGNED = len(CHANNELS)
PROCESSORS = {"shopify_payments", "stripe", "paypal"}
PROCESSING_FEES = {"processing", "chargeback"}
CENT = Decimal("0.01")


@dataclass
class PnlTruth:
    """Per line, per channel (plus one 'unassigned'), cents of profit effect per business day."""

    n_days: int
    cells: dict[str, np.ndarray] = field(default_factory=dict)

    def add(self, line: str, channel: np.ndarray | int, day: np.ndarray, cents: np.ndarray) -> None:
        if line not in LINES:
            raise KeyError(line)
        grid = self.cells.setdefault(line, np.zeros((UNASSIGNED + 1, self.n_days), dtype=np.int64))
        day = np.asarray(day, dtype=np.int64)
        channel = np.broadcast_to(np.asarray(channel, dtype=np.int64), day.shape)
        cents = np.broadcast_to(np.asarray(cents, dtype=np.int64), day.shape)
        inside = (day >= 0) & (day < self.n_days)
        np.add.at(grid, (channel[inside], day[inside]), cents[inside])

    def facts(self, start: str, currency: str) -> list[tuple[str, str, dict[str, Any]]]:
        facts = []
        for index, key in enumerate([*CHANNELS, "unassigned"]):
            lines = {
                line: self.cells[line][index].tolist() if line in self.cells else [0] * self.n_days
                for line in LINES
            }
            facts.append(("daily_pnl", key, {"start": start, "currency": currency, "cents": lines}))
        return facts


def truth_of(ctx: DemoContext, n_days: int) -> PnlTruth:
    """Return the context's P&L truth, creating it on first use."""
    if ctx.pnl_truth is None:
        ctx.pnl_truth = PnlTruth(n_days)
    truth = ctx.pnl_truth
    assert isinstance(truth, PnlTruth)
    return truth


def fee_line(provider: str, fee_type: str | None) -> str:
    """The P&L line of a payout fee: processors' and processing fees are payment processing."""
    if provider in PROCESSORS or (fee_type or "") in PROCESSING_FEES:
        return "payment_processing"
    return "marketplace_fees"


# -- cost of goods --------------------------------------------------------------------------------


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _share(value: Decimal, part: int, whole: int) -> Decimal:
    return value if part == whole else _cents(value * part / whole)


def landed_values(
    ordered: np.ndarray, cost_cents: np.ndarray, line_po: np.ndarray, extra_cents: np.ndarray
) -> list[Decimal]:
    """Each purchase line's landed value (dollars): its value plus its PO's freight and duty by value."""
    values = [
        Decimal(int(q) * int(c)) / 100 for q, c in zip(ordered.tolist(), cost_cents.tolist(), strict=True)
    ]
    landed = list(values)
    lines_of: dict[int, list[int]] = defaultdict(list)
    for index, po in enumerate(line_po.tolist()):
        lines_of[po].append(index)
    for po, members in lines_of.items():
        extra = int(extra_cents[po])
        weights = [values[i] for i in members]
        if extra == 0 or sum(weights) <= 0:
            continue
        total = sum(weights)
        shares = [int(Decimal(extra) * w / total) for w in weights]
        remainder = extra - sum(shares)
        for i in sorted(range(len(members)), key=lambda k: (-weights[k], k))[:remainder]:
            shares[i] += 1
        for i, share in zip(members, shares, strict=True):
            landed[i] += Decimal(share) / 100
    return landed


@dataclass
class _Stock:
    layers: deque[list[Any]] = field(default_factory=deque)
    """[remaining units, value] oldest first."""
    short: int = 0
    short_value: Decimal = Decimal(0)
    last_unit: Decimal | None = None
    seen: bool = False


def cost_goods(
    kind: Sequence[str],
    variant: np.ndarray,
    quantity: np.ndarray,
    unit_cents: np.ndarray,
    receipt_value: Sequence[Decimal | None],
    sale_of: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Cost time-ordered stock movements by FIFO; return (cost in cents per movement, true-up cents).

    ``cost`` is positive for units out (sales, write-offs) and in (returns, found units); transfers
    cost nothing. ``sale_of`` gives, for a return, the position of the sale it reverses (or -1).
    """
    n = len(kind)
    cost = np.zeros(n, dtype=np.int64)
    true_up = np.zeros(n, dtype=np.int64)
    stocks: dict[int, _Stock] = defaultdict(_Stock)
    sale_cost: dict[int, tuple[int, Decimal]] = {}
    returned: dict[int, tuple[int, Decimal]] = {}
    for i in range(n):
        what, units = kind[i], int(quantity[i])
        sku = stocks[int(variant[i])]
        first = not sku.seen
        sku.seen = True
        if units == 0 or what in ("transfer_in", "transfer_out"):
            continue
        fallback = Decimal(int(unit_cents[i])) / 100
        if units > 0 and what != "return":
            if what == "receipt" and receipt_value[i] is not None:
                value = receipt_value[i]
                assert value is not None
            elif first:
                value = _cents(units * fallback)
            else:
                value = _cents(units * (sku.last_unit if sku.last_unit is not None else fallback))
            true_up[i] = int(_receive(sku, units, value) * 100)
            cost[i] = int(value * 100)
        elif what == "return":
            value = _return_value(sku, units, int(sale_of[i]), sale_cost, returned, fallback)
            true_up[i] = int(_receive(sku, units, value) * 100)
            cost[i] = int(value * 100)
        else:
            taken = _consume(sku, -units, fallback)
            if what == "sale":
                sale_cost[i] = (-units, taken)
            cost[i] = int(taken * 100)
    return cost, true_up


def _receive(sku: _Stock, units: int, value: Decimal) -> Decimal:
    true_up = Decimal(0)
    kept, kept_value = units, value
    if sku.short:
        filled = min(units, sku.short)
        real = _share(value, filled, units)
        provisional = _share(sku.short_value, filled, sku.short)
        true_up = real - provisional
        sku.short -= filled
        sku.short_value -= provisional
        kept, kept_value = units - filled, value - real
    sku.last_unit = value / units
    if kept:
        sku.layers.append([kept, kept_value])
    return true_up


def _consume(sku: _Stock, units: int, fallback: Decimal) -> Decimal:
    cost = Decimal(0)
    while units and sku.layers:
        layer = sku.layers[0]
        taken = min(units, layer[0])
        part = _share(layer[1], taken, layer[0])
        sku.last_unit = layer[1] / layer[0]
        layer[0] -= taken
        layer[1] -= part
        cost += part
        units -= taken
        if layer[0] == 0:
            sku.layers.popleft()
    if units:
        guess = _cents(units * (sku.last_unit if sku.last_unit is not None else fallback))
        sku.short += units
        sku.short_value += guess
        cost += guess
    return cost


def _return_value(
    sku: _Stock,
    units: int,
    sale: int,
    sale_cost: dict[int, tuple[int, Decimal]],
    returned: dict[int, tuple[int, Decimal]],
    fallback: Decimal,
) -> Decimal:
    latest = sku.last_unit if sku.last_unit is not None else fallback
    if sale < 0 or sale not in sale_cost:
        return _cents(units * latest)
    sold, cost = sale_cost[sale]
    back, back_value = returned.get(sale, (0, Decimal(0)))
    taken = min(units, max(sold - back, 0))
    if taken == 0:
        return _cents(units * (cost / sold))
    value = cost - back_value if back + taken == sold else _cents(cost * taken / sold)
    returned[sale] = (back + taken, back_value + value)
    if units > taken:
        value += _cents((units - taken) * (cost / sold))
    return value


# -- the generation steps' records ----------------------------------------------------------------


def record_orders(ctx: DemoContext, n_days: int, channel: np.ndarray, day: np.ndarray, priced: Any) -> None:
    """Gross sales, discounts and shipping charged, on each order's business day."""
    truth = truth_of(ctx, n_days)
    truth.add("gross_sales", channel, day, priced.subtotal)
    truth.add("discounts", channel, day, -priced.discount)
    truth.add("shipping_income", channel, day, priced.shipping)


def record_goods(
    ctx: DemoContext,
    timeline: Any,
    movements: Any,
    line_ids: np.ndarray,
    line_channel: np.ndarray,
    return_line_ids: np.ndarray,
    purchase_line_ids: np.ndarray,
    run: Any,
) -> None:
    """Cost every movement the generator wrote (in the order it wrote them) and book its COGS."""
    variant = np.concatenate(movements.variant)
    moved_at = np.concatenate(movements.moved_at)
    order = np.lexsort((variant, moved_at))
    variant = variant[order]
    moved_at = moved_at[order]
    kind = np.concatenate(movements.kind)[order].tolist()
    quantity = np.concatenate(movements.quantity)[order]
    unit_cents = np.concatenate(movements.cost)[order]
    order_line = np.concatenate(movements.order_line)[order]
    purchase_line = np.concatenate(movements.purchase_line)[order]
    return_line = np.concatenate(movements.return_line)[order]

    # Which kept order line each movement belongs to (a sale's own line, a return's returned line).
    line_position = np.where(order_line >= 0, order_line - (line_ids[0] if len(line_ids) else 0), -1)
    returned_position = np.full(len(order), -1, dtype=np.int64)
    has_return = np.flatnonzero(return_line_ids >= 0)
    if len(has_return):
        of_return = dict(zip(return_line_ids[has_return].tolist(), has_return.tolist(), strict=True))
        for i in np.flatnonzero(return_line >= 0).tolist():
            returned_position[i] = of_return[int(return_line[i])]
    position = np.where(line_position >= 0, line_position, returned_position)
    channel = np.where(position >= 0, line_channel[np.maximum(position, 0)], UNASSIGNED)

    first_sale: dict[tuple[int, int], int] = {}
    for i in range(len(order)):
        if kind[i] == "sale" and line_position[i] >= 0:
            first_sale.setdefault((int(line_position[i]), int(variant[i])), i)
    sale_of = np.full(len(order), -1, dtype=np.int64)
    for i in np.flatnonzero(returned_position >= 0).tolist():
        sale_of[i] = first_sale.get((int(returned_position[i]), int(variant[i])), -1)

    lines = run.purchase_lines
    ordered = np.array([line["ordered"] for line in lines], dtype=np.int64)
    cost = np.array([line["cost"] for line in lines], dtype=np.int64)
    line_po = np.array([line["po"] for line in lines], dtype=np.int64)
    from sasame.demo.supply import SUPPLIERS

    po_value = np.zeros(len(run.purchase_orders), dtype=np.int64)
    np.add.at(po_value, line_po, ordered * cost)
    supplier = [po["supplier"] for po in run.purchase_orders]
    freight = np.array([SUPPLIERS[s].freight_percent for s in supplier], dtype=np.int64)
    duty = np.array([SUPPLIERS[s].duty_percent for s in supplier], dtype=np.int64)
    extra = (po_value * freight + 50) // 100 + (po_value * duty + 50) // 100
    landed = landed_values(ordered, cost, line_po, extra)
    first_purchase_line = int(purchase_line_ids[0]) if len(purchase_line_ids) else 0
    receipt_value: list[Decimal | None] = [None] * len(order)
    for i in np.flatnonzero((purchase_line >= 0) & (quantity > 0)).tolist():
        p = int(purchase_line[i]) - first_purchase_line
        receipt_value[i] = _cents(landed[p] * int(quantity[i]) / int(ordered[p]))

    costs, true_up = cost_goods(kind, variant, quantity, unit_cents, receipt_value, sale_of)
    day = timeline.day_of(moved_at)
    kinds = np.array(kind, dtype=object)
    note = np.concatenate(movements.note)[order]
    outbound = (quantity < 0) & (kinds != "transfer_out")
    # Opening balances (units on hand when the history starts, at every location) go to equity;
    # returns come back into COGS at their sale's cost; units a count finds reduce COGS.
    opening = note == "opening balance"
    back_in = (quantity > 0) & ~np.isin(kinds, ["receipt", "transfer_in"]) & ~opening
    truth = truth_of(ctx, timeline.count)
    truth.add("cogs", channel[outbound], day[outbound], -costs[outbound])
    truth.add("cogs", channel[back_in], day[back_in], costs[back_in])
    trued = true_up != 0
    truth.add("cogs", channel[trued], day[trued], -true_up[trued])


def record_labels(
    ctx: DemoContext, n_days: int, channel: np.ndarray, day: np.ndarray, cents: np.ndarray
) -> None:
    truth_of(ctx, n_days).add("shipping", channel, day, -cents)
