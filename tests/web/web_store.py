"""A small store written by hand for the web tests, with every figure known in advance.

Store timezone America/New_York; the tests run at NOW, a Thursday afternoon (business day
2025-03-20). Orders (store currency USD unless noted):

    #1001  shopify  2025-03-17 16:00Z  day 03-17  100.10  unfulfilled
    #1002  shopify  2025-03-19 18:30Z  day 03-19   20.05  fulfilled
    #1003  shopify  2025-03-18 12:00Z  day 03-18  999.00  cancelled (never counted)
    #1000  shopify  2025-02-10 15:00Z  day 02-10   60.00  fulfilled
    A-1    amazon   2025-03-12 15:00Z  day 03-12   45.50  unfulfilled
    A-2    amazon   2025-03-17 03:00Z  day 03-16   30.00  fulfilled (UTC Monday, New York Sunday)
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine

from sasame.accounts import create_user
from sasame.db import transaction
from sasame.models import (
    Ad,
    AdCampaign,
    AdSet,
    AdSpendDay,
    Alert,
    BusinessSetting,
    Channel,
    EmailCampaign,
    EmailPerformanceDay,
    Location,
    Order,
    Payout,
    PayoutLine,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    StockLevel,
    Supplier,
    SupportMessage,
    SupportTicket,
    Variant,
)

NOW = datetime(2025, 3, 20, 19, 0, tzinfo=UTC)
TODAY = date(2025, 3, 20)
OWNER_EMAIL = "owner@example.com"
OWNER_PASSWORD = "correct horse battery staple"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def add_orders(engine: Engine) -> None:
    """Add the store settings, two channels and the six orders of the module docstring."""
    with transaction(engine) as session:
        session.add(
            BusinessSetting(
                name="Juniper & Pine", currency="USD", timezone="America/New_York", created_at=NOW
            )
        )
        shopify = Channel(code="shopify", name="Shopify", kind="shopify", currency="USD")
        amazon = Channel(code="amazon-us", name="Amazon US", kind="amazon", currency="USD")
        session.add_all([shopify, amazon])
        session.flush()

        def order(channel: Channel, number: str, at: datetime, day: date, total: str, status: str) -> Order:
            return Order(
                channel_id=channel.id,
                external_id=number,
                number=number,
                ordered_at=at,
                order_date=day,
                currency="USD",
                subtotal=Decimal(total),
                total=Decimal(total),
                financial_status="paid",
                fulfillment_status=status,
                cancelled_at=at if status == "cancelled" else None,
            )

        session.add_all(
            [
                order(shopify, "#1001", utc(2025, 3, 17, 16), date(2025, 3, 17), "100.10", "unfulfilled"),
                order(shopify, "#1002", utc(2025, 3, 19, 18, 30), date(2025, 3, 19), "20.05", "fulfilled"),
                order(shopify, "#1003", utc(2025, 3, 18, 12), date(2025, 3, 18), "999.00", "cancelled"),
                order(shopify, "#1000", utc(2025, 2, 10, 15), date(2025, 2, 10), "60.00", "fulfilled"),
                order(amazon, "A-1", utc(2025, 3, 12, 15), date(2025, 3, 12), "45.50", "unfulfilled"),
                order(amazon, "A-2", utc(2025, 3, 17, 3), date(2025, 3, 16), "30.00", "fulfilled"),
            ]
        )


def add_owner(engine: Engine) -> None:
    with transaction(engine) as session:
        create_user(session, OWNER_EMAIL, OWNER_PASSWORD, NOW)


def add_areas(engine: Engine) -> None:
    """Add a little of every area: tickets, stock and POs, payouts, ads and email, alerts."""
    with transaction(engine) as session:
        # Support
        open_ticket = SupportTicket(
            thread_key="<t1@mail>",
            subject="Where is my order #1001?",
            status="open",
            opened_at=utc(2025, 3, 19, 10),
        )
        escalated = SupportTicket(
            thread_key="<t2@mail>", subject="Damaged mug", status="escalated", opened_at=utc(2025, 3, 18, 9)
        )
        closed = SupportTicket(
            thread_key="<t3@mail>", subject="Thanks!", status="closed", opened_at=utc(2025, 3, 1)
        )
        session.add_all([open_ticket, escalated, closed])
        session.flush()
        session.add_all(
            [
                SupportMessage(
                    ticket_id=open_ticket.id,
                    message_id="<t1@mail>",
                    direction="inbound",
                    from_address="ana@example.org",
                    to_address="hello@juniper.test",
                    subject="Where is my order #1001?",
                    body="Hi,\n\nI ordered on Monday and   nothing has shipped yet.",
                    sent_at=utc(2025, 3, 19, 10),
                ),
                SupportMessage(
                    ticket_id=escalated.id,
                    message_id="<t2@mail>",
                    direction="inbound",
                    from_address="ben@example.org",
                    to_address="hello@juniper.test",
                    subject="Damaged mug",
                    body="The mug arrived broken.",
                    sent_at=utc(2025, 3, 18, 9),
                ),
            ]
        )
        # Inventory
        warehouse = Location(code="wh", name="Own warehouse", kind="warehouse")
        fba = Location(code="fba", name="Amazon FBA", kind="fba")
        product = Product(handle="linen-tee", title="Linen tee", category="apparel")
        session.add_all([warehouse, fba, product])
        session.flush()
        tee = Variant(
            product_id=product.id,
            sku="TEE-RED-M",
            title="Linen tee red M",
            price=Decimal("35"),
            currency="USD",
        )
        mug = Variant(
            product_id=product.id, sku="MUG-BLUE", title="Blue mug", price=Decimal("18"), currency="USD"
        )
        supplier = Supplier(name="Lisbon Linen", currency="EUR", quoted_lead_time_days=30)
        session.add_all([tee, mug, supplier])
        session.flush()
        session.add_all(
            [
                StockLevel(
                    variant_id=tee.id, location_id=warehouse.id, on_hand=42, reserved=2, counted_at=NOW
                ),
                StockLevel(variant_id=tee.id, location_id=fba.id, on_hand=7, reserved=0, counted_at=NOW),
                StockLevel(
                    variant_id=mug.id, location_id=warehouse.id, on_hand=0, reserved=0, counted_at=NOW
                ),
            ]
        )
        sent = PurchaseOrder(
            number="PO-7",
            supplier_id=supplier.id,
            location_id=warehouse.id,
            status="partial",
            ordered_at=utc(2025, 2, 20),
            expected_on=date(2025, 3, 28),
            currency="EUR",
        )
        draft = PurchaseOrder(
            number="PO-8",
            supplier_id=supplier.id,
            location_id=warehouse.id,
            status="draft",
            ordered_at=utc(2025, 3, 19),
            expected_on=date(2025, 4, 20),
            currency="EUR",
        )
        to_fba = PurchaseOrder(
            number="PO-9",
            supplier_id=supplier.id,
            location_id=fba.id,
            status="sent",
            ordered_at=utc(2025, 3, 1),
            expected_on=date(2025, 4, 2),
            currency="EUR",
        )
        session.add_all([sent, draft, to_fba])
        session.flush()
        session.add_all(
            [
                PurchaseOrderLine(
                    purchase_order_id=sent.id,
                    variant_id=tee.id,
                    quantity_ordered=50,
                    quantity_received=10,
                    unit_cost=Decimal("9.5"),
                ),
                PurchaseOrderLine(
                    purchase_order_id=draft.id,
                    variant_id=tee.id,
                    quantity_ordered=500,
                    unit_cost=Decimal("9.5"),
                ),
                PurchaseOrderLine(
                    purchase_order_id=to_fba.id,
                    variant_id=mug.id,
                    quantity_ordered=24,
                    unit_cost=Decimal("4"),
                ),
            ]
        )
        # Finance
        shopify_id = session.query(Channel.id).filter_by(code="shopify").scalar()
        balanced = Payout(
            provider="shopify_payments",
            channel_id=shopify_id,
            external_id="P-100",
            period_start=utc(2025, 3, 10),
            period_end=utc(2025, 3, 17),
            paid_on=date(2025, 3, 18),
            amount=Decimal("150.00"),
            currency="USD",
            status="paid",
        )
        short = Payout(
            provider="amazon",
            channel_id=None,
            external_id="S-200",
            period_start=utc(2025, 3, 3),
            period_end=utc(2025, 3, 17),
            paid_on=date(2025, 3, 19),
            amount=Decimal("80.00"),
            currency="USD",
            status="paid",
        )
        session.add_all([balanced, short])
        session.flush()
        session.add_all(
            [
                PayoutLine(
                    payout_id=balanced.id,
                    kind="principal",
                    occurred_at=utc(2025, 3, 12),
                    amount=Decimal("120.15"),
                    currency="USD",
                ),
                PayoutLine(
                    payout_id=balanced.id,
                    kind="principal",
                    occurred_at=utc(2025, 3, 13),
                    amount=Decimal("49.85"),
                    currency="USD",
                ),
                PayoutLine(
                    payout_id=balanced.id,
                    kind="fee",
                    fee_type="processing",
                    occurred_at=utc(2025, 3, 13),
                    amount=Decimal("-20.00"),
                    currency="USD",
                ),
                PayoutLine(
                    payout_id=short.id,
                    kind="principal",
                    occurred_at=utc(2025, 3, 12),
                    amount=Decimal("90.00"),
                    currency="USD",
                ),
                PayoutLine(
                    payout_id=short.id,
                    kind="fee",
                    fee_type="commission",
                    occurred_at=utc(2025, 3, 12),
                    amount=Decimal("-13.50"),
                    currency="USD",
                ),
            ]
        )
        # Marketing
        campaign = AdCampaign(platform="google", external_id="g1", name="Search brand")
        meta = AdCampaign(platform="meta", external_id="m1", name="Prospecting")
        session.add_all([campaign, meta])
        session.flush()
        google_set = AdSet(campaign_id=campaign.id, external_id="gs1", name="Brand terms")
        meta_set = AdSet(campaign_id=meta.id, external_id="ms1", name="Lookalike")
        session.add_all([google_set, meta_set])
        session.flush()
        google_ad = Ad(ad_set_id=google_set.id, external_id="ga1", name="Brand ad")
        meta_ad = Ad(ad_set_id=meta_set.id, external_id="ma1", name="Video")
        session.add_all([google_ad, meta_ad])
        session.flush()

        def spend(ad: Ad, day: date, amount: str, value: str) -> AdSpendDay:
            return AdSpendDay(
                ad_id=ad.id,
                spend_date=day,
                spend=Decimal(amount),
                currency="USD",
                impressions=1000,
                clicks=40,
                conversions=2,
                conversion_value=Decimal(value),
            )

        session.add_all(
            [
                spend(google_ad, date(2025, 3, 19), "12.34", "50.00"),
                spend(google_ad, date(2025, 2, 19), "10.00", "30.00"),  # first day of the window
                spend(google_ad, date(2025, 2, 18), "99.99", "999.00"),  # the day before: outside
                spend(meta_ad, date(2025, 3, 20), "40.00", "60.00"),
            ]
        )
        welcome_1 = EmailCampaign(
            platform="klaviyo", external_id="f1", kind="flow", name="Welcome 1", flow_name="welcome"
        )
        welcome_2 = EmailCampaign(
            platform="klaviyo", external_id="f2", kind="flow", name="Welcome 2", flow_name="welcome"
        )
        spring = EmailCampaign(
            platform="klaviyo",
            external_id="c1",
            kind="campaign",
            name="Spring sale",
            sent_at=utc(2025, 3, 15),
        )
        session.add_all([welcome_1, welcome_2, spring])
        session.flush()

        def email(campaign: EmailCampaign, day: date, revenue: str) -> EmailPerformanceDay:
            return EmailPerformanceDay(
                email_campaign_id=campaign.id,
                performance_date=day,
                recipients=100,
                delivered=98,
                opens=40,
                clicks=8,
                unsubscribes=1,
                conversions=1,
                revenue=Decimal(revenue),
                currency="USD",
            )

        session.add_all(
            [
                email(welcome_1, date(2025, 3, 10), "25.00"),
                email(welcome_2, date(2025, 3, 11), "17.25"),
                email(spring, date(2025, 3, 15), "310.40"),
            ]
        )
        # Operations
        session.add_all(
            [
                Alert(
                    kind="stockout_risk",
                    severity="warning",
                    subject="MUG-BLUE is out of stock",
                    detail="0 on hand at Own warehouse.",
                    raised_at=utc(2025, 3, 19),
                ),
                Alert(
                    kind="late_purchase_order",
                    severity="critical",
                    subject="PO-7 is late",
                    detail="Expected Mar 10.",
                    raised_at=utc(2025, 3, 11),
                ),
                Alert(
                    kind="payout_mismatch",
                    severity="info",
                    subject="Resolved one",
                    detail="Gone.",
                    raised_at=utc(2025, 3, 1),
                    resolved_at=utc(2025, 3, 2),
                ),
            ]
        )


def add_everything(engine: Engine) -> None:
    add_orders(engine)
    add_owner(engine)
    add_areas(engine)


CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def log_in(client: TestClient, email: str = OWNER_EMAIL, password: str = OWNER_PASSWORD) -> Response:
    """Log in through the form like a browser: fetch it for the token, then post it."""
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}, follow_redirects=False
    )
