"""The tracking sync use case on both databases: undelivered shipments refreshed from the service
on a local server, events added once, estimated delivery kept, delivered parcels left alone."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from carrier_test_server import Answer, CarrierServer, payload
from sqlalchemy import Engine, func, select

from sasame import models as m
from sasame.connectors.carriers.tracking import easypost_source
from sasame.core.errors import ConfigError
from sasame.db import transaction
from sasame.ingest.tracking import sync_tracking

NOW = datetime(2026, 3, 4, 13, tzinfo=UTC)
SHIPPED = datetime(2026, 3, 2, 18, tzinfo=UTC)
KEY = "EZAK_secret_sync_key"


def store(engine: Engine) -> None:
    """One order with three parcels: one in the fixture, one the service does not know, one delivered."""
    with transaction(engine) as session:
        channel = m.Channel(code="shopify", name="Shopify", kind="shopify", currency="USD")
        session.add(channel)
        session.flush()
        order = m.Order(
            channel_id=channel.id,
            external_id="5001",
            number="#1042",
            ordered_at=SHIPPED,
            order_date=SHIPPED.date(),
            currency="USD",
            subtotal=Decimal("40.00"),
            total=Decimal("40.00"),
            financial_status="paid",
            fulfillment_status="fulfilled",
        )
        session.add(order)
        session.flush()
        for number, status, delivered in (
            ("9400111899223344556677", "label_created", None),
            ("9400000000000000000000", "in_transit", None),
            ("9400999999999999999999", "delivered", datetime(2026, 3, 3, 15, tzinfo=UTC)),
        ):
            session.add(
                m.Shipment(
                    order_id=order.id,
                    carrier="USPS",
                    tracking_number=number,
                    status=status,
                    shipped_at=SHIPPED,
                    delivered_at=delivered,
                    label_cost=Decimal("4.85"),
                    currency="USD",
                )
            )


def parcel(engine: Engine, number: str) -> tuple[m.Shipment, list[tuple[str, str]]]:
    with transaction(engine) as session:
        shipment = session.scalar(select(m.Shipment).where(m.Shipment.tracking_number == number))
        assert shipment is not None
        events = session.execute(
            select(m.TrackingEvent.status, m.TrackingEvent.description)
            .where(m.TrackingEvent.shipment_id == shipment.id)
            .order_by(m.TrackingEvent.occurred_at)
        ).all()
        return shipment, [tuple(event) for event in events]


def test_sync_refreshes_undelivered_parcels(engine: Engine, carrier_server: CarrierServer) -> None:
    store(engine)
    tracker = payload("easypost_tracker.json")

    # The local server cannot tell codes apart (they travel in the body), so the second parcel
    # asked about gets the 404 of a code EasyPost does not know.
    carrier_server.answer(
        "POST", "/v2/trackers", Answer(200, tracker), Answer(404, {"error": {"message": "Not found"}})
    )
    source = easypost_source(KEY, base_url=f"{carrier_server.url}/v2", sleep=lambda _: None)
    with transaction(engine) as session:
        first = sync_tracking(session, source, now=NOW)
    assert first.checked == 2  # the delivered parcel is not asked about
    assert first.records == {"shipment": {"created": 0, "updated": 1, "unchanged": 0}}
    assert first.not_found == ["USPS 9400000000000000000000"]
    assert [r.body["tracker"]["tracking_code"] for r in carrier_server.received] == [
        "9400111899223344556677",
        "9400000000000000000000",
    ]
    shipment, events = parcel(engine, "9400111899223344556677")
    assert shipment.status == "out_for_delivery"
    assert shipment.estimated_delivery_at == datetime(2026, 3, 4, 20, tzinfo=UTC)
    assert shipment.service == "First-Class Package Service"
    assert (shipment.shipped_at, shipment.label_cost, shipment.delivered_at) == (
        SHIPPED,
        Decimal("4.85"),
        None,
    )
    assert [status for status, _ in events] == [
        "label_created",
        "in_transit",
        "in_transit",
        "out_for_delivery",
    ]

    # Nothing new from the service: nothing changes.
    carrier_server.answers.clear()
    carrier_server.answer(
        "POST", "/v2/trackers", Answer(200, tracker), Answer(404, {"error": {"message": "Not found"}})
    )
    with transaction(engine) as session:
        again = sync_tracking(session, source, now=NOW)
    assert again.records == {"shipment": {"created": 0, "updated": 0, "unchanged": 1}}
    assert parcel(engine, "9400111899223344556677")[1] == events

    # Delivered: the delivery event is added once and the parcel is not asked about any more.
    delivered = payload("easypost_event_delivered.json")["result"]
    carrier_server.answers.clear()
    carrier_server.answer(
        "POST", "/v2/trackers", Answer(200, delivered), Answer(404, {"error": {"message": "Not found"}})
    )
    with transaction(engine) as session:
        third = sync_tracking(session, source, now=NOW)
    assert third.records == {"shipment": {"created": 0, "updated": 1, "unchanged": 0}}
    shipment, events = parcel(engine, "9400111899223344556677")
    assert (shipment.status, shipment.delivered_at) == ("delivered", datetime(2026, 3, 4, 18, 58, tzinfo=UTC))
    assert events[-1] == ("delivered", "Delivered, In/At Mailbox")
    assert len(events) == 5
    with transaction(engine) as session:
        fourth = sync_tracking(session, source, now=NOW)
        total_events = session.scalar(select(func.count()).select_from(m.TrackingEvent))
    assert fourth.checked == 1 and total_events == 5
    source.close()


def test_refused_credentials_stop_the_sync_and_change_nothing(
    engine: Engine, carrier_server: CarrierServer
) -> None:
    store(engine)
    carrier_server.answer("POST", "/v2/trackers", Answer(401, {"error": {"message": "Unauthorized"}}))
    source = easypost_source(KEY, base_url=f"{carrier_server.url}/v2", sleep=lambda _: None)
    with pytest.raises(ConfigError) as caught, transaction(engine) as session:
        sync_tracking(session, source, now=NOW)
    assert str(caught.value) == (
        "SASAME_EASYPOST_KEY: EasyPost: POST /trackers was refused (HTTP 401): check the API key"
    )
    assert KEY not in str(caught.value)
    shipment, events = parcel(engine, "9400111899223344556677")
    assert (shipment.status, events) == ("label_created", [])
    source.close()


def test_a_failing_service_is_reported_per_parcel(engine: Engine, carrier_server: CarrierServer) -> None:
    store(engine)
    carrier_server.answer("POST", "/v2/trackers", Answer(502, {"error": {"message": "Bad gateway"}}))
    source = easypost_source(KEY, base_url=f"{carrier_server.url}/v2", sleep=lambda _: None, retries=1)
    with transaction(engine) as session:
        summary = sync_tracking(session, source, now=NOW)
    assert summary.failed == [
        "USPS 9400111899223344556677: EasyPost: POST /trackers failed (HTTP 502): Bad gateway",
        "USPS 9400000000000000000000: EasyPost: POST /trackers failed (HTTP 502): Bad gateway",
    ]
    assert summary.records == {}
    source.close()
