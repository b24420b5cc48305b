"""The full round trip against real servers on 127.0.0.1: a customer's email arrives in the IMAP
mailbox, the answer leaves through SMTP, a return label is bought from the carrier API, and the
parcel's arrival restocks it at the cost it left with and refunds the customer."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from carrier_server import CarrierServer
from mailservers import ImapServer, SmtpSink
from sqlalchemy import Engine, func, select
from support_store import JANE, NOW

from sasame import models as m
from sasame.connectors.carriers.labels import EasyPostLabels
from sasame.db import transaction
from sasame.support.intake.settings import MailSettings
from sasame.support.mailbox import process_mailbox
from sasame.support.policy import set_policy
from sasame.support.service import receive_return_parcel

SHOP = "help@tinythreads.example"


@pytest.fixture(scope="session")
def imap_server() -> ImapServer:
    return ImapServer()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    yield sink
    sink.stop()


@pytest.fixture
def carrier() -> Iterator[CarrierServer]:
    server = CarrierServer()
    yield server
    server.stop()


def test_email_in_answer_out_label_bought_restocked_on_receipt(
    engine: Engine,
    store: dict[str, int],
    imap_server: ImapServer,
    smtp: SmtpSink,
    carrier: CarrierServer,
    request: pytest.FixtureRequest,
) -> None:
    user = f"{request.node.callspec.id}-{id(engine)}@tinythreads.example"
    inbox = imap_server.add_user(user, "s3cret-imap")
    inbox.deliver(
        b"From: Jane Doe <jane@example.com>\r\n"
        b"To: help@tinythreads.example\r\n"
        b"Subject: Return\r\n"
        b"Message-ID: <return-1@mail.example.com>\r\n"
        b"Date: Thu, 05 Mar 2026 14:30:00 +0000\r\n"
        b"\r\n"
        b"Hi,\r\n\r\nI'd like to return the linen shirt from order #1001, it's too big.\r\n\r\n"
        b"Thanks,\r\nJane\r\n"
    )
    with transaction(engine) as session:
        set_policy(session, "prepaid_return_label", "yes", now=NOW, by="owner")
        set_policy(session, "return_address", "1 Dock Road, Columbus, OH 43004", now=NOW, by="owner")
    settings = MailSettings(
        imap_host="127.0.0.1",
        imap_port=imap_server.port,
        imap_user=user,
        imap_password="s3cret-imap",
        imap_ssl=False,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",
        from_address=SHOP,
    )
    labels = EasyPostLabels("EZTK-test-key", base_url=f"{carrier.url}/v2", retries=0)

    summary = process_mailbox(engine, NOW, settings=settings, labels=labels)
    assert summary == {"fetched": 1, "new": 1, "auto": 1, "draft": 0, "escalate": 0}

    # The answer left through SMTP, threaded under the customer's message.
    assert len(smtp.messages) == 1
    sent = email.message_from_bytes(smtp.messages[0], policy=email.policy.default)
    assert (sent["To"], sent["From"], sent["Subject"]) == (f"Jane Doe <{JANE}>", SHOP, "Re: Return")
    assert sent["In-Reply-To"] == "<return-1@mail.example.com>"
    text = sent.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Your return number is RMA-10001" in text
    assert (
        "https://easypost-files.s3.us-west-2.amazonaws.com/files/postage_label/20260305/e8.png "
        "(return tracking number 9434600208303110955526)" in text
    )
    # The label: the cheapest rate of a return shipment, paid with the key in basic auth only.
    assert [r["path"] for r in carrier.requests] == [
        "/v2/shipments",
        "/v2/shipments/shp_8f2d1c4b7a9e4f0b9d3c2a1b0e9f8d7c/buy",
    ]
    assert carrier.requests[0]["body"]["shipment"]["is_return"] is True
    assert carrier.requests[0]["body"]["shipment"]["to_address"]["street1"] == "1 Dock Road"
    assert carrier.requests[1]["body"] == {"rate": {"id": "rate_usps_ga"}}
    assert carrier.requests[0]["auth"].startswith("Basic ")

    with transaction(engine) as session:
        ret = session.scalars(select(m.Return)).one()
        assert (ret.rma_number, ret.status, ret.reason) == ("RMA-10001", "approved", "too_large")
        assert (ret.return_tracking_number, ret.label_cost) == ("9434600208303110955526", Decimal("6.95"))
        ticket = session.scalars(select(m.SupportTicket)).one()
        assert (ticket.intent, ticket.decision, ticket.status) == ("return_request", "auto", "answered")
        assert ticket.first_response_at == NOW
        audit = sorted(session.scalars(select(m.AuditLog.action)).all())
        assert audit == ["support.buy_return_label", "support.create_return", "support.reply"]

    # The parcel comes back a week later: restock at the 21.00 it left with, refund 60.00.
    with transaction(engine) as session:
        outcome = receive_return_parcel(
            session, "RMA-10001", now=NOW + timedelta(days=7), condition="restockable", by="warehouse"
        )
    assert outcome == {
        "rma_number": "RMA-10001",
        "restocked": [{"sku": "LIN-WHT-L", "quantity": 1, "unit_cost": "21.0000"}],
        "refund": "60.00",
        "currency": "USD",
    }
    with transaction(engine) as session:
        movement = session.scalars(select(m.StockMovement).where(m.StockMovement.kind == "return")).one()
        assert (movement.variant_id, movement.quantity, movement.unit_cost) == (
            store["variant_L"],
            1,
            Decimal("21.00"),
        )
        level = session.scalars(
            select(m.StockLevel).where(m.StockLevel.variant_id == store["variant_L"])
        ).one()
        assert level.on_hand == 8
        refund = session.scalars(select(m.Refund)).one()
        assert (refund.amount, refund.order_id, refund.return_id) == (
            Decimal("60.00"),
            store["order_#1001"],
            ret.id,
        )
        assert session.get(m.Order, store["order_#1001"]).financial_status == "refunded"  # type: ignore[union-attr]

    # A second pass finds nothing new and sends nothing.
    again = process_mailbox(engine, NOW + timedelta(minutes=5), settings=settings, labels=labels)
    assert again == {"fetched": 0, "new": 0, "auto": 0, "draft": 0, "escalate": 0}
    assert len(smtp.messages) == 1
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(m.SupportMessage)) == 2


def test_a_refused_mailbox_login_is_one_line_without_the_password(
    engine: Engine, store: dict[str, int], imap_server: ImapServer, request: pytest.FixtureRequest
) -> None:
    from sasame.core.errors import ConfigError

    user = f"refused-{request.node.callspec.id}-{id(engine)}@tinythreads.example"
    imap_server.add_user(user, "right-password")
    settings = MailSettings(
        imap_host="127.0.0.1",
        imap_port=imap_server.port,
        imap_user=user,
        imap_password="wrong-password-123",
        imap_ssl=False,
    )
    with pytest.raises(ConfigError) as error:
        process_mailbox(engine, NOW, settings=settings)
    assert str(error.value) == (
        f"IMAP {user}@127.0.0.1:{imap_server.port}: login refused "
        "(check SASAME_IMAP_USER/SASAME_IMAP_PASSWORD)"
    )
    assert "wrong-password" not in str(error.value)
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(m.SyncState)) == 0
