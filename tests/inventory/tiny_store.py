"""A tiny hand-made store whose demand, stockouts and lead times are known by construction.

Store timezone America/New_York; history 2025-03-01 .. 2025-03-10, planned on 2025-03-11.

- MUG: 5 on hand when the history opens; 2 sold on 03-01, 3 on 03-02 (sold out), none on 03-03
  (started empty), 10 received on 03-03 at 14:00, 1 sold on 03-04 at $2 off (a price change)
  plus 1 in a GIFT bundle.
  A cancelled order for 5 on 03-06 is not demand.
- TEE-S: 10 on hand; 2 go in the GIFT bundle on 03-04; 3 sold on 03-05, each on an order with
  the code SPRING (a promotion: 3 of 3 orders that day); a WELCOME code on one order on 03-01 is not.
- TEE-M: 3 on hand plus the 80 the PO history brought in before March, never sold.
  GIFT = 1 MUG + 2 TEE-S.
- Supplier Acme (quoted 10 days): three received POs of 10, 14 and 12 days (first receipt), one
  of them on time. Supplier Slowboat (quoted 30 days): one PO only, so its quote is used.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sasame import models as m

TZ = ZoneInfo("America/New_York")
FIRST = date(2025, 3, 1)
TODAY = date(2025, 3, 11)
NOW = datetime(2025, 3, 12, 3, 30, tzinfo=UTC)
"""23:30 on 2025-03-11 in New York: already the 12th in UTC, still the 11th for the store."""


def local(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ).astimezone(UTC)


def build(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        _build(session)


def _build(session: Session) -> None:
    session.add(
        m.BusinessSetting(name="Tiny", currency="USD", timezone="America/New_York", created_at=local(FIRST))
    )
    shop = m.Channel(code="shopify", name="Shop", kind="shopify", currency="USD")
    amazon = m.Channel(code="amazon", name="Amazon", kind="amazon", currency="USD")
    warehouse = m.Location(code="warehouse", name="Warehouse", kind="warehouse")
    fba = m.Location(code="fba", name="FBA", kind="fba")
    session.add_all([shop, amazon, warehouse, fba])
    tee = m.Product(handle="tee", title="Tee", category="apparel")
    mug_product = m.Product(handle="mug", title="Mug", category="home")
    gift_product = m.Product(handle="gift", title="Gift set", category="home")
    session.add_all([tee, mug_product, gift_product])
    session.flush()

    def variant(product: m.Product, sku: str, price: str, cost: str | None, **extra: object) -> m.Variant:
        row = m.Variant(
            product_id=product.id,
            sku=sku,
            title=f"{product.title} {sku}",
            price=Decimal(price),
            currency="USD",
            unit_cost=Decimal(cost) if cost else None,
            **extra,
        )
        session.add(row)
        return row

    mug = variant(mug_product, "MUG", "20.00", "6.00")
    tee_s = variant(tee, "TEE-S", "25.00", "8.00", size="S")
    tee_m = variant(tee, "TEE-M", "25.00", "8.00", size="M")
    gift = variant(gift_product, "GIFT", "60.00", None, is_bundle=True)
    session.flush()
    session.add_all(
        [
            m.BundleComponent(bundle_variant_id=gift.id, component_variant_id=mug.id, quantity=1),
            m.BundleComponent(bundle_variant_id=gift.id, component_variant_id=tee_s.id, quantity=2),
        ]
    )
    acme = m.Supplier(name="Acme", email="orders@acme.example", currency="USD", quoted_lead_time_days=10)
    slowboat = m.Supplier(name="Slowboat", email=None, currency="USD", quoted_lead_time_days=30)
    session.add_all([acme, slowboat])
    session.flush()
    session.add_all(
        [
            m.SupplierTerm(
                supplier_id=acme.id,
                variant_id=mug.id,
                supplier_sku="AC-MUG",
                unit_cost=Decimal("6.00"),
                currency="USD",
                minimum_order_quantity=10,
                case_pack=12,
                quoted_lead_time_days=10,
            ),
            m.SupplierTerm(
                supplier_id=acme.id,
                variant_id=tee_s.id,
                supplier_sku="AC-TS",
                unit_cost=Decimal("8.00"),
                currency="USD",
                minimum_order_quantity=24,
                case_pack=6,
                quoted_lead_time_days=10,
            ),
            m.SupplierTerm(
                supplier_id=slowboat.id,
                variant_id=tee_m.id,
                unit_cost=Decimal("7.50"),
                currency="USD",
                minimum_order_quantity=1,
                case_pack=1,
                quoted_lead_time_days=30,
            ),
        ]
    )

    def movement(v: m.Variant, kind: str, quantity: int, at: datetime, **extra: object) -> None:
        session.add(
            m.StockMovement(
                variant_id=v.id,
                location_id=warehouse.id,
                kind=kind,
                quantity=quantity,
                unit_cost=v.unit_cost,
                currency="USD",
                moved_at=at,
                **extra,
            )
        )

    opening = datetime.combine(FIRST, time(0), tzinfo=TZ).astimezone(UTC)
    movement(mug, "adjustment", 5, opening, note="opening balance")
    movement(tee_s, "adjustment", 10, opening, note="opening balance")
    movement(tee_m, "adjustment", 3, opening, note="opening balance")
    movement(mug, "receipt", 10, local(date(2025, 3, 3), 14))

    number = 0

    def order(
        day: date,
        lines: list[tuple[m.Variant, int]],
        *,
        code: str | None = None,
        cancelled: bool = False,
        ship_day: date | None = None,
        discount: Decimal = Decimal(0),
    ) -> None:
        nonlocal number
        number += 1
        subtotal = sum((v.price * q for v, q in lines), Decimal(0))
        row = m.Order(
            channel_id=shop.id,
            external_id=str(1000 + number),
            number=f"#{1000 + number}",
            ordered_at=local(day, 12),
            order_date=day,
            currency="USD",
            subtotal=subtotal,
            total=subtotal,
            financial_status="paid",
            fulfillment_status="cancelled" if cancelled else "fulfilled",
            cancelled_at=local(day, 13) if cancelled else None,
            discount_codes=code,
        )
        session.add(row)
        session.flush()
        for v, q in lines:
            line = m.OrderLine(
                order_id=row.id,
                variant_id=v.id,
                sku=v.sku,
                title=v.title,
                quantity=q,
                unit_price=v.price,
                discount=discount,
            )
            session.add(line)
            session.flush()
            if cancelled:
                continue
            # Parcels ship days later; stock is committed on the order's day all the same.
            parts = [(mug, 1), (tee_s, 2)] if v.is_bundle else [(v, 1)]
            for part, count in parts:
                movement(part, "sale", -q * count, local(ship_day or day, 16), order_line_id=line.id)

    order(date(2025, 3, 1), [(mug, 2)], code="WELCOME10", ship_day=date(2025, 3, 4))
    order(date(2025, 3, 2), [(mug, 3)])
    order(date(2025, 3, 4), [(mug, 1)], discount=Decimal("2.00"))  # 10% off: a price change
    order(date(2025, 3, 4), [(gift, 1)])
    for _ in range(3):
        order(date(2025, 3, 5), [(tee_s, 1)], code="SPRING")
    order(date(2025, 3, 6), [(mug, 5)], cancelled=True)

    # Stock now: on hand less reserved, per location.
    session.add_all(
        [
            m.StockLevel(variant_id=mug.id, location_id=warehouse.id, on_hand=30, reserved=0, counted_at=NOW),
            m.StockLevel(
                variant_id=tee_s.id, location_id=warehouse.id, on_hand=40, reserved=0, counted_at=NOW
            ),
            m.StockLevel(
                variant_id=tee_m.id, location_id=warehouse.id, on_hand=3, reserved=0, counted_at=NOW
            ),
        ]
    )

    def purchase_order(
        supplier: m.Supplier,
        number_: str,
        ordered: datetime,
        expected: date,
        receipts: list[date],
        status: str = "received",
    ) -> None:
        po = m.PurchaseOrder(
            number=number_,
            supplier_id=supplier.id,
            location_id=warehouse.id,
            status=status,
            ordered_at=ordered,
            expected_on=expected,
            received_on=receipts[-1] if receipts and status == "received" else None,
            currency="USD",
        )
        session.add(po)
        session.flush()
        line = m.PurchaseOrderLine(
            purchase_order_id=po.id,
            variant_id=tee_m.id,
            quantity_ordered=20,
            quantity_received=20 if status == "received" else 0,
            unit_cost=Decimal("6.00"),
        )
        session.add(line)
        session.flush()
        for day in receipts:
            movement(
                tee_m,
                "receipt",
                10 if len(receipts) > 1 else 20,
                local(day, 14),
                purchase_order_line_id=line.id,
            )

    # History before the demand window (the receipts land before 03-01, so stock there is untouched).
    purchase_order(acme, "PO-1", local(date(2024, 12, 1)), date(2024, 12, 11), [date(2024, 12, 11)])
    purchase_order(acme, "PO-2", local(date(2024, 12, 15)), date(2024, 12, 25), [date(2024, 12, 29)])
    # Placed at 23:30 New York time: the next day in UTC, the 1st for the store. First receipt after
    # 12 days, the rest a week later (received_on), which says nothing about speed.
    purchase_order(
        acme,
        "PO-3",
        local(date(2025, 1, 1), 23, 30),
        date(2025, 1, 11),
        [date(2025, 1, 13), date(2025, 1, 20)],
    )
    purchase_order(slowboat, "PO-4", local(date(2024, 11, 1)), date(2024, 12, 1), [date(2024, 12, 10)])


def sell(engine: Engine, sku: str, day: date, price: str, channel: str = "shopify") -> None:
    """One more order, of one unit of `sku` on `channel` at the unit price `price` (a list price the
    build did not have: a repricing), placed at noon on `day`; no stock moves with it."""
    with Session(engine) as session, session.begin():
        seller = session.scalars(select(m.Channel).where(m.Channel.code == channel)).one()
        variant = session.scalars(select(m.Variant).where(m.Variant.sku == sku)).one()
        order = m.Order(
            channel_id=seller.id,
            external_id=f"{sku}-{day}-{channel}",
            number=f"#{sku}-{day}-{channel}",
            ordered_at=local(day, 12),
            order_date=day,
            currency="USD",
            subtotal=Decimal(price),
            total=Decimal(price),
            financial_status="paid",
            fulfillment_status="fulfilled",
        )
        session.add(order)
        session.flush()
        session.add(
            m.OrderLine(
                order_id=order.id,
                variant_id=variant.id,
                sku=sku,
                title=variant.title,
                quantity=1,
                unit_price=Decimal(price),
            )
        )
