"""The cost of goods engine: FIFO cost layers or a moving average, pure (no database).

Feed it a time-ordered sequence of stock events per SKU; it returns the cost each event moved.

- A **receipt** (or an opening balance, or a count that found units) opens a layer of units at
  their landed cost: the purchase price plus the PO's freight and duty allocated to its lines by
  value (`landed_line_values`).
- A **sale** or a **write-off** consumes units: oldest layers first (FIFO), or at the pool's
  running average (moving average).
- A **restockable return** puts units back at the cost they left with (the cost of the sale it
  reverses, pro rata), as a new layer opened when they come back.
- A **bundle** has no stock of its own: selling or returning one moves its components.

Every value is rounded to the currency's minor unit as it is computed, and each layer keeps the
exact value of its remaining units (the last unit out takes whatever is left), so the inventory
value is always the exact sum of the open layers and nothing is lost to rounding.

**Selling units that have no layer (negative stock).** The sale is costed provisionally at the
SKU's last known unit cost (the most recent layer's), or the fallback cost the caller gives
(the variant's unit cost, or the cost the movement recorded), and flagged `provisional`. The
shortfall is kept as a negative layer. When units next arrive, they first fill the shortfall: the
difference between what those units really cost and the provisional cost is returned as the
receipt's `true_up` (positive when the sale was under-costed), which the ledger posts to COGS on
the receipt's day. Nothing is restated in a closed day.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from sasame.core.money import Money, round_money

Method = Literal["fifo", "average"]
METHODS: tuple[Method, ...] = ("fifo", "average")

INBOUND = frozenset({"receipt", "opening", "found"})
"""Events that open a layer at a value given by the caller (found units at the current cost)."""
OUTBOUND = frozenset({"sale", "write_off"})


@dataclass(frozen=True)
class StockEvent:
    """One change of units of a SKU, in time order.

    ``kind``: receipt, opening (value given), found (a count found units: valued at the current
    unit cost), sale, write_off (units leave), return (units come back; ``returns_key`` names the
    sale it reverses, if known). ``quantity`` is always positive.
    """

    key: int
    variant: int
    kind: str
    quantity: int
    value: Decimal | None = None
    """Total landed cost of a receipt or opening, in the currency's minor unit."""
    returns_key: int | None = None
    fallback_unit_cost: Decimal | None = None
    """Unit cost to use when the SKU has no cost history (variant or movement unit cost)."""


@dataclass(frozen=True)
class CostedEvent:
    """What an event cost: ``value`` is positive for units in and for units out alike."""

    key: int
    variant: int
    kind: str
    quantity: int
    value: Decimal
    provisional: bool = False
    """A sale or write-off costed (partly) without stock, at the last known or fallback cost."""
    true_up: Decimal = Decimal(0)
    """On a receipt that filled a shortfall: real cost minus provisional cost of those units."""


@dataclass
class Layer:
    key: int
    quantity: int
    remaining: int
    value: Decimal
    """Exact value of the remaining units."""

    @property
    def unit_cost(self) -> Decimal:
        return self.value / self.remaining if self.remaining else Decimal(0)


@dataclass
class _Sku:
    layers: deque[Layer] = field(default_factory=deque)
    short: int = 0
    """Units sold without stock, waiting for a receipt."""
    short_value: Decimal = Decimal(0)
    """Provisional cost at which those units were sold."""
    last_unit_cost: Decimal | None = None


def _share(value: Decimal, part: int, whole: int, currency: str) -> Decimal:
    """Return value * part / whole rounded to the minor unit; the whole takes exactly the value."""
    if part == whole:
        return value
    return round_money(value * part / whole, currency)


class CostEngine:
    """Costs stock events in order; keeps the layers (or average pool) of every SKU."""

    def __init__(
        self,
        method: Method = "fifo",
        currency: str = "USD",
        components: Mapping[int, Sequence[tuple[int, int]]] | None = None,
    ) -> None:
        if method not in METHODS:
            raise ValueError(f"cost method must be one of {', '.join(METHODS)}, not {method!r}")
        self.method = method
        self.currency = currency
        self.components = dict(components or {})
        self._skus: dict[int, _Sku] = {}
        self._sales: dict[tuple[int, int], tuple[int, Decimal]] = {}
        """(sale key, variant) -> (units sold, cost), for returns at the cost the units left with."""
        self._returned: dict[tuple[int, int], tuple[int, Decimal]] = {}

    # -- public -------------------------------------------------------------------------------

    def apply(self, event: StockEvent) -> list[CostedEvent]:
        """Cost one event; a bundle's sale or return yields one costed event per component."""
        if event.quantity <= 0:
            raise ValueError(f"stock event {event.key}: quantity must be positive, got {event.quantity}")
        parts = self.components.get(event.variant)
        if parts and event.kind in {"sale", "return"}:
            return [
                self._apply_one(
                    StockEvent(
                        event.key,
                        component,
                        event.kind,
                        event.quantity * per_bundle,
                        None,
                        event.returns_key,
                        None,
                    )
                )
                for component, per_bundle in parts
            ]
        return [self._apply_one(event)]

    def run(self, events: Iterable[StockEvent]) -> list[CostedEvent]:
        """Cost every event in the given (time) order."""
        costed: list[CostedEvent] = []
        for event in events:
            costed.extend(self.apply(event))
        return costed

    def layers(self, variant: int) -> list[Layer]:
        """Return the open layers of a SKU (one pool under moving average), oldest first."""
        sku = self._skus.get(variant)
        return [] if sku is None else [layer for layer in sku.layers if layer.remaining]

    def shortfall(self, variant: int) -> tuple[int, Decimal]:
        """Return the units sold without stock and their provisional cost."""
        sku = self._skus.get(variant)
        return (0, Decimal(0)) if sku is None else (sku.short, sku.short_value)

    def on_hand(self, variant: int) -> int:
        return sum(layer.remaining for layer in self.layers(variant)) - self.shortfall(variant)[0]

    def inventory_value(self, variant: int | None = None) -> Decimal:
        """Return the value of the open layers less provisional shortfalls (one SKU, or all)."""
        variants = self._skus if variant is None else [variant]
        total = Decimal(0)
        for v in variants:
            total += sum((layer.value for layer in self.layers(v)), Decimal(0)) - self.shortfall(v)[1]
        return total

    def variants(self) -> list[int]:
        return sorted(self._skus)

    # -- internals ----------------------------------------------------------------------------

    def _sku(self, variant: int) -> _Sku:
        sku = self._skus.get(variant)
        if sku is None:
            sku = self._skus[variant] = _Sku()
        return sku

    def _apply_one(self, event: StockEvent) -> CostedEvent:
        sku = self._sku(event.variant)
        if event.kind in INBOUND:
            if event.kind == "found" or event.value is None:
                value = round_money(event.quantity * self._current_unit_cost(sku, event), self.currency)
            else:
                value = event.value
            return self._receive(sku, event, value)
        if event.kind in OUTBOUND:
            return self._consume(sku, event)
        if event.kind == "return":
            return self._receive(sku, event, self._return_value(sku, event))
        raise ValueError(f"stock event {event.key}: unknown kind {event.kind!r}")

    def _current_unit_cost(self, sku: _Sku, event: StockEvent) -> Decimal:
        if sku.last_unit_cost is not None:
            return sku.last_unit_cost
        return event.fallback_unit_cost if event.fallback_unit_cost is not None else Decimal(0)

    def _return_value(self, sku: _Sku, event: StockEvent) -> Decimal:
        sale_key = event.returns_key
        sale = self._sales.get((sale_key, event.variant)) if sale_key is not None else None
        if sale is None or sale_key is None:
            return round_money(event.quantity * self._current_unit_cost(sku, event), self.currency)
        sold, cost = sale
        back, back_value = self._returned.get((sale_key, event.variant), (0, Decimal(0)))
        units = min(event.quantity, max(sold - back, 0))
        if units == 0:
            return round_money(event.quantity * (cost / sold), self.currency)
        # Returned units share the sale's cost pro rata; the last unit back takes the remainder.
        value = cost - back_value if back + units == sold else round_money(cost * units / sold, self.currency)
        extra = event.quantity - units
        self._returned[(sale_key, event.variant)] = (back + units, back_value + value)
        if extra:
            value += round_money(extra * (cost / sold), self.currency)
        return value

    def _receive(self, sku: _Sku, event: StockEvent, value: Decimal) -> CostedEvent:
        quantity = event.quantity
        true_up = Decimal(0)
        kept_quantity, kept_value = quantity, value
        if sku.short:
            filled = min(quantity, sku.short)
            real = _share(value, filled, quantity, self.currency)
            provisional = _share(sku.short_value, filled, sku.short, self.currency)
            true_up = real - provisional
            sku.short -= filled
            sku.short_value -= provisional
            kept_quantity, kept_value = quantity - filled, value - real
        if quantity:
            sku.last_unit_cost = value / quantity
        if kept_quantity:
            if self.method == "average" and sku.layers:
                pool = sku.layers[0]
                pool.quantity += kept_quantity
                pool.remaining += kept_quantity
                pool.value += kept_value
                sku.last_unit_cost = pool.value / pool.remaining
            else:
                sku.layers.append(Layer(event.key, kept_quantity, kept_quantity, kept_value))
        return CostedEvent(event.key, event.variant, event.kind, quantity, value, False, true_up)

    def _consume(self, sku: _Sku, event: StockEvent) -> CostedEvent:
        wanted = event.quantity
        cost = Decimal(0)
        while wanted and sku.layers:
            layer = sku.layers[0]
            taken = min(wanted, layer.remaining)
            part = _share(layer.value, taken, layer.remaining, self.currency)
            sku.last_unit_cost = layer.value / layer.remaining
            layer.remaining -= taken
            layer.value -= part
            cost += part
            wanted -= taken
            if layer.remaining == 0:
                sku.layers.popleft()
        provisional = wanted > 0
        if provisional:
            guess = round_money(wanted * self._current_unit_cost(sku, event), self.currency)
            sku.short += wanted
            sku.short_value += guess
            cost += guess
        if event.kind == "sale":
            self._sales[(event.key, event.variant)] = (event.quantity, cost)
        return CostedEvent(event.key, event.variant, event.kind, event.quantity, cost, provisional)


def landed_line_values(
    lines: Sequence[tuple[int, Decimal]], freight: Decimal, duty: Decimal, currency: str
) -> list[Decimal]:
    """Return each PO line's landed value: quantity x unit cost plus its share of freight and duty.

    ``lines`` are (quantity ordered, unit cost). Freight and duty are allocated by line value,
    to the cent, losing nothing (`Money.allocate`); a PO of zero value shares them by quantity.
    """
    values = [round_money(quantity * unit_cost, currency) for quantity, unit_cost in lines]
    extra = freight + duty
    if not lines:
        return []
    if extra == 0:
        return values
    weights: list[Decimal] = values if sum(values) > 0 else [Decimal(q) for q, _ in lines]
    if sum(weights) <= 0:
        return values
    shares = Money(extra, currency).allocate(weights)
    return [value + share.amount for value, share in zip(values, shares, strict=True)]
