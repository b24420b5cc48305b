"""A small store written with plain inserts, following the core generator's contract.

It stands in for the core demo generator in the marketing and inbox tests: channels, a catalog
with sizes and colours, customers, orders with UTM by visit source, shipments with tracking
events in every state, returns and refunds, stock and an open purchase order.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection, Table

from sasame.demo.context import DemoContext, DemoScale
from sasame.models import (
    BusinessSetting,
    Channel,
    Customer,
    Location,
    Order,
    OrderLine,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Refund,
    Return,
    ReturnLine,
    Shipment,
    StockLevel,
    Supplier,
    TrackingEvent,
    Variant,
)

TIMEZONE = ZoneInfo("America/New_York")
END = date(2025, 3, 3)
NOW = datetime.combine(END, time(9, 30), tzinfo=TIMEZONE).astimezone(UTC)

PRODUCTS = [
    (
        "linen-button-up-shirt",
        "Linen Button-Up Shirt",
        "Tops",
        68,
        ["XS", "S", "M", "L", "XL"],
        ["White", "Sage"],
    ),
    ("organic-cotton-tee", "Organic Cotton Tee", "Tops", 32, ["S", "M", "L"], ["Black", "Oat", "Navy"]),
    ("wide-leg-trousers", "Wide-Leg Trousers", "Bottoms", 89, ["S", "M", "L"], ["Charcoal"]),
    ("canvas-tote-bag", "Canvas Tote Bag", "Accessories", 28, [None], ["Natural"]),
    ("merino-beanie", "Merino Beanie", "Accessories", 35, [None], ["Rust", "Grey"]),
]
# Visit sources of Shopify orders and their UTM, as the core generator sets them.
SOURCES = [
    (("google", "cpc", None), 0.22),
    (("facebook", "paid_social", None), 0.14),
    (("instagram", "paid_social", None), 0.08),
    (("klaviyo", "email", None), 0.18),
    ((None, None, "https://www.google.com/"), 0.2),
    ((None, None, None), 0.18),
]
FIRST_NAMES = [
    "Anna",
    "Ben",
    "Chloe",
    "David",
    "Emma",
    "Farid",
    "Grace",
    "Hiro",
    "Isla",
    "Jonas",
    "Kemi",
    "Liam",
    "Maya",
    "Noah",
    "Olivia",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tariq",
]
LAST_NAMES = ["Smith", "Nguyen", "Garcia", "Okafor", "Müller", "Rossi", "Kim", "Brown", "Dubois", "Khan"]


def _insert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    return [connection.execute(table.insert().returning(table.c.id), row).scalar_one() for row in rows]


def build_small_store(
    connection: Connection, *, weeks: int = 20, orders_per_week: int = 70, seed: int = 7
) -> DemoContext:
    """Write the store and return a DemoContext over its history."""
    rng = np.random.default_rng(seed)
    start = END - timedelta(weeks=weeks)
    usd = "USD"
    _insert(
        connection,
        BusinessSetting.__table__,
        [{"name": "Kumo & Thread", "currency": usd, "timezone": "America/New_York", "created_at": NOW}],
    )
    shopify, amazon, etsy, wholesale = _insert(
        connection,
        Channel.__table__,
        [
            {"code": "shopify", "name": "Shopify", "kind": "shopify", "currency": usd},
            {"code": "amazon-us", "name": "Amazon US", "kind": "amazon", "currency": usd},
            {"code": "etsy", "name": "Etsy", "kind": "etsy", "currency": usd},
            {"code": "wholesale", "name": "Wholesale", "kind": "wholesale", "currency": usd},
        ],
    )
    warehouse, fba = _insert(
        connection,
        Location.__table__,
        [
            {"code": "wh", "name": "Warehouse", "kind": "warehouse"},
            {"code": "fba", "name": "Amazon FBA", "kind": "fba"},
        ],
    )
    supplier = _insert(
        connection,
        Supplier.__table__,
        [{"name": "Hanoi Linen Co", "currency": usd, "quoted_lead_time_days": 45, "country": "VN"}],
    )[0]

    variants: list[dict[str, Any]] = []
    for handle, title, category, price, sizes, colours in PRODUCTS:
        product_id = _insert(
            connection,
            Product.__table__,
            [{"handle": handle, "title": title, "category": category, "launched_on": start}],
        )[0]
        for colour in colours:
            for size in sizes:
                sku = "-".join(x for x in (handle[:4].upper(), colour[:3].upper(), size) if x)
                name = " / ".join(x for x in (colour, size) if x)
                row = {
                    "product_id": product_id,
                    "sku": sku,
                    "title": f"{title} - {name}",
                    "size": size,
                    "colour": colour,
                    "price": Decimal(price),
                    "currency": usd,
                }
                row["id"] = _insert(connection, Variant.__table__, [row])[0]
                variants.append(row)
    # Stock: most in stock, a few sold out (with a purchase order on the way for one of them).
    stock_rows = []
    for i, v in enumerate(variants):
        on_hand = 0 if i % 7 == 3 else int(rng.integers(3, 60))
        stock_rows.append(
            {
                "variant_id": v["id"],
                "location_id": warehouse,
                "on_hand": on_hand,
                "reserved": 0,
                "counted_at": NOW,
            }
        )
    connection.execute(StockLevel.__table__.insert(), stock_rows)
    po = _insert(
        connection,
        PurchaseOrder.__table__,
        [
            {
                "number": "PO-1001",
                "supplier_id": supplier,
                "location_id": warehouse,
                "status": "sent",
                "ordered_at": NOW - timedelta(days=20),
                "expected_on": END + timedelta(days=12),
                "currency": usd,
            }
        ],
    )[0]
    connection.execute(
        PurchaseOrderLine.__table__.insert(),
        [
            {
                "purchase_order_id": po,
                "variant_id": variants[3]["id"],
                "quantity_ordered": 100,
                "unit_cost": Decimal("18.50"),
            }
        ],
    )

    n_customers = max(40, weeks * orders_per_week // 3)
    customers = []
    for i in range(n_customers):
        first, last = FIRST_NAMES[i % len(FIRST_NAMES)], LAST_NAMES[(i // 3) % len(LAST_NAMES)]
        customers.append(
            {
                "email": f"{first.lower()}.{last.lower().replace('ü', 'u')}{i}@example.com",
                "name": f"{first} {last}",
                "first_seen_at": datetime.combine(start, time(12), tzinfo=UTC)
                + timedelta(days=int(rng.integers(0, weeks * 7))),
                "acquisition_source": ["google", "meta", "email", "organic", "direct"][i % 5],
                "accepts_marketing": bool(i % 3),
                "country": "US",
            }
        )
    customer_ids = _insert(connection, Customer.__table__, customers)
    for row, cid in zip(customers, customer_ids, strict=True):
        row["id"] = cid

    n_days = weeks * 7
    source_p = np.array([p for _, p in SOURCES])
    orders, lines, shipments = [], [], []
    number = 1000
    for day in range(n_days):
        business_day = start + timedelta(days=day)
        for _ in range(int(rng.poisson(orders_per_week / 7))):
            channel_draw = rng.random()
            channel = (
                shopify
                if channel_draw < 0.7
                else amazon
                if channel_draw < 0.88
                else etsy
                if channel_draw < 0.97
                else wholesale
            )
            at = datetime.combine(business_day, time(0), tzinfo=TIMEZONE) + timedelta(
                seconds=int(rng.integers(6 * 3600, 23 * 3600))
            )
            customer = customers[int(rng.integers(0, n_customers))]
            picked = [
                variants[int(j)] for j in rng.choice(len(variants), int(rng.integers(1, 3)), replace=False)
            ]
            subtotal = sum(v["price"] for v in picked)
            shipping = Decimal(0) if subtotal >= 75 else Decimal("6.95")
            utm_source = utm_medium = referrer = None
            if channel == shopify:
                number += 1
                display = f"#{number}"
                external = str(5_600_000_000 + number)
                (utm_source, utm_medium, referrer) = SOURCES[int(rng.choice(len(SOURCES), p=source_p))][0]
            elif channel == amazon:
                middle, last = (int(x) for x in rng.integers(10**6, 10**7, 2))
                display = external = f"11{int(rng.integers(1, 5))}-{middle}-{last}"
            else:
                display = external = str(int(rng.integers(3_100_000_000, 3_400_000_000)))
            is_cancelled = rng.random() < 0.02 and day > n_days - 10
            orders.append(
                {
                    "channel_id": channel,
                    "external_id": external,
                    "number": display,
                    "customer_id": customer["id"] if channel != amazon else None,
                    "email": customer["email"] if channel != amazon else None,
                    "ordered_at": at,
                    "order_date": business_day,
                    "currency": usd,
                    "subtotal": subtotal,
                    "shipping_total": shipping,
                    "tax_total": Decimal(0),
                    "total": subtotal + shipping,
                    "financial_status": "voided" if is_cancelled else "paid",
                    "fulfillment_status": "cancelled" if is_cancelled else "unfulfilled",
                    "cancelled_at": at + timedelta(hours=2) if is_cancelled else None,
                    "utm_source": utm_source,
                    "utm_medium": utm_medium,
                    "referrer": referrer,
                    "ship_country": "US",
                    "ship_city": "Portland",
                    "ship_region": "OR",
                }
            )
            lines.append(picked)
    order_ids = _insert(connection, Order.__table__, orders)
    line_rows = []
    for order_id, picked in zip(order_ids, lines, strict=True):
        for v in picked:
            line_rows.append(
                {
                    "order_id": order_id,
                    "variant_id": v["id"],
                    "sku": v["sku"],
                    "title": v["title"],
                    "quantity": 1,
                    "unit_price": v["price"],
                }
            )
    line_ids = _insert(connection, OrderLine.__table__, line_rows)
    first_line = {}
    for lid, row in zip(line_ids, line_rows, strict=True):
        first_line.setdefault(row["order_id"], lid)

    # Fulfilment: shipped a day or two after ordering; delivered 2-7 days later unless that is
    # after 'now'; a few exceptions. Orders of the last day or two are still unfulfilled.
    updates, events = [], []
    returns = []
    for order_id, row in zip(order_ids, orders, strict=True):
        if row["fulfillment_status"] == "cancelled":
            continue
        shipped_at = row["ordered_at"] + timedelta(hours=int(rng.integers(18, 60)))
        if shipped_at > NOW:
            continue
        transit = timedelta(hours=int(rng.integers(40, 170)))
        delivered_at = shipped_at + transit
        is_exception = rng.random() < 0.04
        status = "exception" if is_exception else ("delivered" if delivered_at <= NOW else "in_transit")
        carrier = "UPS" if rng.random() < 0.5 else "USPS"
        tracking = (
            f"1Z{int(rng.integers(10**9, 10**10))}A{int(rng.integers(10**5, 10**6))}"
            if carrier == "UPS"
            else f"9400{int(rng.integers(10**17, 10**18))}"
        )
        shipments.append(
            {
                "order_id": order_id,
                "location_id": warehouse if row["channel_id"] != amazon else fba,
                "carrier": carrier,
                "service": "Ground",
                "tracking_number": tracking,
                "status": status,
                "shipped_at": shipped_at,
                "estimated_delivery_at": shipped_at + timedelta(days=4),
                "delivered_at": delivered_at if status == "delivered" else None,
                "currency": usd,
                "label_cost": Decimal("7.40"),
            }
        )
        updates.append(order_id)
        trail = [
            (shipped_at - timedelta(hours=3), "label_created", "Shipping label created"),
            (shipped_at, "in_transit", "Picked up by carrier"),
        ]
        if status == "exception":
            trail.append(
                (min(shipped_at + timedelta(days=2), NOW), "exception", "Delivery exception: address issue")
            )
        elif status == "delivered":
            trail.append((delivered_at, "delivered", "Delivered, front door"))
            if rng.random() < 0.1 and row["channel_id"] != wholesale:
                requested = delivered_at + timedelta(days=int(rng.integers(2, 15)))
                if requested < NOW:
                    received = requested + timedelta(days=6)
                    returns.append(
                        (order_id, first_line[order_id], requested, received if received < NOW else None, row)
                    )
        events.append(trail)
    shipment_ids = _insert(connection, Shipment.__table__, shipments)
    connection.execute(
        TrackingEvent.__table__.insert(),
        [
            {"shipment_id": sid, "occurred_at": at, "status": status, "description": text, "city": "Memphis"}
            for sid, trail in zip(shipment_ids, events, strict=True)
            for at, status, text in trail
        ],
    )
    order_table = Order.__table__
    for order_id in updates:
        connection.execute(
            order_table.update().where(order_table.c.id == order_id).values(fulfillment_status="fulfilled")
        )
    for i, (order_id, line_id, requested, received, row) in enumerate(returns):
        status = "refunded" if received else "in_transit"
        return_id = _insert(
            connection,
            Return.__table__,
            [
                {
                    "rma_number": f"RMA-{2000 + i}",
                    "order_id": order_id,
                    "status": status,
                    "reason": "too_small",
                    "requested_at": requested,
                    "received_at": received,
                    "currency": usd,
                }
            ],
        )[0]
        connection.execute(
            ReturnLine.__table__.insert(),
            [{"return_id": return_id, "order_line_id": line_id, "quantity": 1, "condition": "restockable"}],
        )
        if received:
            connection.execute(
                Refund.__table__.insert(),
                [
                    {
                        "order_id": order_id,
                        "return_id": return_id,
                        "refunded_at": received + timedelta(days=1),
                        "amount": row["subtotal"],
                        "currency": usd,
                        "reason": "return",
                    }
                ],
            )
    return DemoContext(
        connection=connection,
        seed=seed,
        scale=DemoScale(weeks=weeks, orders_per_week=orders_per_week),
        start=start,
        end=END,
        now=NOW,
        timezone=TIMEZONE,
        currency=usd,
    )
