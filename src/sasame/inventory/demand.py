"""Daily demand per SKU, channel and location, read from orders and stock movements.

`frames(session, today)` is the one place the inventory engine reads sales and stock history; the
forecasting and policy code only ever sees the arrays and long tables it returns.

- **Sold units** come from order lines by the order's business day (cancelled orders excluded).
  A bundle's units count on the bundle and, multiplied by each component's quantity, on its
  components, because the components are what the store buys and stocks.
- **Stock available at the start of a day** is rebuilt from stock movements: receipts, returns,
  transfers and adjustments count from the first day that begins at or after the instant they
  were recorded; units sold count from the order's day (not from when the parcel shipped),
  because a sold unit is committed the moment it is ordered.
- **Censored days**: a day on which a sellable SKU started with nothing available, or sold its
  last unit, at a location. Sales on such a day say how much there was, not how much was wanted,
  so the forecast must treat the day as unknown, not as low demand.
- **Promotions**: a channel-day on which one discount code is on many orders (a campaign, not a
  customer's welcome code). **Price**: the realised net unit price per SKU and day, kept so price
  changes can be seen.
- **Variants** are grouped with their product: each variant's share of its product's units (the
  size curve) and a profile id (the product, or the category for a one-variant product) that a
  thin or new variant borrows its shape from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import BigInteger, ColumnElement, func, select, true, type_coerce
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from sasame import models as m
from sasame.business.service import store_settings
from sasame.core.clock import business_day, day_start
from sasame.core.money import from_units, to_units

if TYPE_CHECKING:
    import pandas as pd

PROMOTION_MIN_ORDERS = 3
"""A code on at least this many orders of a channel on one day, ..."""
PROMOTION_MIN_SHARE = 0.15
"""... and on at least this share of them, marks a promotion day (a welcome code never does)."""
FBA_CHANNEL_KINDS = ("amazon",)


@dataclass(frozen=True)
class PriceChange:
    """A SKU's list price on a channel (the order lines' unit price, before any discount) differing
    from its price on the SKU's previous day of sales there: the owner repriced. Discounts are not
    price changes (campaigns are promotion days, `DemandFrames.promoted`), and neither is the daily
    average price moving with the mix of channels (wholesale sells at half the shop's price)."""

    sku: int
    """The SKU's position in the frames."""
    day: int
    """The first day of sales at the new price (position from `start`)."""
    channel: str
    before_units: int
    after_units: int
    """Unit prices in 1/10,000ths."""


@dataclass
class DemandFrames:
    """Daily history of every SKU over the half-open day range [start, start + days)."""

    start: date
    days: int
    currency: str
    timezone: str
    sku: list[str]
    variant_id: np.ndarray
    product: list[str]
    """Product handle per SKU."""
    category: list[str]
    is_bundle: np.ndarray
    list_price_units: np.ndarray
    """The variant's list price in 1/10,000ths (exact storage units)."""
    unit_cost_units: np.ndarray
    """Cost of one unit (the variant's, else its preferred supplier's) in 1/10,000ths; -1 if unknown."""
    units: np.ndarray
    """[sku, day] units sold, bundles counted on themselves and exploded into their components."""
    by_channel: dict[str, np.ndarray]
    """channel code -> [sku, day] units sold through that channel (exploded like `units`)."""
    by_location: dict[str, np.ndarray]
    """location code -> [sku, day] units taken from that location's stock (exploded like `units`)."""
    available: dict[str, np.ndarray]
    """location code -> [sku, day] units available (on hand less committed) when the day began."""
    stocked_out: dict[str, np.ndarray]
    """location code -> [sku, day] True where the SKU was sellable there and started empty or sold out."""
    active: np.ndarray
    """[sku, day] True from launch (or first sign of life) until discontinuation."""
    promoted: np.ndarray
    """[sku, day] True where a channel the SKU sells on ran a promotion."""
    net_price_units: np.ndarray
    """[sku, day] realised net unit price in 1/10,000ths on days with sales, else 0."""
    price_changes: list[PriceChange] = field(default_factory=list)
    """Every change of a SKU's list price on a channel, in day order."""
    bundle_components: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    """bundle position -> [(component position, units per bundle)]."""

    @property
    def censored(self) -> np.ndarray:
        """[sku, day] True where any location the SKU sells from was out: total demand is unknown."""
        out = np.zeros_like(self.units, dtype=bool)
        for flags in self.stocked_out.values():
            out |= flags
        return out

    @property
    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def index(self) -> dict[str, int]:
        return {sku: i for i, sku in enumerate(self.sku)}

    def first_active_day(self) -> np.ndarray:
        """Position of each SKU's first active day (days when it has none)."""
        if self.days == 0:
            return np.zeros(len(self.sku), dtype=np.int64)
        any_active = self.active.any(axis=1)
        return np.where(any_active, self.active.argmax(axis=1), self.days)

    def size_share(self) -> dict[str, float]:
        """Each variant's share of its product's units sold over the history (the size curve)."""
        totals: dict[str, float] = defaultdict(float)
        sold = self.units.sum(axis=1).astype(float)
        for i, product in enumerate(self.product):
            totals[product] += sold[i]
        return {
            sku: (float(sold[i]) / totals[self.product[i]]) if totals[self.product[i]] > 0 else 0.0
            for i, sku in enumerate(self.sku)
        }

    def profiles(self) -> dict[str, str]:
        """SKU -> the profile a thin or new SKU borrows its shape from: its product, else its category."""
        variants_per_product: dict[str, int] = defaultdict(int)
        for product in self.product:
            variants_per_product[product] += 1
        return {
            sku: f"product:{self.product[i]}"
            if variants_per_product[self.product[i]] > 1
            else f"category:{self.category[i]}"
            for i, sku in enumerate(self.sku)
        }

    def history(self, skus: Iterable[str] | None = None) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
        """Long tables for the forecaster: (unique_id, ds, y), the censored flags and promotions.

        Each SKU's rows start at its first active day; inactive SKUs are left out."""
        import pandas as pd

        wanted = set(self.sku if skus is None else skus)
        first = self.first_active_day()
        dates = np.datetime64(self.start, "D") + np.arange(self.days)
        ids, ds, y, censored, promoted = [], [], [], [], []
        censored_all = self.censored
        for i, sku in enumerate(self.sku):
            if sku not in wanted or first[i] >= self.days:
                continue
            span = slice(int(first[i]), self.days)
            count = self.days - int(first[i])
            ids.append(np.full(count, sku, dtype=object))
            ds.append(dates[span])
            y.append(self.units[i, span].astype(float))
            censored.append(censored_all[i, span])
            promoted.append(self.promoted[i, span])
        if not ids:
            empty = pd.DataFrame({"unique_id": [], "ds": pd.to_datetime([]), "y": []})
            return empty, pd.Series([], dtype=bool), empty.assign(promo=[]).drop(columns="y")
        table = pd.DataFrame(
            {
                "unique_id": np.concatenate(ids),
                "ds": pd.to_datetime(np.concatenate(ds)),
                "y": np.concatenate(y),
            }
        )
        flags = pd.Series(np.concatenate(censored), index=table.index, name="censored")
        promotions = table[["unique_id", "ds"]].assign(promo=np.concatenate(promoted))
        return table, flags, promotions

    def demand_rows(self) -> Iterable[tuple[int, date, int]]:
        """(SKU position, day, units) of the backtest's demand: every active day of every SKU but the
        bundles, whose units are already in their components' rows."""
        first = self.first_active_day()
        for i in range(len(self.sku)):
            if self.is_bundle[i]:
                continue
            for d in range(int(first[i]), self.days):
                if self.active[i, d]:
                    yield i, self.start + timedelta(days=d), int(self.units[i, d])

    def to_csv_rows(self) -> Iterable[list[str]]:
        """Rows of the backtest's demand file: sku,date,units,unit_cost,price (active days only)."""
        yield ["sku", "date", "units", "unit_cost", "price"]
        costs = ["" if cost < 0 else _amount_text(int(cost)) for cost in self.unit_cost_units]
        prices = [_amount_text(int(price)) for price in self.list_price_units]
        for i, day, units in self.demand_rows():
            yield [self.sku[i], day.isoformat(), str(units), costs[i], prices[i]]


def _amount_text(units: int) -> str:
    """'6.00' for whole cents, every digit otherwise ('1.2345'): exact, and readable in a CSV."""
    amount = from_units(units)
    cents = amount.quantize(Decimal("0.01"))
    return str(cents) if cents == amount else str(amount.normalize())


def _table(result: CursorResult[Any], columns: list[str]) -> pd.DataFrame:
    """A query's rows as a frame, fetched from the driver's cursor: the queries that use it select
    only columns without result processing (plain integers, amounts as their stored integers,
    dates and instants as the driver gives them), so SQLAlchemy's Row objects would only add cost."""
    import pandas as pd

    return pd.DataFrame.from_records(result.cursor.fetchall(), columns=columns)


def frames(
    session: Session,
    today: date,
    *,
    first: date | None = None,
    skus: Collection[str] | None = None,
    promotions: bool = True,
) -> DemandFrames:
    """Read the daily demand history of every SKU up to (not including) the business day `today`.

    With `skus`, only those SKUs, the bundles that hold them (whose lines count on them) and a
    bundle's components are read, and the rows of the SKUs asked for are those of the whole store's
    frames: one SKU's chart read the whole store before (a 10,000-SKU store's 120 days took 15 s).
    Promotion days are still judged on every order; `promotions=False` skips judging them (no day
    promoted) for a reader that does not use them, like the chart: counting a 10,000-SKU store's
    orders per channel and day took 1.3 s of one SKU's 120 days."""
    import pandas as pd

    settings = store_settings(session)
    tz = settings.timezone
    wanted: set[int] | None = None
    if skus is not None:
        asked = set(session.scalars(select(m.Variant.id).where(m.Variant.sku.in_(list(skus)))))
        pairs = session.execute(
            select(m.BundleComponent.bundle_variant_id, m.BundleComponent.component_variant_id).where(
                m.BundleComponent.bundle_variant_id.in_(asked)
                | m.BundleComponent.component_variant_id.in_(asked)
            )
        ).all()
        # A bundle's lines count on its components; a bundle is as available as its components.
        wanted = asked | {bundle for bundle, _ in pairs} | {part for bundle, part in pairs if bundle in asked}

    def of_wanted(variant_column: Any) -> ColumnElement[bool]:
        return true() if wanted is None else variant_column.in_(wanted)

    variants = session.execute(
        select(
            m.Variant.id,
            m.Variant.sku,
            m.Variant.is_bundle,
            m.Variant.price,
            m.Variant.unit_cost,
            m.Variant.launched_on,
            m.Variant.discontinued_on,
            m.Product.handle,
            m.Product.category,
            m.Product.launched_on,
        )
        .join(m.Product, m.Product.id == m.Variant.product_id)
        .where(of_wanted(m.Variant.id))
        .order_by(m.Variant.sku)
    ).all()
    position = {row[0]: i for i, row in enumerate(variants)}
    n = len(variants)

    if first is None:
        # Demand history starts with the first sale; stock moved earlier still counts from day one.
        first = session.scalar(select(func.min(m.Order.order_date))) or today
    first = min(first, today)
    n_days = (today - first).days
    starts = np.array(
        [
            np.datetime64(day_start(first + timedelta(days=d), tz).replace(tzinfo=None), "us")
            for d in range(n_days + 1)
        ]
    )

    components: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for bundle_id, component_id, quantity in session.execute(
        select(
            m.BundleComponent.bundle_variant_id,
            m.BundleComponent.component_variant_id,
            m.BundleComponent.quantity,
        )
    ):
        if bundle_id in position and component_id in position:
            components[position[bundle_id]].append((position[component_id], int(quantity)))

    locations = session.execute(
        select(m.Location.id, m.Location.code, m.Location.kind).order_by(m.Location.id)
    ).all()
    location_code = {row[0]: row[1] for row in locations}
    default_location = next(
        (row[1] for row in locations if row[2] == "warehouse"), locations[0][1] if locations else ""
    )
    fba_location = next((row[1] for row in locations if row[2] == "fba"), default_location)
    channels = dict(session.execute(select(m.Channel.id, m.Channel.code)).all())
    channel_kind = dict(session.execute(select(m.Channel.id, m.Channel.kind)).all())

    def grid() -> np.ndarray:
        return np.zeros((n, n_days), dtype=np.int64)

    units = grid()
    by_channel: dict[str, np.ndarray] = {}
    by_location: dict[str, np.ndarray] = {code: grid() for code in location_code.values()}
    revenue = grid()
    direct_units = grid()

    # Read raw: millions of lines at 10,000 SKUs, so no ORM rows and no Decimal per cell (amounts
    # stay the stored integer 1/10,000ths, exact), then sum with numpy.
    connection = session.connection()
    # Where a line's stock came from: its sale movements' location, else the channel's usual one.
    shipped_from = pd.Series(
        dict(
            connection.execute(
                select(m.StockMovement.order_line_id, m.StockMovement.location_id)
                .where(
                    m.StockMovement.kind == "sale",
                    m.StockMovement.order_line_id.is_not(None),
                    of_wanted(m.StockMovement.variant_id),
                )
                .distinct()
            ).all()
        ),
        dtype="Int64",
    )
    # An order's lines count as demand on its day unless it was cancelled.
    counted = (
        m.Order.cancelled_at.is_(None),
        m.Order.fulfillment_status != "cancelled",
        m.Order.order_date >= first,
        m.Order.order_date < today,
        m.OrderLine.variant_id.is_not(None),
    )
    lines = _table(
        connection.execute(
            select(
                m.OrderLine.id,
                m.OrderLine.variant_id,
                m.OrderLine.quantity,
                type_coerce(m.OrderLine.unit_price, BigInteger),
                type_coerce(m.OrderLine.discount, BigInteger),
                type_coerce(m.Order.order_date, NullType()),
                m.Order.channel_id,
                m.Order.id,
            )
            .join(m.Order, m.Order.id == m.OrderLine.order_id)
            .where(*counted, of_wanted(m.OrderLine.variant_id))
        ),
        ["line", "variant", "quantity", "price", "discount", "day", "channel", "order"],
    )
    lines["v"] = lines["variant"].map(position)
    lines = lines[lines["v"].notna()]
    line_v = lines["v"].to_numpy(dtype=np.int64)
    line_day = (np.asarray(lines["day"], dtype="datetime64[D]") - np.datetime64(first, "D")).astype(np.int64)
    line_q = lines["quantity"].to_numpy(dtype=np.int64)
    channel = lines["channel"].to_numpy(dtype=np.int64)
    code = lines["channel"].map(channels).to_numpy(dtype=object)
    usual = np.where(
        lines["channel"].map(channel_kind).isin(FBA_CHANNEL_KINDS), fba_location, default_location
    )
    shipped = lines["line"].map(shipped_from).map(location_code)
    location = np.where(
        shipped.fillna("").to_numpy(dtype=object) != "", shipped.to_numpy(dtype=object), usual
    )
    np.add.at(direct_units, (line_v, line_day), line_q)
    np.add.at(
        revenue,
        (line_v, line_day),
        lines["price"].to_numpy(dtype=np.int64) * line_q - lines["discount"].to_numpy(dtype=np.int64),
    )
    # A bundle's line counts on the bundle and again, times the quantity, on each component.
    exploded = [(line_v, line_day, line_q, channel, code, location)]
    for bundle, bundle_parts in components.items():
        of_bundle = line_v == bundle
        for part, count in bundle_parts:
            exploded.append(
                (
                    np.full(int(of_bundle.sum()), part),
                    line_day[of_bundle],
                    line_q[of_bundle] * count,
                    channel[of_bundle],
                    code[of_bundle],
                    location[of_bundle],
                )
            )
    part_v, part_d, part_q, part_channel, part_code, part_location = (
        np.concatenate(column) for column in zip(*exploded, strict=True)
    )
    np.add.at(units, (part_v, part_d), part_q)
    for name in dict.fromkeys(part_code.tolist()):
        taken = part_code == name
        by_channel[name] = grid()
        np.add.at(by_channel[name], (part_v[taken], part_d[taken]), part_q[taken])
    for place in dict.fromkeys(part_location.tolist()):
        taken = part_location == place
        np.add.at(by_location[place], (part_v[taken], part_d[taken]), part_q[taken])
    sold_through = pd.DataFrame({"v": part_v, "channel": part_channel}).drop_duplicates()
    sellers = {int(key): group.to_numpy() for key, group in sold_through.groupby("channel")["v"]}
    promoted = np.zeros((n, n_days), dtype=bool)
    if promotions:
        # Codes count once per order. Only a channel-day where one code is on enough orders and the
        # SKUs read sell can be a promotion day: its orders are the only ones worth counting.
        codes_per_channel_day: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        order_codes = session.execute(
            select(m.Order.id, m.Order.channel_id, m.Order.order_date, m.Order.discount_codes).where(
                m.Order.discount_codes.is_not(None), m.Order.order_date >= first, m.Order.order_date < today
            )
        ).all()
        for _, channel_id, order_date, codes in order_codes:
            day = (order_date - first).days
            for discount_code in {c.strip().upper() for c in (codes or "").split(",") if c.strip()}:
                codes_per_channel_day[(channel_id, day)][discount_code] += 1
        candidates = {
            key: counts
            for key, counts in codes_per_channel_day.items()
            if key[0] in sellers and max(counts.values()) >= PROMOTION_MIN_ORDERS
        }
        if wanted is None:
            orders_per_channel_day = (
                pd.DataFrame({"channel": channel, "d": line_day, "order": lines["order"].to_numpy()})
                .groupby(["channel", "d"])["order"]
                .nunique()
                .to_dict()
            )
        elif candidates:
            # A share of the day's orders: every order counts, not only those holding the SKUs read;
            # read for the candidates' channels and days alone (a 10,000-SKU store's 120 days of every
            # order took 1.3 s of one SKU's chart).
            orders_per_channel_day = {
                (channel_id, (order_date - first).days): orders
                for channel_id, order_date, orders in session.execute(
                    select(m.Order.channel_id, m.Order.order_date, func.count(func.distinct(m.Order.id)))
                    .join(m.OrderLine, m.OrderLine.order_id == m.Order.id)
                    .where(
                        *counted,
                        m.Order.channel_id.in_(sorted({c for c, _ in candidates})),
                        m.Order.order_date.in_(sorted({first + timedelta(days=d) for _, d in candidates})),
                    )
                    .group_by(m.Order.channel_id, m.Order.order_date)
                )
            }
        else:
            orders_per_channel_day = {}
        for (channel_id, day), counts in candidates.items():
            orders = orders_per_channel_day.get((channel_id, day), 0)
            if orders and any(
                c >= PROMOTION_MIN_ORDERS and c / orders >= PROMOTION_MIN_SHARE for c in counts.values()
            ):
                promoted[sellers[channel_id], day] = True

    net_price = np.where(direct_units > 0, revenue // np.maximum(direct_units, 1), 0)
    price_changes = _price_changes(
        line_v, line_day, code, lines["price"].to_numpy(dtype=np.int64), lines["line"]
    )

    # Stock: every movement except sales counts from the first day starting at or after it.
    change = {code: np.zeros((n, n_days + 1), dtype=np.int64) for code in location_code.values()}
    seen_at = {code: np.zeros(n, dtype=bool) for code in location_code.values()}
    first_seen = np.full(n, n_days, dtype=np.int64)
    movements = _table(
        connection.execute(
            select(
                m.StockMovement.variant_id,
                m.StockMovement.location_id,
                m.StockMovement.quantity,
                type_coerce(m.StockMovement.moved_at, NullType()),
            )
            .where(m.StockMovement.kind != "sale")
            .where(m.StockMovement.moved_at < day_start(today, tz))
            .where(of_wanted(m.StockMovement.variant_id))
        ),
        ["variant", "location", "quantity", "moved_at"],
    )
    movements["v"] = movements["variant"].map(position)
    movements["place"] = movements["location"].map(location_code)
    movements = movements[movements["v"].notna() & movements["place"].notna()]
    if len(movements):
        # SQLite hands back the stored naive UTC text, PostgreSQL an aware datetime.
        moved = (
            pd.to_datetime(movements["moved_at"], utc=True, format="ISO8601")
            .dt.tz_convert(None)
            .to_numpy(dtype="datetime64[us]")
        )
        effective = np.minimum(np.searchsorted(starts, moved, side="left"), n_days)
        # The business day the movement happened on (the one it counts from, for one at midnight).
        happened = np.maximum(np.searchsorted(starts, moved, side="right") - 1, 0)
        moved_v = movements["v"].to_numpy(dtype=np.int64)
        moved_q = movements["quantity"].to_numpy(dtype=np.int64)
        moved_place = movements["place"].to_numpy(dtype=object)
        for place in dict.fromkeys(moved_place.tolist()):
            here = moved_place == place
            np.add.at(change[place], (moved_v[here], effective[here]), moved_q[here])
            seen_at[place][moved_v[here]] = True
        np.minimum.at(first_seen, moved_v, happened)
    # Sale movements without an order line (a manual sale) count from their own day like the rest.
    for variant_id, location_id, quantity, moved_at in session.execute(
        select(
            m.StockMovement.variant_id,
            m.StockMovement.location_id,
            m.StockMovement.quantity,
            m.StockMovement.moved_at,
        )
        .where(m.StockMovement.kind == "sale", m.StockMovement.order_line_id.is_(None))
        .where(m.StockMovement.moved_at < day_start(today, tz))
        .where(of_wanted(m.StockMovement.variant_id))
    ):
        v, place = position.get(variant_id), location_code.get(location_id)
        if v is None or place is None:
            continue
        d = (business_day(moved_at, tz) - first).days
        if 0 <= d < n_days:
            by_location[place][v, d] -= int(quantity)  # quantity is negative: units taken
    for code in location_code.values():
        for (variant_id,) in session.execute(
            select(m.StockLevel.variant_id)
            .join(m.Location, m.Location.id == m.StockLevel.location_id)
            .where(m.Location.code == code)
        ):
            v = position.get(variant_id)
            if v is not None:
                seen_at[code][v] = True

    active = np.zeros((n, n_days), dtype=bool)
    day_index = np.arange(n_days)
    first_sale = (
        np.where(units.any(axis=1), units.argmax(axis=1), n_days) if n_days else np.zeros(n, np.int64)
    )
    for i, row in enumerate(variants):
        launched = row[5] or row[9]
        begin = (launched - first).days if launched else int(min(first_sale[i], first_seen[i]))
        end = (row[6] - first).days if row[6] else n_days
        active[i] = (day_index >= begin) & (day_index < end)

    available: dict[str, np.ndarray] = {}
    stocked_out: dict[str, np.ndarray] = {}
    bundles = np.array([bool(row[2]) for row in variants], dtype=bool)
    for code in location_code.values():
        # Available when day d begins = movements effective by d, less units sold before d.
        received = np.cumsum(change[code], axis=1)[:, :n_days]
        sold_before = np.cumsum(by_location[code], axis=1) - by_location[code]
        level = received - sold_before
        for bundle, parts in components.items():
            # A bundle is as available as its scarcest component.
            level[bundle] = np.min([level[part] // count for part, count in parts], axis=0)
        available[code] = level
        sold_out = (level - by_location[code] <= 0) & (by_location[code] > 0)
        sellable = active & seen_at[code][:, None]
        for bundle, parts in components.items():
            sellable[bundle] = active[bundle] & np.all([seen_at[code][part] for part, _ in parts], axis=0)
        stocked_out[code] = sellable & ((level <= 0) | sold_out)

    cost = np.full(n, -1, dtype=np.int64)
    for i, row in enumerate(variants):
        if row[4] is not None:
            cost[i] = to_units(row[4])
    for variant_id, unit_cost in session.execute(
        select(m.SupplierTerm.variant_id, m.SupplierTerm.unit_cost).where(
            m.SupplierTerm.is_preferred.is_(True)
        )
    ):
        v = position.get(variant_id)
        if v is not None and cost[v] < 0:
            cost[v] = to_units(unit_cost)
    for bundle, parts in components.items():
        if cost[bundle] < 0 and all(cost[p] >= 0 for p, _ in parts):
            cost[bundle] = sum(int(cost[p]) * k for p, k in parts)

    return DemandFrames(
        start=first,
        days=n_days,
        currency=settings.currency,
        timezone=tz,
        sku=[row[1] for row in variants],
        variant_id=np.array([row[0] for row in variants], dtype=np.int64),
        product=[row[7] for row in variants],
        category=[row[8] for row in variants],
        is_bundle=bundles,
        list_price_units=np.array([to_units(row[3]) for row in variants], dtype=np.int64),
        unit_cost_units=cost,
        units=units,
        by_channel=by_channel,
        by_location=by_location,
        available=available,
        stocked_out=stocked_out,
        active=active,
        promoted=promoted,
        net_price_units=net_price,
        price_changes=price_changes,
        bundle_components=dict(components),
    )


def _price_changes(
    sku: np.ndarray, day: np.ndarray, channel: np.ndarray, price: np.ndarray, line: Any
) -> list[PriceChange]:
    """The list-price changes in the order lines read: per SKU and channel, each day's price (its last
    line's, should the price change within the day) against the day of sales before it there."""
    import pandas as pd

    lines = pd.DataFrame({"v": sku, "d": day, "channel": channel, "price": price, "line": np.asarray(line)})
    daily = lines.sort_values("line").groupby(["v", "channel", "d"], sort=True)["price"].last().reset_index()
    daily["before"] = daily.groupby(["v", "channel"])["price"].shift()
    moved = daily[daily["before"].notna() & (daily["price"] != daily["before"])].sort_values(
        ["d", "v", "channel"]
    )
    return [
        PriceChange(int(row.v), int(row.d), str(row.channel), int(row.before), int(row.price))
        for row in moved.itertuples(index=False)
    ]


def stockout_agreement(
    frames_: DemandFrames, truth_days: Mapping[tuple[str, str], Iterable[str]]
) -> dict[str, float | int]:
    """Compare detected stocked-out (sku, location, day) cells with known ones (e.g. the demo's truth).

    Only physical SKUs are compared; a bundle's outage follows from its components'."""
    known: set[tuple[str, str, int]] = set()
    for (sku, location), days_ in truth_days.items():
        for text in days_:
            d = (date.fromisoformat(text) - frames_.start).days
            if 0 <= d < frames_.days:
                known.add((sku, location, d))
    detected: set[tuple[str, str, int]] = set()
    compared = 0
    for code, flags in frames_.stocked_out.items():
        for i in np.flatnonzero(~frames_.is_bundle).tolist():
            compared += int(frames_.active[i].sum())
            for d in np.flatnonzero(flags[i]).tolist():
                detected.add((frames_.sku[i], code, d))
    known = {k for k in known if not frames_.is_bundle[frames_.index()[k[0]]]} if known else known
    both = len(known & detected)
    union = len(known | detected)
    return {
        "known": len(known),
        "detected": len(detected),
        "both": both,
        "recall": both / len(known) if known else 1.0,
        "precision": both / len(detected) if detected else 1.0,
        "jaccard": both / union if union else 1.0,
        "cells_compared": compared,
    }
