"""Suppliers, their terms, and the day-by-day stock simulation with its imperfect replenishment.

The store's planner reorders weekly from trailing 28-day sales, which stockouts censor, with only a
timid allowance for the Q4 peak and quoted rather than real lead times. Suppliers are late in their
own ways. So stockouts really happen, and demand on those days is lost and recorded as truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sasame.demo.catalog import Catalog
from sasame.demo.context import DemoContext
from sasame.demo.timeline import Timeline

WAREHOUSE, FBA = 0, 1


@dataclass(frozen=True)
class SupplierProfile:
    """A supplier as quoted (lead time) and as it really behaves (the truth the engines should learn)."""

    key: str
    name: str
    country: str
    email: str
    quoted_lead_days: int
    lead_factor: float
    """Mean of real / quoted lead time."""
    lead_spread: float
    """Log-normal sigma of the real lead time."""
    late_probability: float
    """Chance a PO is additionally held up by 7–30 days (customs, a missed vessel)."""
    partial_probability: float
    review_weekday: int
    freight_percent: int
    duty_percent: int


SUPPLIERS = [
    SupplierProfile(
        "apparel_cn",
        "Pacific Threadworks Ltd.",
        "CN",
        "orders@pacificthreadworks.example",
        45,
        1.15,
        0.15,
        0.25,
        0.20,
        0,
        7,
        12,
    ),
    SupplierProfile(
        "apparel_vn",
        "Lumen Textile Co.",
        "VN",
        "sales@lumentextile.example",
        40,
        1.04,
        0.10,
        0.10,
        0.12,
        0,
        6,
        10,
    ),
    SupplierProfile(
        "ceramics",
        "Blue Ridge Ceramics",
        "US",
        "wholesale@blueridgeceramics.example",
        14,
        1.00,
        0.08,
        0.04,
        0.05,
        1,
        3,
        0,
    ),
    SupplierProfile(
        "candles",
        "Harbor Candle Works",
        "US",
        "hello@harborcandle.example",
        10,
        1.12,
        0.22,
        0.12,
        0.10,
        1,
        3,
        0,
    ),
    SupplierProfile(
        "goods_mx",
        "Oakline Goods S.A.",
        "MX",
        "pedidos@oaklinegoods.example",
        21,
        1.25,
        0.28,
        0.30,
        0.25,
        2,
        4,
        0,
    ),
    SupplierProfile(
        "paper", "Printhaus Paper Co.", "US", "orders@printhaus.example", 7, 1.00, 0.05, 0.02, 0.03, 3, 2, 0
    ),
    SupplierProfile(
        "small_cn", "Kinpak Trading", "CN", "export@kinpak.example", 35, 1.10, 0.18, 0.18, 0.15, 0, 8, 15
    ),
]
ALTERNATE = SupplierProfile(
    "alternate",
    "Second Street Supply",
    "US",
    "sales@secondstreetsupply.example",
    12,
    1.05,
    0.12,
    0.08,
    0.05,
    4,
    2,
    0,
)
CASE_PACK = {"apparel": 10, "home": 12, "accessories": 25}
MINIMUM_ORDER = {"apparel": 40, "home": 24, "accessories": 50}
COST_INFLATION = 0.03
"""Yearly supplier price increase."""


@dataclass
class Terms:
    """Preferred supplier per physical variant and the per-variant buying terms."""

    supplier: np.ndarray
    """Index into SUPPLIERS (-1 for bundles)."""
    case_pack: np.ndarray
    minimum: np.ndarray
    lead: np.ndarray
    alternates: list[int]
    """Variant positions that also have a term with the alternate supplier."""


@dataclass
class StockRun:
    """What the simulation decided and every stock event it caused (quantities in units)."""

    sold: np.ndarray
    demand: np.ndarray
    """[day, location, variant] units customers asked for (uncensored)."""
    consumed: np.ndarray
    """[day, location, variant] units sold (bundles count on themselves and their components)."""
    lost: np.ndarray
    stocked_out: np.ndarray
    """[day, location, variant] True where a sellable SKU started the day with no stock."""
    opening: list[tuple[int, int, int]] = field(default_factory=list)
    """(location, variant, units) on hand when the history starts."""
    purchase_orders: list[dict] = field(default_factory=list)
    purchase_lines: list[dict] = field(default_factory=list)
    receipts: list[tuple[int, int, int, int]] = field(default_factory=list)
    """(day, purchase line position, variant, units)."""
    transfers: list[tuple[int, int, int, int]] = field(default_factory=list)
    """(ship day, arrival day, variant, units); arrival may be after the history."""
    adjustments: list[tuple[int, int, int, int, str, str]] = field(default_factory=list)
    """(day, location, variant, signed units, kind, note)."""
    final_stock: np.ndarray | None = None


def supplier_terms(ctx: DemoContext, catalog: Catalog) -> Terms:
    """Assign each physical variant its preferred supplier and buying terms."""
    rng = ctx.rng("supply.terms")
    keys = [s.key for s in SUPPLIERS]
    supplier = np.array([keys.index(k) if k else -1 for k in catalog.supplier_key], dtype=np.int64)
    case_pack = np.array([CASE_PACK.get(c, 1) for c in catalog.category], dtype=np.int64)
    minimum = np.array([MINIMUM_ORDER.get(c, 1) for c in catalog.category], dtype=np.int64)
    lead = np.array([SUPPLIERS[s].quoted_lead_days if s >= 0 else 0 for s in supplier], dtype=np.int64)
    alternates = [i for i in range(catalog.count) if supplier[i] >= 0 and rng.random() < 0.25]
    return Terms(supplier, case_pack, minimum, lead, alternates)


def unit_cost(catalog: Catalog, variant: np.ndarray | int, day: np.ndarray | int) -> np.ndarray:
    """Return the supplier's unit cost in cents on a day (prices creep up a little every year)."""
    base = catalog.cost_cents[variant]
    return (base * (1.0 + COST_INFLATION * np.asarray(day) / 365.0) + 0.5).astype(np.int64)


def simulate_stock(
    ctx: DemoContext,
    timeline: Timeline,
    catalog: Catalog,
    terms: Terms,
    line_day: np.ndarray,
    line_variant: np.ndarray,
    line_quantity: np.ndarray,
    line_location: np.ndarray,
    restock_day: np.ndarray,
) -> StockRun:
    """Run the store day by day: sell what is on the shelf, lose the rest, receive, transfer, reorder."""
    rng = ctx.rng("supply.simulation")
    n_days, n_variants = timeline.count, catalog.count
    bundles = catalog.is_bundle
    life = catalog.lifecycle(n_days)
    sellable = np.stack(
        [
            (life > 0)
            & ~bundles
            & (catalog.listed["shopify"] | catalog.listed["etsy"] | catalog.listed["wholesale"]),
            (life > 0) & ~bundles & catalog.listed["amazon"],
        ],
        axis=1,
    )

    # Uncensored demand, with bundles expanded into their components for the planner's guesses.
    demand = np.zeros((n_days, 2, n_variants), dtype=np.int64)
    np.add.at(demand, (line_day, line_location, line_variant), line_quantity)
    physical = demand.copy()
    for bundle, parts in catalog.components.items():
        for part, count in parts:
            physical[:, WAREHOUSE, part] += demand[:, WAREHOUSE, bundle] * count
    # The planner's launch estimate: the real early demand, misjudged by a log-normal factor.
    guess = np.zeros(n_variants)
    misjudge = rng.lognormal(0.0, 0.5, n_variants)
    for v in range(n_variants):
        first = max(int(catalog.launch_day[v]), 0)
        window = physical[first : first + 56, :, v].sum(axis=0)
        guess[v] = window.sum() / 56.0 * misjudge[v]

    run = StockRun(
        sold=np.zeros(len(line_day), dtype=bool),
        demand=demand,
        consumed=np.zeros((n_days, 2, n_variants), dtype=np.int64),
        lost=np.zeros((n_days, 2, n_variants), dtype=np.int64),
        stocked_out=np.zeros((n_days, 2, n_variants), dtype=bool),
    )
    stock = np.zeros((2, n_variants), dtype=np.int64)
    horizon = n_days + 1  # arrivals at index n_days happen after the history
    arrivals = np.zeros((horizon, 2, n_variants), dtype=np.int64)
    releases = np.zeros((horizon, n_variants), dtype=np.int64)
    transit_releases = np.zeros((horizon, n_variants), dtype=np.int64)
    on_order = np.zeros(n_variants, dtype=np.int64)
    in_transit = np.zeros(n_variants, dtype=np.int64)

    # Opening stock of everything already on sale: about six weeks at the warehouse, a month at FBA.
    early = physical[:56].sum(axis=0) / 56.0
    for v in range(n_variants):
        if bundles[v] or catalog.launch_day[v] >= 0:
            continue
        for location, days_of_cover in ((WAREHOUSE, 42 + terms.lead[v]), (FBA, 30)):
            units = int(np.ceil(early[location, v] * days_of_cover * rng.uniform(0.7, 1.3)))
            if location == WAREHOUSE:
                units = max(units, int(terms.case_pack[v]))
            if units > 0 and (location == WAREHOUSE or catalog.listed["amazon"][v]):
                stock[location, v] = units
                run.opening.append((location, v, units))

    launch_orders: dict[int, list[int]] = {}
    for v in np.flatnonzero((catalog.launch_day >= 0) & ~bundles).tolist():
        order_day = max(0, int(catalog.launch_day[v]) - int(terms.lead[v]) - 7)
        launch_orders.setdefault(order_day, []).append(v)

    bounds = np.searchsorted(line_day, np.arange(n_days + 1))
    is_bundle_line = bundles[line_variant]
    flat_stock = stock.reshape(-1)
    for day in range(n_days):
        run.stocked_out[day] = (stock == 0) & sellable[day]
        lo, hi = int(bounds[day]), int(bounds[day + 1])
        if hi > lo:
            today = np.arange(lo, hi)
            for i in today[is_bundle_line[lo:hi]].tolist():
                parts = catalog.components[int(line_variant[i])]
                q = int(line_quantity[i])
                if all(stock[WAREHOUSE, p] >= q * k for p, k in parts):
                    for p, k in parts:
                        stock[WAREHOUSE, p] -= q * k
                        run.consumed[day, WAREHOUSE, p] += q * k
                    run.consumed[day, WAREHOUSE, line_variant[i]] += q
                    run.sold[i] = True
                else:
                    run.lost[day, WAREHOUSE, line_variant[i]] += q
            singles = today[~is_bundle_line[lo:hi]]
            key = line_location[singles] * n_variants + line_variant[singles]
            order = np.argsort(key, kind="stable")
            keys, quantities = key[order], line_quantity[singles][order]
            running = np.cumsum(quantities)
            starts = np.concatenate([[True], keys[1:] != keys[:-1]])
            before = np.maximum.accumulate(np.where(starts, running - quantities, 0))
            # First come, first served: a line sells if the units before it plus its own fit.
            fits = running - before <= flat_stock[keys]
            sold_lines = singles[order][fits]
            run.sold[sold_lines] = True
            taken = np.bincount(keys[fits], weights=quantities[fits], minlength=2 * n_variants).astype(
                np.int64
            )
            flat_stock -= taken
            run.consumed[day] += taken.reshape(2, n_variants)
            missed = np.bincount(keys[~fits], weights=quantities[~fits], minlength=2 * n_variants).astype(
                np.int64
            )
            run.lost[day] += missed.reshape(2, n_variants)
            # Sold lines that will come back restockable arrive on their return day.
            back = sold_lines[restock_day[sold_lines] >= 0]
            if len(back):
                np.add.at(
                    arrivals,
                    (np.minimum(restock_day[back], n_days), line_location[back], line_variant[back]),
                    line_quantity[back],
                )
            returned_bundles = today[is_bundle_line[lo:hi]]
            for i in returned_bundles[
                run.sold[returned_bundles] & (restock_day[returned_bundles] >= 0)
            ].tolist():
                for p, k in catalog.components[int(line_variant[i])]:
                    arrivals[min(int(restock_day[i]), n_days), WAREHOUSE, p] += int(line_quantity[i]) * k

        # End of the day: goods that arrived today go on the shelf for tomorrow.
        stock += arrivals[day]
        on_order -= releases[day]
        in_transit -= transit_releases[day]
        _adjust(rng, run, stock, day, catalog, n_days)

        weekday = int(timeline.weekday[day])
        for s_index, profile in enumerate(SUPPLIERS):
            if weekday == profile.review_weekday:
                _review(
                    rng,
                    run,
                    timeline,
                    catalog,
                    terms,
                    s_index,
                    day,
                    stock,
                    on_order,
                    in_transit,
                    arrivals,
                    releases,
                    guess,
                    launch_orders,
                )
        if day in launch_orders:
            _order_launches(
                rng, run, catalog, terms, day, launch_orders[day], guess, on_order, arrivals, releases, n_days
            )
        if weekday == 2:
            _transfer_to_fba(
                rng, run, catalog, day, stock, in_transit, arrivals, transit_releases, guess, n_days
            )
    run.final_stock = stock
    return run


def _adjust(
    rng: np.random.Generator, run: StockRun, stock: np.ndarray, day: int, catalog: Catalog, n_days: int
) -> None:
    """Record cycle-count corrections, damage write-offs and the write-off of discontinued stock."""
    for v in np.flatnonzero(catalog.discontinue_day == day).tolist():
        for location in (WAREHOUSE, FBA):
            if stock[location, v] > 0:
                run.adjustments.append(
                    (
                        day,
                        location,
                        v,
                        -int(stock[location, v]),
                        "write_off",
                        "discontinued: remaining stock written off",
                    )
                )
                stock[location, v] = 0
    draw = rng.random(2)
    candidates = np.flatnonzero(stock[WAREHOUSE] > 0)
    if len(candidates) == 0:
        return
    if draw[0] < 0.06:
        v = int(candidates[rng.integers(len(candidates))])
        delta = int(rng.choice([-2, -1, 1, 2]))
        delta = max(delta, -int(stock[WAREHOUSE, v]))
        stock[WAREHOUSE, v] += delta
        run.adjustments.append((day, WAREHOUSE, v, delta, "adjustment", "cycle count correction"))
    if draw[1] < 0.03:
        v = int(candidates[rng.integers(len(candidates))])
        loss = min(int(rng.integers(1, 4)), int(stock[WAREHOUSE, v]))
        stock[WAREHOUSE, v] -= loss
        run.adjustments.append((day, WAREHOUSE, v, -loss, "write_off", "damaged in warehouse"))


def _lead_time(rng: np.random.Generator, profile: SupplierProfile) -> int:
    real = profile.quoted_lead_days * profile.lead_factor * rng.lognormal(0.0, profile.lead_spread)
    if rng.random() < profile.late_probability:
        real += rng.integers(7, 31)
    return max(1, round(real))


def _place_order(
    rng: np.random.Generator,
    run: StockRun,
    catalog: Catalog,
    supplier: int,
    day: int,
    lines: list[tuple[int, int]],
    on_order: np.ndarray,
    arrivals: np.ndarray,
    releases: np.ndarray,
    n_days: int,
    reason: str,
) -> None:
    """Create a PO and schedule its (possibly late, possibly partial) receipts."""
    profile = SUPPLIERS[supplier]
    arrival = day + _lead_time(rng, profile)
    partial = rng.random() < profile.partial_probability
    po = len(run.purchase_orders)
    run.purchase_orders.append(
        dict(
            supplier=supplier,
            day=day,
            expected=day + profile.quoted_lead_days,
            reason=reason,
            last_receipt=None,
            complete=True,
        )
    )
    for v, quantity in lines:
        position = len(run.purchase_lines)
        first = quantity
        later_day, later = -1, 0
        if partial:
            first = max(1, int(quantity * rng.uniform(0.5, 0.9)))
            later = quantity - first
            if rng.random() < 0.2:
                later = 0  # short-shipped: the rest never comes
            later_day = arrival + int(rng.integers(5, 21))
        received = 0
        for when, units in ((arrival, first), (later_day, later)):
            if units <= 0 or when < 0:
                continue
            if when < n_days:
                arrivals[when, WAREHOUSE, v] += units
                run.receipts.append((when, position, v, units))
                received += units
                record = run.purchase_orders[po]
                record["last_receipt"] = (
                    when if record["last_receipt"] is None else max(record["last_receipt"], when)
                )
            else:
                run.purchase_orders[po]["complete"] = False
            releases[min(when, n_days), v] += units
        releases[min(arrival, n_days), v] += quantity - first - later
        on_order[v] += quantity
        run.purchase_lines.append(
            dict(po=po, variant=v, ordered=quantity, received=received, cost=int(unit_cost(catalog, v, day)))
        )


def _planner_rate(run: StockRun, day: int, location: int | None) -> np.ndarray:
    """Return the planner's daily sales rate per variant: the last 28 days, or (when those were
    censored by a stockout) a discounted in-stock rate over 16 weeks, since sales hide lost demand."""
    first, long_first = max(0, day - 27), max(0, day - 111)
    where = slice(None) if location is None else location
    consumed = run.consumed[:, where] if location is not None else run.consumed.sum(axis=1)
    short = consumed[first : day + 1].sum(axis=0) / float(day + 1 - first)
    outs = run.stocked_out[long_first : day + 1, where]
    out_days = outs.sum(axis=0) if location is not None else outs.all(axis=1).sum(axis=0)
    in_stock = np.maximum(day + 1 - long_first - out_days, 7)
    long = consumed[long_first : day + 1].sum(axis=0) / in_stock
    return np.maximum(short, 0.75 * long)


def _round_order(units: float, case_pack: int, minimum: int) -> int:
    return int(max(minimum, int(np.ceil(units / case_pack)) * case_pack))


def _review(
    rng: np.random.Generator,
    run: StockRun,
    timeline: Timeline,
    catalog: Catalog,
    terms: Terms,
    supplier: int,
    day: int,
    stock: np.ndarray,
    on_order: np.ndarray,
    in_transit: np.ndarray,
    arrivals: np.ndarray,
    releases: np.ndarray,
    guess: np.ndarray,
    launch_orders: dict[int, list[int]],
) -> None:
    """The planner's weekly reorder for one supplier: trailing sales, quoted lead times, a timid Q4 bump."""
    if rng.random() < 0.10:
        return  # a busy week: the review is skipped
    n_days = timeline.count
    trailing = _planner_rate(run, day, location=None)
    month = int(timeline.month[day])
    bump = 1.35 if month in (9, 10) else 1.0
    lines = []
    for v in np.flatnonzero(terms.supplier == supplier).tolist():
        launch = int(catalog.launch_day[v])
        if day < launch or day >= catalog.decline_day[v] + 21 or day >= catalog.discontinue_day[v]:
            continue  # not launched yet (the launch PO covers it) or being run down
        forecast = trailing[v] if day - max(launch, 0) >= 28 else max(trailing[v], guess[v])
        forecast *= bump
        if forecast <= 0:
            continue
        lead = int(terms.lead[v])
        position = stock[:, v].sum() + in_transit[v] + on_order[v]
        if position < forecast * (lead + 7 + 18):
            units = forecast * (lead + 7 + 18 + 42) - position
            lines.append((v, _round_order(units, int(terms.case_pack[v]), int(terms.minimum[v]))))
    if lines:
        _place_order(
            rng, run, catalog, supplier, day, lines, on_order, arrivals, releases, n_days, "replenishment"
        )


def _order_launches(
    rng: np.random.Generator,
    run: StockRun,
    catalog: Catalog,
    terms: Terms,
    day: int,
    variants: list[int],
    guess: np.ndarray,
    on_order: np.ndarray,
    arrivals: np.ndarray,
    releases: np.ndarray,
    n_days: int,
) -> None:
    by_supplier: dict[int, list[tuple[int, int]]] = {}
    for v in variants:
        units = _round_order(guess[v] * 60, int(terms.case_pack[v]), int(terms.minimum[v]))
        by_supplier.setdefault(int(terms.supplier[v]), []).append((v, units))
    for supplier, lines in sorted(by_supplier.items()):
        _place_order(rng, run, catalog, supplier, day, lines, on_order, arrivals, releases, n_days, "launch")


def _transfer_to_fba(
    rng: np.random.Generator,
    run: StockRun,
    catalog: Catalog,
    day: int,
    stock: np.ndarray,
    in_transit: np.ndarray,
    arrivals: np.ndarray,
    transit_releases: np.ndarray,
    guess: np.ndarray,
    n_days: int,
) -> None:
    """Weekly FBA replenishment from the warehouse, keeping ten days of DTC demand back."""
    amazon_rate = _planner_rate(run, day, location=FBA)
    dtc_rate = _planner_rate(run, day, location=WAREHOUSE)
    for v in np.flatnonzero(catalog.listed["amazon"] & ~catalog.is_bundle).tolist():
        if (
            day < catalog.launch_day[v]
            or day >= catalog.decline_day[v] + 21
            or day >= catalog.discontinue_day[v]
        ):
            continue
        rate = max(amazon_rate[v], 0.4 * guess[v] if day - max(int(catalog.launch_day[v]), 0) < 28 else 0.0)
        covered = stock[FBA, v] + in_transit[v]
        if rate <= 0 or covered >= rate * 21:
            continue
        spare = int(stock[WAREHOUSE, v] - np.ceil(dtc_rate[v] * 10))
        units = min(int(np.ceil(rate * 40 - covered)), spare)
        if units <= 0:
            continue
        arrive = day + int(rng.integers(6, 15))
        stock[WAREHOUSE, v] -= units
        in_transit[v] += units
        transit_releases[min(arrive, n_days), v] += units
        if arrive < n_days:
            arrivals[arrive, FBA, v] += units
        run.transfers.append((day, arrive, v, units))


def write_suppliers(ctx: DemoContext, catalog: Catalog, terms: Terms) -> np.ndarray:
    """Insert suppliers and supplier terms; return supplier ids by SUPPLIERS position (+ alternate)."""
    from sasame import models as m
    from sasame.ingest.bulk import next_id, units_from_cents, write_rows

    profiles = [*SUPPLIERS, ALTERNATE]
    ids = next_id(ctx.connection, m.Supplier) + np.arange(len(profiles))
    write_rows(
        ctx.connection,
        m.Supplier,
        {
            "id": ids,
            "name": [p.name for p in profiles],
            "email": [p.email for p in profiles],
            "country": [p.country for p in profiles],
            "currency": [ctx.currency] * len(profiles),
            "quoted_lead_time_days": [p.quoted_lead_days for p in profiles],
        },
    )
    physical = np.flatnonzero(terms.supplier >= 0)
    alternates = np.array(terms.alternates, dtype=np.int64)
    variant = np.concatenate([physical, alternates])
    supplier = np.concatenate([terms.supplier[physical], np.full(len(alternates), len(SUPPLIERS))])
    # The domestic alternate is quicker but dearer.
    cost = np.concatenate([catalog.cost_cents[physical], (catalog.cost_cents[alternates] * 125 + 50) // 100])
    lead = np.concatenate([terms.lead[physical], np.full(len(alternates), ALTERNATE.quoted_lead_days)])
    write_rows(
        ctx.connection,
        m.SupplierTerm,
        {
            "id": next_id(ctx.connection, m.SupplierTerm) + np.arange(len(variant)),
            "supplier_id": ids[supplier],
            "variant_id": catalog.first_id + variant,
            "supplier_sku": [
                f"{profiles[s].key[:3].upper()}-{catalog.sku[v]}"
                for s, v in zip(supplier.tolist(), variant.tolist(), strict=True)
            ],
            "unit_cost": units_from_cents(cost),
            "currency": [ctx.currency] * len(variant),
            "minimum_order_quantity": np.concatenate(
                [terms.minimum[physical], terms.minimum[alternates] // 2]
            ),
            "case_pack": np.concatenate(
                [terms.case_pack[physical], np.maximum(terms.case_pack[alternates] // 2, 1)]
            ),
            "quoted_lead_time_days": lead,
            "is_preferred": np.concatenate(
                [np.ones(len(physical), dtype=bool), np.zeros(len(alternates), dtype=bool)]
            ),
        },
    )
    return ids


def write_purchase_orders(
    ctx: DemoContext,
    timeline: Timeline,
    run: StockRun,
    supplier_ids: np.ndarray,
    warehouse_id: int,
    first_variant_id: int,
) -> np.ndarray:
    """Insert purchase orders and their lines; return the id of every purchase line by position."""
    from sasame import models as m
    from sasame.ingest.bulk import next_id, units_from_cents, write_rows

    n_days = timeline.count
    start = np.datetime64(timeline.start, "D")
    pos = run.purchase_orders
    po_ids = next_id(ctx.connection, m.PurchaseOrder) + np.arange(len(pos))
    line_po = np.array([line["po"] for line in run.purchase_lines], dtype=np.int64)
    ordered = np.array([line["ordered"] for line in run.purchase_lines], dtype=np.int64)
    received = np.array([line["received"] for line in run.purchase_lines], dtype=np.int64)
    cost = np.array([line["cost"] for line in run.purchase_lines], dtype=np.int64)
    value = np.zeros(len(pos), dtype=np.int64)
    np.add.at(value, line_po, ordered * cost)
    got = np.zeros(len(pos), dtype=np.int64)
    np.add.at(got, line_po, received)
    status, received_on = [], []
    for i, po in enumerate(pos):
        if po["complete"] and po["last_receipt"] is not None:
            status.append("received")
            received_on.append(start + po["last_receipt"])
        else:
            status.append("partial" if got[i] > 0 else "sent")
            received_on.append(np.datetime64("NaT", "D"))
    supplier = np.array([po["supplier"] for po in pos], dtype=np.int64)
    freight = np.array([SUPPLIERS[s].freight_percent for s in supplier.tolist()], dtype=np.int64)
    duty = np.array([SUPPLIERS[s].duty_percent for s in supplier.tolist()], dtype=np.int64)
    order_day = np.array([po["day"] for po in pos], dtype=np.int64)
    write_rows(
        ctx.connection,
        m.PurchaseOrder,
        {
            "id": po_ids,
            "number": [f"PO-{1000 + i}" for i in range(len(pos))],
            "supplier_id": supplier_ids[supplier],
            "location_id": np.full(len(pos), warehouse_id),
            "status": status,
            "ordered_at": timeline.local_hours(order_day, 10.0),
            "expected_on": start + np.array([po["expected"] for po in pos], dtype=np.int64),
            "received_on": np.array(received_on, dtype="datetime64[D]"),
            "currency": [ctx.currency] * len(pos),
            "freight_cost": units_from_cents((value * freight + 50) // 100),
            "duty_cost": units_from_cents((value * duty + 50) // 100),
        },
    )
    line_ids = next_id(ctx.connection, m.PurchaseOrderLine) + np.arange(len(line_po))
    write_rows(
        ctx.connection,
        m.PurchaseOrderLine,
        {
            "id": line_ids,
            "purchase_order_id": po_ids[line_po],
            "variant_id": first_variant_id
            + np.array([line["variant"] for line in run.purchase_lines], dtype=np.int64),
            "quantity_ordered": ordered,
            "quantity_received": received,
            "unit_cost": units_from_cents(cost),
        },
    )
    del n_days
    return line_ids


@dataclass
class Movements:
    """Stock movements gathered column-wise before one bulk insert."""

    variant: list[np.ndarray] = field(default_factory=list)
    location: list[np.ndarray] = field(default_factory=list)
    kind: list[np.ndarray] = field(default_factory=list)
    quantity: list[np.ndarray] = field(default_factory=list)
    cost: list[np.ndarray] = field(default_factory=list)
    moved_at: list[np.ndarray] = field(default_factory=list)
    order_line: list[np.ndarray] = field(default_factory=list)
    purchase_line: list[np.ndarray] = field(default_factory=list)
    return_line: list[np.ndarray] = field(default_factory=list)
    note: list[np.ndarray] = field(default_factory=list)

    def add(
        self,
        variant: np.ndarray,
        location: np.ndarray | int,
        kind: str,
        quantity: np.ndarray,
        cost: np.ndarray,
        moved_at: np.ndarray,
        *,
        order_line: np.ndarray | None = None,
        purchase_line: np.ndarray | None = None,
        return_line: np.ndarray | None = None,
        note: str | None = None,
    ) -> None:
        n = len(variant)
        none = np.full(n, -1, dtype=np.int64)
        self.variant.append(np.asarray(variant, dtype=np.int64))
        self.location.append(np.broadcast_to(np.asarray(location, dtype=np.int64), (n,)).copy())
        self.kind.append(np.full(n, kind, dtype=object))
        self.quantity.append(np.asarray(quantity, dtype=np.int64))
        self.cost.append(np.asarray(cost, dtype=np.int64))
        self.moved_at.append(np.asarray(moved_at, dtype="datetime64[us]"))
        self.order_line.append(none if order_line is None else order_line)
        self.purchase_line.append(none if purchase_line is None else purchase_line)
        self.return_line.append(none if return_line is None else return_line)
        self.note.append(np.full(n, note, dtype=object))


def write_movements(
    ctx: DemoContext,
    timeline: Timeline,
    catalog: Catalog,
    run: StockRun,
    movements: Movements,
    purchase_line_ids: np.ndarray,
    location_ids: np.ndarray,
) -> dict[str, int]:
    """Add the simulation's own movements to the sales and returns ones, insert all, then the levels."""
    from sasame import models as m
    from sasame.ingest.bulk import next_id, units_from_cents, write_rows

    if run.opening:
        opening = np.array(run.opening, dtype=np.int64)
        movements.add(
            opening[:, 1],
            opening[:, 0],
            "adjustment",
            opening[:, 2],
            unit_cost(catalog, opening[:, 1], 0),
            np.full(len(opening), timeline.boundaries[0]),
            note="opening balance",
        )
    if run.receipts:
        receipts = np.array(run.receipts, dtype=np.int64)
        movements.add(
            receipts[:, 2],
            WAREHOUSE,
            "receipt",
            receipts[:, 3],
            unit_cost(catalog, receipts[:, 2], receipts[:, 0]),
            timeline.local_hours(receipts[:, 0], 14.0),
            purchase_line=purchase_line_ids[receipts[:, 1]],
        )
    if run.transfers:
        transfers = np.array(run.transfers, dtype=np.int64)
        movements.add(
            transfers[:, 2],
            WAREHOUSE,
            "transfer_out",
            -transfers[:, 3],
            unit_cost(catalog, transfers[:, 2], transfers[:, 0]),
            timeline.local_hours(transfers[:, 0], 16.0),
            note="FBA inbound shipment",
        )
        arrived = transfers[transfers[:, 1] < timeline.count]
        movements.add(
            arrived[:, 2],
            FBA,
            "transfer_in",
            arrived[:, 3],
            unit_cost(catalog, arrived[:, 2], arrived[:, 0]),
            timeline.local_hours(arrived[:, 1], 13.0),
            note="FBA inbound shipment received",
        )
    for kind in ("adjustment", "write_off"):
        rows = [a for a in run.adjustments if a[4] == kind]
        for note in sorted({a[5] for a in rows}):
            chosen = [a for a in rows if a[5] == note]
            day = np.array([a[0] for a in chosen], dtype=np.int64)
            variant = np.array([a[2] for a in chosen], dtype=np.int64)
            movements.add(
                variant,
                np.array([a[1] for a in chosen]),
                kind,
                np.array([a[3] for a in chosen]),
                unit_cost(catalog, variant, day),
                timeline.local_hours(day, 18.0),
                note=note,
            )

    variant = np.concatenate(movements.variant)
    location = np.concatenate(movements.location)
    quantity = np.concatenate(movements.quantity)
    moved_at = np.concatenate(movements.moved_at)
    order = np.lexsort((variant, moved_at))
    columns = {
        "variant_id": catalog.first_id + variant[order],
        "location_id": location_ids[location[order]],
        "kind": np.concatenate(movements.kind)[order],
        "quantity": quantity[order],
        "unit_cost": units_from_cents(np.concatenate(movements.cost)[order]),
        "currency": np.full(len(order), ctx.currency, dtype=object),
        "moved_at": moved_at[order],
        "note": np.concatenate(movements.note)[order],
    }
    for name, parts in (
        ("order_line_id", movements.order_line),
        ("purchase_order_line_id", movements.purchase_line),
        ("return_line_id", movements.return_line),
    ):
        values = np.concatenate(parts)[order]
        columns[name] = np.ma.masked_array(values, mask=values < 0)
    write_rows(
        ctx.connection,
        m.StockMovement,
        {"id": next_id(ctx.connection, m.StockMovement) + np.arange(len(order)), **columns},
    )

    # Stock levels are the sum of movements by construction; reserved = sold but not yet shipped.
    on_hand = np.zeros((2, catalog.count), dtype=np.int64)
    np.add.at(on_hand, (location, variant), quantity)
    reserved = getattr(run, "reserved", np.zeros_like(on_hand))
    final_stock = run.final_stock
    if final_stock is None or (on_hand < 0).any() or not np.array_equal(on_hand - reserved, final_stock):
        raise AssertionError("demo stock: the simulation and its movements disagree")
    keep = np.argwhere(~catalog.is_bundle[None, :] & np.ones((2, 1), dtype=bool))
    keep = keep[(keep[:, 0] == WAREHOUSE) | catalog.listed["amazon"][keep[:, 1]]]
    write_rows(
        ctx.connection,
        m.StockLevel,
        {
            "id": next_id(ctx.connection, m.StockLevel) + np.arange(len(keep)),
            "variant_id": catalog.first_id + keep[:, 1],
            "location_id": location_ids[keep[:, 0]],
            "on_hand": on_hand[keep[:, 0], keep[:, 1]],
            "reserved": movements_reserved(run, keep),
            "counted_at": np.full(len(keep), timeline.cutoff()),
        },
    )
    return {"stock_movements": len(order), "stock_levels": len(keep)}


def movements_reserved(run: StockRun, keep: np.ndarray) -> np.ndarray:
    reserved = getattr(run, "reserved", None)
    if reserved is None:
        return np.zeros(len(keep), dtype=np.int64)
    return reserved[keep[:, 0], keep[:, 1]]
