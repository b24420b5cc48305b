"""Generate the deterministic demo store: orchestrates the steps of every area in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Engine, bindparam, func, select, update

from sasame import models as m
from sasame.core.clock import business_day, ensure_utc, system_clock, zone
from sasame.core.errors import UserError
from sasame.db import current_revision, head_revision, upgrade
from sasame.demo import pnl_truth, truth
from sasame.demo.catalog import build_catalog, write_catalog
from sasame.demo.context import DemoContext, DemoScale
from sasame.demo.customers import REPEAT_VISIT_SOURCES, names_and_emails
from sasame.demo.fulfilment import plan_shipments, write_shipments
from sasame.demo.payouts import fba_fee_cents, write_bank, write_payouts
from sasame.demo.returns import plan_returns, write_returns
from sasame.demo.sales import (
    AMAZON,
    ETSY,
    PLACES,
    SHOPIFY,
    WHOLESALE,
    build_demand,
    group_sum,
    price_orders,
)
from sasame.demo.supply import (
    FBA,
    SUPPLIERS,
    WAREHOUSE,
    Movements,
    simulate_stock,
    supplier_terms,
    unit_cost,
    write_movements,
    write_purchase_orders,
    write_suppliers,
)
from sasame.demo.timeline import Timeline
from sasame.ingest.bulk import (
    deferred_indexes,
    next_id,
    reset_sequences,
    table_of,
    units_from_cents,
    write_rows,
)

STORE_NAME = "Sasame Goods Co."
CHANNEL_ROWS = [
    ("shopify", "Shopify store (sasamegoods.com)", "shopify"),
    ("amazon", "Amazon.com (FBA, US)", "amazon"),
    ("etsy", "Etsy shop SasameGoods", "etsy"),
    ("wholesale", "Wholesale accounts", "wholesale"),
]
LOCATION_ROWS = [("warehouse", "Own warehouse, Columbus OH", "warehouse"), ("fba", "Amazon FBA (US)", "fba")]
BOUTIQUES = (
    "Juniper & Co",
    "Fern Mercantile",
    "The Salt Shed",
    "Little Harbor Goods",
    "Common Thread Boutique",
    "Northway General",
    "Marigold Market",
    "Oak & Ember",
    "Tidewater Supply",
    "Kindred Home",
    "Wild Rye Outfitters",
    "Bluebird Gift Shop",
    "Copper Kettle Goods",
    "Hearth & Field",
)
Progress = Callable[[str, float], None]
BULK_TABLES = [
    m.Customer,
    m.Order,
    m.OrderLine,
    m.Shipment,
    m.TrackingEvent,
    m.PayoutLine,
    m.Payout,
    m.StockMovement,
    m.Refund,
    m.Return,
    m.ReturnLine,
]
NULL = np.array(None, dtype=object)
"""A missing value as numpy's stubs accept it (np.select/np.where turn a bare None into exactly this)."""


def generate_demo_store(
    engine: Engine,
    *,
    seed: int = 7,
    scale: DemoScale | None = None,
    end: date | None = None,
    now: datetime | None = None,
    timezone: str = "America/New_York",
    currency: str = "USD",
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Fill an empty database with a realistic store; the same seed, end and scale give the same rows."""
    scale = scale or DemoScale()
    tz = zone(timezone)
    instant = ensure_utc(now or system_clock())
    end = end or business_day(instant, tz)
    start = end - timedelta(weeks=scale.weeks)
    if current_revision(engine) != head_revision():
        upgrade(engine)
    report = progress or (lambda _step, _fraction: None)
    with engine.begin() as connection:
        for model, what in ((m.Order, "orders"), (m.Product, "products"), (m.Channel, "channels")):
            if connection.scalar(select(func.count()).select_from(model)):
                raise UserError(
                    f"the database already holds {what}: generate the demo store into an empty database"
                )
        ctx = DemoContext(connection, seed, scale, start, end, instant, tz, currency.upper())
        summary = _generate(ctx, report)
    report("done", 1.0)
    return summary


def _generate(ctx: DemoContext, report: Progress) -> dict[str, Any]:
    """Run the commerce steps with deferred indexes, then marketing and the inbox, then the truth."""
    with deferred_indexes(ctx.connection, BULK_TABLES):
        summary = _commerce(ctx, report)
    report("marketing", 0.86)
    from sasame.demo.marketing import generate_marketing

    generate_marketing(ctx)
    report("inbox", 0.94)
    from sasame.demo.inbox import generate_inbox

    generate_inbox(ctx)
    report("support history", 0.97)
    from sasame.demo.support_history import generate_support_history

    generate_support_history(ctx)
    truth.write(ctx)
    reset_sequences(ctx.connection, [table for table in m.Base.metadata.sorted_tables if "id" in table.c])
    return summary


def _commerce(ctx: DemoContext, report: Progress) -> dict[str, Any]:
    """Generate the store's commerce: catalogue, customers, orders, stock, shipments, returns, money."""
    connection = ctx.connection
    timeline = Timeline.build(ctx.start, ctx.end, ctx.timezone)
    cutoff = timeline.cutoff()
    n_days = timeline.count

    report("catalogue", 0.02)
    channel_ids, location_ids = _write_business(ctx, timeline)
    catalog = build_catalog(ctx, timeline, next_id(connection, m.Variant))
    write_catalog(ctx, catalog, timeline, next_id(connection, m.Product))
    terms = supplier_terms(ctx, catalog)
    supplier_ids = write_suppliers(ctx, catalog, terms)

    report("customers and demand", 0.08)
    demand = build_demand(ctx, timeline, catalog)
    plan = plan_shipments(ctx, timeline, demand.channel, demand.day, demand.placed_at)
    returns_plan = plan_returns(
        ctx, timeline, catalog, demand.channel, plan.delivered_at, demand.line_order, demand.line_variant
    )

    report("stock simulation", 0.18)
    line_day = demand.day[demand.line_order]
    run = simulate_stock(
        ctx,
        timeline,
        catalog,
        terms,
        line_day,
        demand.line_variant,
        demand.line_quantity,
        demand.line_location,
        returns_plan.restock_day,
    )

    report("orders", 0.30)
    kept_lines = np.flatnonzero(run.sold)
    kept_orders = np.unique(demand.line_order[kept_lines])
    order_position = np.full(demand.order_count, -1, dtype=np.int64)
    order_position[kept_orders] = np.arange(len(kept_orders))
    line_position = order_position[demand.line_order[kept_lines]]
    channel = demand.channel[kept_orders]
    placed_at = demand.placed_at[kept_orders]
    day = demand.day[kept_orders]
    variant = demand.line_variant[kept_lines]
    quantity = demand.line_quantity[kept_lines]
    location = demand.line_location[kept_lines]
    order_ids = next_id(connection, m.Order) + np.arange(len(kept_orders))
    line_ids = next_id(connection, m.OrderLine) + np.arange(len(kept_lines))

    customer_of_order, customer_ids, customer_rows = _customers(ctx, demand, kept_orders, channel_ids)
    is_first = demand.is_first[kept_orders]
    visit = demand.visit[kept_orders]
    place = demand.place[kept_orders]
    priced = price_orders(
        ctx, timeline, catalog, channel, day, is_first, visit, place, line_position, variant, quantity
    )
    shipped = plan.shipped_at[kept_orders] < cutoff

    report("orders", 0.38)
    # Orders are written as paid; refunds and unpaid invoices update their status below.
    financial = np.full(len(kept_orders), "paid", dtype=object)
    _write_orders(
        ctx,
        catalog,
        demand,
        kept_orders,
        order_ids,
        channel,
        channel_ids,
        placed_at,
        day,
        customer_ids[customer_of_order],
        customer_rows["email"][customer_of_order],
        visit,
        place,
        priced,
        financial,
        shipped,
    )
    write_rows(
        connection,
        m.OrderLine,
        {
            "id": line_ids,
            "order_id": order_ids[line_position],
            "variant_id": catalog.first_id + variant,
            "sku": np.array(catalog.sku, dtype=object)[variant],
            "title": np.array(catalog.title, dtype=object)[variant],
            "quantity": quantity,
            "unit_price": units_from_cents(priced.line_unit_price),
            "discount": units_from_cents(priced.line_discount),
            "tax": units_from_cents(priced.line_tax),
        },
    )

    pnl_truth.record_orders(ctx, n_days, channel, day, priced)
    report("shipments and returns", 0.45)
    shipped_orders = plan.shipped_at[kept_orders] < cutoff
    pnl_truth.record_labels(
        ctx,
        n_days,
        channel[shipped_orders],
        timeline.day_of(plan.shipped_at[kept_orders][shipped_orders]),
        plan.label_cents[kept_orders][shipped_orders],
    )
    write_shipments(
        ctx,
        timeline,
        plan,
        order_ids,
        kept_orders,
        np.where(channel == AMAZON, location_ids[FBA], location_ids[WAREHOUSE]),
    )
    line_net = priced.line_unit_price * quantity - priced.line_discount
    money_back = write_returns(
        ctx,
        timeline,
        returns_plan,
        kept_orders=kept_orders,
        kept_lines=kept_lines,
        order_ids=order_ids,
        line_ids=line_ids,
        line_order_position=line_position,
        channel=channel,
        placed_at=placed_at,
        total_cents=priced.total,
        shipping_cents=priced.shipping,
        line_net_cents=line_net,
        line_tax_cents=priced.line_tax,
        line_quantity=quantity,
    )

    report("payouts", 0.55)
    units = group_sum(quantity, line_position, len(kept_orders))
    fba = group_sum(fba_fee_cents(catalog.grams[variant]) * quantity, line_position, len(kept_orders))
    payout_summary = write_payouts(
        ctx,
        timeline,
        channel_ids=channel_ids,
        order_ids=order_ids,
        channel=channel,
        placed_at=placed_at,
        subtotal=priced.subtotal,
        discount=priced.discount,
        shipping=priced.shipping,
        tax=priced.tax,
        total=priced.total,
        units=units,
        fba_fees=fba,
        refund_order=money_back.refund_order,
        refund_at=money_back.refund_at,
        refund_cents=money_back.refund_cents,
        refund_tax_cents=money_back.refund_tax_cents,
        refund_merchandise_cents=money_back.refund_merchandise_cents,
        chargeback_order=money_back.chargeback_order,
        chargeback_opened_at=money_back.chargeback_opened_at,
        chargeback_resolved_at=money_back.chargeback_resolved_at,
        chargeback_won=money_back.chargeback_won,
        chargeback_cents=money_back.chargeback_cents,
        customer_names=customer_rows["business_names"][customer_of_order],
    )

    refunded = money_back.refunded_cents_per_order
    financial = np.where(
        refunded >= priced.total, "refunded", np.where(refunded > 0, "partially_refunded", "paid")
    )
    financial = np.where((channel == WHOLESALE) & ~payout_summary["wholesale_paid"], "pending", financial)
    changed = np.flatnonzero(financial != "paid")
    if len(changed):
        orders = table_of(m.Order)
        connection.execute(
            update(orders)
            .where(orders.c.id == bindparam("order_id"))
            .values(financial_status=bindparam("status")),
            [{"order_id": int(order_ids[i]), "status": str(financial[i])} for i in changed.tolist()],
        )

    report("stock", 0.72)
    purchase_line_ids = write_purchase_orders(
        ctx, timeline, run, supplier_ids, int(location_ids[WAREHOUSE]), catalog.first_id
    )
    movements = Movements()
    shipped_at = plan.shipped_at[kept_orders][line_position]
    line_shipped = shipped[line_position]
    received_at = returns_plan.received_at[kept_orders][line_position]
    restocked = (returns_plan.restock_day[kept_lines] >= 0) & (returns_plan.restock_day[kept_lines] < n_days)
    reserved = np.zeros((2, catalog.count), dtype=np.int64)
    single = ~catalog.is_bundle[variant]
    for selected, kind, sign, when in (
        (line_shipped, "sale", -1, shipped_at),
        (restocked, "return", 1, received_at),
    ):
        chosen = selected & single
        extra = (
            {"order_line": line_ids[chosen]}
            if kind == "sale"
            else {"return_line": money_back.return_line_ids[chosen]}
        )
        movements.add(
            variant[chosen],
            location[chosen],
            kind,
            sign * quantity[chosen],
            unit_cost(catalog, variant[chosen], day[line_position[chosen]]),
            when[chosen],
            **extra,
        )
    unshipped = ~line_shipped & single
    np.add.at(reserved, (location[unshipped], variant[unshipped]), quantity[unshipped])
    for bundle, parts in sorted(catalog.components.items()):
        for part, count in parts:
            for selected, kind, sign, when in (
                (line_shipped, "sale", -1, shipped_at),
                (restocked, "return", 1, received_at),
            ):
                chosen = selected & (variant == bundle)
                extra = (
                    {"order_line": line_ids[chosen]}
                    if kind == "sale"
                    else {"return_line": money_back.return_line_ids[chosen]}
                )
                movements.add(
                    np.full(int(chosen.sum()), part),
                    WAREHOUSE,
                    kind,
                    sign * quantity[chosen] * count,
                    unit_cost(catalog, np.full(int(chosen.sum()), part), day[line_position[chosen]]),
                    when[chosen],
                    **extra,
                )
            waiting = ~line_shipped & (variant == bundle)
            reserved[WAREHOUSE, part] += int(quantity[waiting].sum()) * count
    run.reserved = reserved  # type: ignore[attr-defined]
    stock_counts = write_movements(ctx, timeline, catalog, run, movements, purchase_line_ids, location_ids)
    pnl_truth.record_goods(
        ctx,
        timeline,
        movements,
        line_ids,
        channel[line_position],
        money_back.return_line_ids,
        purchase_line_ids,
        run,
    )

    report("bank", 0.80)
    other_bank = _other_bank_lines(ctx, timeline, run, catalog)
    bank_count = write_bank(ctx, payout_summary["deposits"], other_bank)

    report("ground truth", 0.84)
    truth.collect(
        ctx, timeline, catalog, demand, run, terms, channel, day, priced, customer_rows, kept_orders
    )

    counts = {
        "orders": len(kept_orders),
        "order_lines": len(kept_lines),
        "customers": len(customer_ids),
        "skus": int((catalog.discontinue_day >= n_days).sum()),
        "payouts": payout_summary["payouts"],
        "bank_transactions": bank_count,
        **stock_counts,
    }
    return {
        **counts,
        "first_day": ctx.start.isoformat(),
        "last_day": (ctx.end - timedelta(days=1)).isoformat(),
    }


def _write_business(ctx: DemoContext, timeline: Timeline) -> tuple[dict[int, int], np.ndarray]:
    """Insert (or update) the settings row, the four channels and the two stock locations."""
    connection = ctx.connection
    created = timeline.boundaries[0].astype(datetime).replace(tzinfo=ensure_utc(ctx.now).tzinfo)
    existing = connection.scalar(select(m.BusinessSetting.id).order_by(m.BusinessSetting.id).limit(1))
    if existing is None:
        write_rows(
            connection,
            m.BusinessSetting,
            {
                "id": [next_id(connection, m.BusinessSetting)],
                "name": [STORE_NAME],
                "currency": [ctx.currency],
                "timezone": [ctx.timezone.key],
                "created_at": [created],
            },
        )
    else:
        connection.execute(
            update(m.BusinessSetting)
            .where(m.BusinessSetting.id == existing)
            .values(name=STORE_NAME, currency=ctx.currency, timezone=ctx.timezone.key)
        )
    first = next_id(connection, m.Channel)
    write_rows(
        connection,
        m.Channel,
        {
            "id": first + np.arange(len(CHANNEL_ROWS)),
            "code": [c[0] for c in CHANNEL_ROWS],
            "name": [c[1] for c in CHANNEL_ROWS],
            "kind": [c[2] for c in CHANNEL_ROWS],
            "currency": [ctx.currency] * len(CHANNEL_ROWS),
        },
    )
    location_first = next_id(connection, m.Location)
    write_rows(
        connection,
        m.Location,
        {
            "id": location_first + np.arange(len(LOCATION_ROWS)),
            "code": [c[0] for c in LOCATION_ROWS],
            "name": [c[1] for c in LOCATION_ROWS],
            "kind": [c[2] for c in LOCATION_ROWS],
        },
    )
    return {i: first + i for i in range(len(CHANNEL_ROWS))}, location_first + np.arange(len(LOCATION_ROWS))


def _customers(
    ctx: DemoContext, demand: Any, kept_orders: np.ndarray, channel_ids: dict[int, int]
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Insert the customers who placed at least one order, numbered by their first order."""
    rng = ctx.rng("customers.rows")
    book = demand.customers
    buyer = demand.customer[kept_orders]
    unique, first_index = np.unique(buyer, return_index=True)
    by_first = np.argsort(first_index, kind="stable")
    people = unique[by_first]
    first_order = kept_orders[first_index[by_first]]
    position = np.full(len(book.channel), -1, dtype=np.int64)
    position[people] = np.arange(len(people))
    ids = next_id(ctx.connection, m.Customer) + np.arange(len(people))
    channel = book.channel[people]
    has_email = (channel != AMAZON) | (rng.random(len(people)) < 0.12)
    names, emails = names_and_emails(rng, ids, has_email)
    business_names = np.array(names, dtype=object)
    for i in np.flatnonzero(channel == WHOLESALE).tolist():
        boutique = BOUTIQUES[int(people[i]) % len(BOUTIQUES)]
        suffix = "" if int(people[i]) < len(BOUTIQUES) else f" #{int(people[i]) // len(BOUTIQUES) + 1}"
        names[i] = business_names[i] = f"{boutique}{suffix}"
        emails[i] = f"buyer{int(ids[i])}@{boutique.lower().replace(' & ', '-').replace(' ', '')}.example"
    for i in np.flatnonzero((channel == AMAZON) & has_email).tolist():
        emails[i] = f"{int(ids[i]):x}q{int(people[i]) % 9973:04d}@marketplace.amazon.com"
        names[i] = None  # type: ignore[call-overload]
    for i in np.flatnonzero((channel == AMAZON) & ~has_email).tolist():
        names[i] = None  # type: ignore[call-overload]
    source = np.array(book.source, dtype=object)[people]
    orders_each = np.bincount(position[buyer], minlength=len(people))
    accepts = (channel == SHOPIFY) & ((source == "email") | (rng.random(len(people)) < 0.55))
    write_rows(
        ctx.connection,
        m.Customer,
        {
            "id": ids,
            "email": emails,
            "name": names,
            "first_seen_at": demand.placed_at[first_order],
            "acquisition_channel_id": np.array([channel_ids[c] for c in range(4)])[channel],
            "acquisition_source": source,
            "accepts_marketing": accepts,
            "is_vip": (orders_each >= 5) | (channel == WHOLESALE) & (orders_each >= 12),
            "country": ["US"] * len(people),
        },
    )
    rows = {
        "email": np.array(emails, dtype=object),
        "business_names": business_names,
        "people": people,
        "ids": ids,
        "source": source,
        "channel": channel,
        "orders": orders_each,
    }
    return position[buyer], ids, rows


def _write_orders(
    ctx: DemoContext,
    catalog: Any,
    demand: Any,
    kept_orders: np.ndarray,
    order_ids: np.ndarray,
    channel: np.ndarray,
    channel_ids: dict[int, int],
    placed_at: np.ndarray,
    day: np.ndarray,
    customer_id: np.ndarray,
    email: np.ndarray,
    visit: np.ndarray,
    place: np.ndarray,
    priced: Any,
    financial: np.ndarray,
    shipped: np.ndarray,
) -> None:
    """Insert the orders with their platform numbers, addresses and (Shopify) marketing source."""
    rng = ctx.rng("sales.orders")
    n = len(kept_orders)
    sequence = np.zeros(n, dtype=np.int64)
    for c in range(4):
        chosen = channel == c
        sequence[chosen] = np.arange(int(chosen.sum()))
    digits = rng.integers(0, 10**7, size=(n, 2)).tolist()
    external, number = [], []
    for i, (c, k) in enumerate(zip(channel.tolist(), sequence.tolist(), strict=True)):
        if c == SHOPIFY:
            external.append(str(5_200_000_000_000 + k * 7919 + digits[i][0] % 7919))
            number.append(f"#{1001 + k}")
        elif c == AMAZON:
            amazon_id = f"11{1 + k % 4}-{(k * 7_654_321 + 1_234_567) % 10**7:07d}-{digits[i][1]:07d}"
            external.append(amazon_id)
            number.append(amazon_id)
        elif c == ETSY:
            receipt = str(2_900_000_000 + k * 53 + digits[i][0] % 53)
            external.append(receipt)
            number.append(receipt)
        else:
            external.append(f"W-{2001 + k}")
            number.append(f"W-{2001 + k}")
    visit_name = np.array([*REPEAT_VISIT_SOURCES, ""], dtype=object)[
        np.where(visit >= 0, visit, len(REPEAT_VISIT_SOURCES))
    ]
    shopify = channel == SHOPIFY
    meta_platform = np.where(rng.random(n) < 0.62, "facebook", "instagram")
    utm_source = np.select(
        [
            shopify & (visit_name == "google"),
            shopify & (visit_name == "meta"),
            shopify & (visit_name == "email"),
        ],
        [
            np.full(n, "google", dtype=object),
            meta_platform.astype(object),
            np.full(n, "klaviyo", dtype=object),
        ],
        default=NULL,
    )
    utm_medium = np.select(
        [
            shopify & (visit_name == "google"),
            shopify & (visit_name == "meta"),
            shopify & (visit_name == "email"),
        ],
        [
            np.full(n, "cpc", dtype=object),
            np.full(n, "paid_social", dtype=object),
            np.full(n, "email", dtype=object),
        ],
        default=NULL,
    )
    referrer = np.select(
        [
            shopify & (visit_name == "google"),
            shopify & (visit_name == "organic"),
            shopify & (visit_name == "meta"),
        ],
        [
            np.full(n, "https://www.google.com/", dtype=object),
            np.full(n, "https://www.google.com/", dtype=object),
            np.where(
                meta_platform == "facebook", "https://l.facebook.com/", "https://l.instagram.com/"
            ).astype(object),
        ],
        default=NULL,
    )
    first_line_variant = demand.line_variant[np.searchsorted(demand.line_order, kept_orders)]
    handles = np.array(catalog.product_handles, dtype=object)[catalog.product[first_line_variant]]
    landing = np.where(
        shopify, np.where(visit_name == "direct", "/", "/products/" + handles.astype(str)), NULL
    )
    places = np.array(PLACES, dtype=object)
    write_rows(
        ctx.connection,
        m.Order,
        {
            "id": order_ids,
            "channel_id": np.array([channel_ids[c] for c in range(4)])[channel],
            "external_id": external,
            "number": number,
            "customer_id": customer_id,
            "email": email,
            "ordered_at": placed_at,
            "order_date": np.datetime64(ctx.start, "D") + day,
            "currency": np.full(n, ctx.currency, dtype=object),
            "subtotal": units_from_cents(priced.subtotal),
            "discount_total": units_from_cents(priced.discount),
            "shipping_total": units_from_cents(priced.shipping),
            "tax_total": units_from_cents(priced.tax),
            "total": units_from_cents(priced.total),
            "financial_status": financial,
            "fulfillment_status": np.where(shipped, "fulfilled", "unfulfilled"),
            "discount_codes": priced.code,
            "ship_country": np.full(n, "US", dtype=object),
            "ship_region": places[place, 1],
            "ship_city": places[place, 0],
            "ship_postal_code": places[place, 2],
            "utm_source": utm_source,
            "utm_medium": utm_medium,
            "referrer": referrer,
            "landing_page": landing,
        },
    )


def _other_bank_lines(
    ctx: DemoContext, timeline: Timeline, run: Any, catalog: Any
) -> list[tuple[np.datetime64, int, str]]:
    """Return the bank's other lines: supplier payments on receipt, rent, and software subscriptions."""
    start = np.datetime64(timeline.start, "D")
    lines: list[tuple[np.datetime64, int, str]] = []
    paid: dict[int, int] = {}
    first_receipt: dict[int, int] = {}
    for when, position, _variant, units in run.receipts:
        line = run.purchase_lines[position]
        paid[line["po"]] = paid.get(line["po"], 0) + units * line["cost"]
        first_receipt[line["po"]] = min(first_receipt.get(line["po"], when), when)
    for po, cents in sorted(paid.items()):
        supplier = SUPPLIERS[run.purchase_orders[po]["supplier"]]
        landed = cents * (100 + supplier.freight_percent + supplier.duty_percent) // 100
        posted = np.busday_offset(start + first_receipt[po] + 2, 0, roll="forward")
        if posted < start + timeline.count:
            lines.append((posted, -int(landed), f"WIRE OUT {supplier.name.upper()} PO-{1000 + po}"))
    month = np.datetime64(timeline.start, "M")
    while month < np.datetime64(timeline.end, "M") + 1:
        first_day = month.astype("datetime64[D]")
        for offset, cents, text in (
            (0, -240_000, "ACH DEBIT COLUMBUS WAREHOUSE LLC RENT"),
            (4, -7_900, "SHOPIFY* SUBSCRIPTION"),
            (9, -4_500, "KLAVIYO INC"),
            (14, -2_900, "QUICKBOOKS ONLINE"),
        ):
            posted = np.busday_offset(first_day + offset, 0, roll="forward")
            if start <= posted < start + timeline.count:
                lines.append((posted, cents, text))
        month += 1
    return lines
