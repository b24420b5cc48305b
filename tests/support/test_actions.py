"""Grounded actions write exactly the rows they mean, and refuse what the order's state forbids."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from carrier_server import CarrierServer
from sqlalchemy import Engine, select
from support_store import NOW

from sasame import models as m
from sasame.connectors.carriers.http import CarrierAuthError
from sasame.connectors.carriers.labels import Address, EasyPostLabels, Parcel, ShippoLabels
from sasame.core.errors import UserError
from sasame.db import transaction
from sasame.support import actions


@pytest.fixture
def carrier() -> Iterator[CarrierServer]:
    server = CarrierServer()
    yield server
    server.stop()


def test_cancel_refunds_what_was_paid_and_only_while_unshipped(engine: Engine, store: dict[str, int]) -> None:
    with transaction(engine) as session:
        outcome = actions.cancel_order(session, order_id=store["order_#1003"], now=NOW)
    assert outcome == {"order": "#1003", "refund": "12.0000", "currency": "USD"}
    with transaction(engine) as session:
        order = session.get(m.Order, store["order_#1003"])
        assert (order.cancelled_at, order.fulfillment_status, order.financial_status) == (  # type: ignore[union-attr]
            NOW,
            "cancelled",
            "refunded",
        )
        assert session.scalars(select(m.Refund.amount)).all() == [Decimal("12.00")]
        with pytest.raises(UserError, match=r"order #1002 can no longer be cancelled \(fulfilled\)"):
            actions.cancel_order(session, order_id=store["order_#1002"], now=NOW)


def test_address_and_item_changes(engine: Engine, store: dict[str, int]) -> None:
    with transaction(engine) as session:
        moved = actions.change_address(
            session, order_id=store["order_#1003"], address="27 Elm Court, Madison, WI 53703"
        )
        assert moved["before"] == {"city": "Madison", "region": "WI", "postal_code": "53703"}
        swapped = actions.change_item(
            session,
            order_id=store["order_#1003"],
            order_line_id=store["line_#1003"],
            to_variant_id=store["variant_S"],
        )
        assert swapped == {"order": "#1003", "from_sku": "PIN-1", "to_sku": "LIN-WHT-S"}
        with pytest.raises(UserError, match=r"order #1001 can no longer be changed"):
            actions.change_address(session, order_id=store["order_#1001"], address="1 A St, Boise, ID 83702")
        unsubscribed = actions.unsubscribe(session, customer_id=store["jane"])
        assert unsubscribed == {"customer_id": store["jane"], "accepts_marketing": False}


def test_a_return_is_received_once(engine: Engine, store: dict[str, int]) -> None:
    with transaction(engine) as session:
        created = actions.create_return(
            session,
            order_id=store["order_#1001"],
            rma_number="RMA-7",
            reason="too_large",
            lines=[{"order_line_id": store["line_#1001"], "quantity": 1}],
            now=NOW,
        )
        actions.receive_return(session, return_id=created["return_id"], now=NOW, condition="damaged")
        with pytest.raises(UserError, match="return RMA-7 was already received"):
            actions.receive_return(session, return_id=created["return_id"], now=NOW)
    with transaction(engine) as session:
        # A damaged parcel is refunded but not restocked.
        assert session.scalars(select(m.StockMovement).where(m.StockMovement.kind == "return")).all() == []
        assert session.scalars(select(m.Refund.amount)).all() == [Decimal("60.00")]


def test_shippo_return_label_takes_the_cheapest_rate(carrier: CarrierServer) -> None:
    labels = ShippoLabels("shippo_test_token", base_url=carrier.url, retries=0)
    customer = Address("Jane Doe", "5 Oak St", "Madison", "WI", "53703", email="jane@example.com")
    warehouse = Address("Tiny Threads", "1 Dock Road", "Columbus", "OH", "43004")
    label = labels.return_label(customer, warehouse, Parcel(weight_grams=300))
    assert (label.service, label.carrier, label.tracking_number, label.cost, label.currency) == (
        "shippo",
        "USPS",
        "9205590164917312751089",
        Decimal("7.10"),
        "USD",
    )
    shipment, transaction_request = carrier.requests
    assert shipment["auth"] == "ShippoToken shippo_test_token"
    assert shipment["body"]["extra"] == {"is_return": True}
    assert shipment["body"]["parcels"][0]["weight"] == "300"
    assert transaction_request["body"] == {
        "rate": "545ab0a1a6ea4c9f9adb2512a57d6d8b",
        "label_file_type": "PDF",
        "async": False,
    }


def test_a_refused_key_is_named_without_the_key(carrier: CarrierServer) -> None:
    labels = EasyPostLabels("EZAK-secret", base_url=f"{carrier.url}/nowhere", retries=0)
    customer = Address("Jane", "5 Oak St", "Madison", "WI", "53703")
    with pytest.raises(Exception) as error:
        labels.return_label(customer, customer, Parcel(100))
    assert "EZAK-secret" not in str(error.value)
    assert not isinstance(error.value, CarrierAuthError)
    assert str(error.value) == "EasyPost: POST /shipments: not found (HTTP 404)"


def test_approving_a_draft_carries_out_its_actions(engine: Engine, store: dict[str, int]) -> None:
    from mailservers import SmtpSink

    from sasame.support.intake.mail import Mail
    from sasame.support.intake.settings import MailSettings
    from sasame.support.intake.smtp import SmtpOutbox
    from sasame.support.policy import load_policy
    from sasame.support.service import apply_triage, incoming_of, receive, send_draft
    from sasame.support.triage import TriageContext, triage

    sink = SmtpSink()
    try:
        mail = Mail(
            "<c1@x>", None, (), "jane@example.com", "help@x", "cancel", "Please cancel order #1003.", NOW
        )
        with transaction(engine) as session:
            received = receive(session, mail, now=NOW)
            ctx = TriageContext.load(session, load_policy(session), NOW)
            result = triage(ctx, incoming_of(session, received.message))
            assert (
                apply_triage(session, received.ticket, received.message, result, policy=ctx.policy, now=NOW)
                == "draft"
            )
            assert session.get(m.Order, store["order_#1003"]).cancelled_at is None  # type: ignore[union-attr]
            outbox = SmtpOutbox(
                MailSettings(smtp_host="127.0.0.1", smtp_port=sink.port, smtp_security="none"), "help@x"
            )
            ticket = send_draft(
                session, received.ticket.id, by="owner", now=NOW, outbox=outbox, policy=ctx.policy
            )
            assert (ticket.status, ticket.review_outcome) == ("answered", "approved")
        with transaction(engine) as session:
            order = session.get(m.Order, store["order_#1003"])
            assert (order.fulfillment_status, order.cancelled_at) == ("cancelled", NOW)  # type: ignore[union-attr]
            audit = session.scalars(select(m.AuditLog.action).order_by(m.AuditLog.id)).all()
            assert audit == ["support.cancel_order", "support.reply"]
        assert len(sink.messages) == 1 and b"The payment of $12.00 goes back" in sink.messages[0]
    finally:
        sink.stop()
