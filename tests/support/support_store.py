"""A small store written by hand for the support tests, every fact known in advance.

Store 'Tiny Threads', timezone America/New_York, USD. The tests run at NOW = Thursday
2026-03-05 15:00Z. Customer Jane Doe (jane@example.com) has:

    #1001  delivered Wed 2026-02-25 (USPS 9400111899223344556677), 1 x Linen Shirt White / L
           at 60.00; it left the warehouse at a unit cost of 21.00 (the variant's cost is now 22.50)
    #1002  shipped Tue 2026-03-03 with UPS 1Z999AA10123456784, in transit, expected Sat 2026-03-07,
           latest scan "Departed UPS facility, Memphis TN" (03-04)
    #1003  placed today 10:00Z, unfulfilled, 1 x Enamel Pin at 12.00 (total 12.00)
    #1004  delivered 2026-01-10: outside the 30-day return window

Bob Vip (bob@example.com, is_vip) has #1005, shipped and in transit like #1002.
Linen Shirt White / M is sold out; purchase order PO-7 brings 20 on 2026-03-12.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Engine

from sasame.db import transaction
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
    Shipment,
    StockLevel,
    StockMovement,
    Supplier,
    TrackingEvent,
    Variant,
)

NOW = datetime(2026, 3, 5, 15, 0, tzinfo=UTC)
JANE = "jane@example.com"
BOB = "bob@example.com"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def build_store(engine: Engine) -> dict[str, int]:
    """Write the store; return the ids the tests refer to."""
    ids: dict[str, int] = {}
    with transaction(engine) as s:
        s.add(
            BusinessSetting(
                name="Tiny Threads", currency="USD", timezone="America/New_York", created_at=utc(2025, 1, 1)
            )
        )
        shop = Channel(code="shop", name="Tiny Threads", kind="shopify", currency="USD")
        warehouse = Location(code="wh", name="Columbus", kind="warehouse")
        shirt = Product(handle="linen-shirt", title="Linen Shirt", category="tops")
        pin = Product(handle="enamel-pin", title="Enamel Pin", category="accessories")
        s.add_all([shop, warehouse, shirt, pin])
        s.flush()
        variants = {}
        for size in ("S", "M", "L"):
            variants[size] = Variant(
                product_id=shirt.id,
                sku=f"LIN-WHT-{size}",
                title=f"Linen Shirt - White / {size}",
                size=size,
                colour="White",
                price=Decimal("60.00"),
                currency="USD",
                unit_cost=Decimal("22.50"),
                weight_grams=300,
            )
        variants["PIN"] = Variant(
            product_id=pin.id,
            sku="PIN-1",
            title="Enamel Pin",
            price=Decimal("12.00"),
            currency="USD",
            unit_cost=Decimal("3.00"),
            weight_grams=20,
        )
        s.add_all(variants.values())
        s.flush()
        for key, units in (("S", 4), ("M", 0), ("L", 7), ("PIN", 50)):
            s.add(
                StockLevel(
                    variant_id=variants[key].id, location_id=warehouse.id, on_hand=units, counted_at=NOW
                )
            )
        supplier = Supplier(name="Loom Co", currency="USD", quoted_lead_time_days=30)
        s.add(supplier)
        s.flush()
        po = PurchaseOrder(
            number="PO-7",
            supplier_id=supplier.id,
            location_id=warehouse.id,
            status="sent",
            ordered_at=utc(2026, 2, 10),
            expected_on=date(2026, 3, 12),
            currency="USD",
        )
        s.add(po)
        s.flush()
        s.add(
            PurchaseOrderLine(
                purchase_order_id=po.id,
                variant_id=variants["M"].id,
                quantity_ordered=20,
                unit_cost=Decimal("22.50"),
            )
        )
        jane = Customer(email=JANE, name="Jane Doe", first_seen_at=utc(2025, 6, 1), country="US")
        bob = Customer(email=BOB, name="Bob Vip", first_seen_at=utc(2024, 6, 1), country="US", is_vip=True)
        s.add_all([jane, bob])
        s.flush()
        ids |= {"jane": jane.id, "bob": bob.id, "warehouse": warehouse.id}
        ids |= {f"variant_{k}": v.id for k, v in variants.items()}

        def order(
            number: str, customer: Customer, at: datetime, variant: Variant, price: str, status: str
        ) -> Order:
            o = Order(
                channel_id=shop.id,
                external_id=number.lstrip("#"),
                number=number,
                customer_id=customer.id,
                email=customer.email,
                ordered_at=at,
                order_date=at.date(),
                currency="USD",
                subtotal=Decimal(price),
                total=Decimal(price),
                financial_status="paid",
                fulfillment_status=status,
                ship_country="US",
                ship_city="Madison",
                ship_region="WI",
                ship_postal_code="53703",
            )
            s.add(o)
            s.flush()
            line = OrderLine(
                order_id=o.id,
                variant_id=variant.id,
                sku=variant.sku,
                title=variant.title,
                quantity=1,
                unit_price=Decimal(price),
            )
            s.add(line)
            s.flush()
            ids[f"order_{number}"] = o.id
            ids[f"line_{number}"] = line.id
            return o

        def ship(
            o: Order,
            carrier: str,
            tracking: str,
            shipped: datetime,
            estimated: datetime,
            delivered: datetime | None,
            events: list[tuple[datetime, str, str]],
        ) -> None:
            shipment = Shipment(
                order_id=o.id,
                carrier=carrier,
                tracking_number=tracking,
                status="delivered" if delivered else "in_transit",
                shipped_at=shipped,
                estimated_delivery_at=estimated,
                delivered_at=delivered,
                label_cost=Decimal("7.40"),
                currency="USD",
            )
            s.add(shipment)
            s.flush()
            for at, status, description in events:
                s.add(
                    TrackingEvent(
                        shipment_id=shipment.id, occurred_at=at, status=status, description=description
                    )
                )
            line_id = ids[f"line_{o.number}"]
            variant_id = s.get(OrderLine, line_id).variant_id  # type: ignore[union-attr]
            s.add(
                StockMovement(
                    variant_id=variant_id,
                    location_id=warehouse.id,
                    kind="sale",
                    quantity=-1,
                    unit_cost=Decimal("21.00"),
                    currency="USD",
                    moved_at=shipped,
                    order_line_id=line_id,
                )
            )

        o1 = order("#1001", jane, utc(2026, 2, 20, 14), variants["L"], "60.00", "fulfilled")
        ship(
            o1,
            "usps",
            "9400111899223344556677",
            utc(2026, 2, 22, 15),
            utc(2026, 2, 26, 20),
            utc(2026, 2, 25, 18),
            [
                (utc(2026, 2, 22, 15), "in_transit", "Accepted at USPS origin facility"),
                (utc(2026, 2, 25, 18), "delivered", "Delivered, front door/porch"),
            ],
        )
        o2 = order("#1002", jane, utc(2026, 3, 1, 14), variants["S"], "60.00", "fulfilled")
        ship(
            o2,
            "ups",
            "1Z999AA10123456784",
            utc(2026, 3, 3, 16),
            utc(2026, 3, 7, 20),
            None,
            [
                (utc(2026, 3, 3, 16), "label_created", "Shipper created a label"),
                (utc(2026, 3, 4, 9), "in_transit", "Departed UPS facility, Memphis TN"),
            ],
        )
        order("#1003", jane, utc(2026, 3, 5, 10), variants["PIN"], "12.00", "unfulfilled")
        o4 = order("#1004", jane, utc(2026, 1, 5, 14), variants["S"], "60.00", "fulfilled")
        ship(
            o4,
            "usps",
            "9400111899220000000004",
            utc(2026, 1, 6, 15),
            utc(2026, 1, 10, 20),
            utc(2026, 1, 10, 18),
            [(utc(2026, 1, 10, 18), "delivered", "Delivered, front door/porch")],
        )
        o5 = order("#1005", bob, utc(2026, 3, 1, 15), variants["S"], "60.00", "fulfilled")
        ship(
            o5,
            "ups",
            "1Z999AA10123450005",
            utc(2026, 3, 3, 16),
            utc(2026, 3, 7, 20),
            None,
            [(utc(2026, 3, 4, 9), "in_transit", "Departed UPS facility, Memphis TN")],
        )
    return ids
