"""Signed webhooks from Shopify, WooCommerce and Stripe, through the real app on both databases:
valid bodies are applied once (idempotently), unsigned, tampered, stale or unconfigured ones are
refused with an audit_log row and change nothing; secrets never show in answers, logs or the audit."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from sasame import models as m
from sasame.config import Settings
from sasame.core.clock import fixed_clock
from sasame.db import transaction
from sasame.web.app import create_app

PAYLOADS = Path(__file__).parent / "payloads"
WOO_FIXTURES = Path(__file__).parent.parent / "woocommerce" / "fixtures"
NOW = datetime(2026, 3, 4, 12, tzinfo=UTC)
SECRETS = {
    "SASAME_SHOPIFY_WEBHOOK_SECRET": "shpss_test_5e3c0ffee5ecret",
    "SASAME_WOOCOMMERCE_WEBHOOK_SECRET": "wc-hook-secret-Zq81",
    "SASAME_STRIPE_WEBHOOK_SECRET": "whsec_test_9f8e7d6c5b4a",
}


@pytest.fixture
def client(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    app = create_app(engine, Settings(database_url="sqlite://", secret_key="cookie-key"), fixed_clock(NOW))
    with TestClient(app) as test_client:
        yield test_client


def b64(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def stripe_header(body: bytes, secret: str, at: datetime = NOW) -> str:
    timestamp = int(at.timestamp())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest},v0=deadbeef"


def post_shopify(client: TestClient, topic: str, document: Any, *, secret: str | None = None) -> Any:
    body = json.dumps(document).encode()
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": b64(body, secret or SECRETS["SASAME_SHOPIFY_WEBHOOK_SECRET"]),
        "X-Shopify-Shop-Domain": "sasame-goods.myshopify.com",
        "Content-Type": "application/json",
    }
    return client.post("/webhooks/shopify", content=body, headers=headers)


def table_counts(engine: Engine) -> dict[str, Any]:
    with transaction(engine) as session:
        return {
            "orders": session.scalar(select(func.count()).select_from(m.Order)),
            "refunds": session.scalar(select(func.count()).select_from(m.Refund)),
            "shipments": session.scalar(select(func.count()).select_from(m.Shipment)),
            "payouts": session.scalar(select(func.count()).select_from(m.Payout)),
            "order_total": session.scalar(select(func.coalesce(func.sum(m.Order.total), 0))),
        }


def rejections(engine: Engine) -> list[m.AuditLog]:
    with transaction(engine) as session:
        return list(session.scalars(select(m.AuditLog).where(m.AuditLog.action == "webhook_rejected")))


def shopify_order() -> dict[str, Any]:
    return json.loads((PAYLOADS / "shopify_orders_create.json").read_text())


def test_shopify_order_webhooks_apply_once_and_bring_refunds_and_tracking(client, engine) -> None:
    created = post_shopify(client, "orders/create", shopify_order())
    assert created.status_code == 200, created.text
    assert created.json()["records"]["order"] == {"created": 1, "updated": 0, "unchanged": 0}
    again = post_shopify(client, "orders/create", shopify_order())  # Shopify delivers at least once
    assert again.json()["records"]["order"] == {"created": 0, "updated": 0, "unchanged": 1}

    updated = shopify_order()
    updated["financial_status"] = "partially_refunded"
    updated["fulfillment_status"] = "fulfilled"
    updated["fulfillments"] = [
        {
            "id": 4400123456789,
            "order_id": updated["id"],
            "name": "#1043.1",
            "status": "success",
            "created_at": "2026-03-02T09:00:00-05:00",
            "updated_at": "2026-03-03T16:20:00-05:00",
            "service": "manual",
            "shipment_status": "in_transit",
            "tracking_company": "UPS",
            "tracking_number": "1Z999AA10123456784",
            "tracking_numbers": ["1Z999AA10123456784"],
            "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
            "tracking_urls": ["https://www.ups.com/track?tracknum=1Z999AA10123456784"],
            "line_items": [],
        }
    ]
    updated["refunds"] = [
        {
            "id": 9100123456789,
            "order_id": updated["id"],
            "created_at": "2026-03-05T09:00:00-05:00",
            "processed_at": "2026-03-05T09:00:00-05:00",
            "note": "Tote returned",
            "restock": True,
            "refund_line_items": [],
            "transactions": [
                {
                    "id": 1,
                    "kind": "refund",
                    "status": "failure",
                    "amount": "32.16",
                    "gateway": "shopify_payments",
                },
                {
                    "id": 2,
                    "kind": "refund",
                    "status": "success",
                    "amount": "32.16",
                    "gateway": "shopify_payments",
                },
            ],
            "order_adjustments": [],
        }
    ]
    response = post_shopify(client, "orders/updated", updated)
    assert response.status_code == 200, response.text
    assert response.json()["records"]["order"] == {"created": 0, "updated": 1, "unchanged": 0}
    with transaction(engine) as session:
        order = session.scalar(select(m.Order))
        refund = session.scalar(select(m.Refund))
        shipment = session.scalar(select(m.Shipment))
        lines = list(session.scalars(select(m.OrderLine).order_by(m.OrderLine.id)))
    assert (order.number, order.external_id, order.total, order.subtotal) == (
        "#1043",
        "5891234567890",
        Decimal("82.76"),
        Decimal("80.00"),
    )
    assert order.ordered_at == datetime(2026, 3, 1, 15, 15, tzinfo=UTC)
    assert (order.utm_source, order.utm_medium, order.utm_campaign) == ("google", "cpc", "brand_search")
    assert (order.financial_status, order.fulfillment_status) == ("partially_refunded", "fulfilled")
    assert [(line.sku, line.discount, line.tax) for line in lines] == [
        ("TEE-LIN-M", Decimal("5.00"), Decimal("3.60")),
        ("TOTE-CNV", Decimal("3.00"), Decimal("2.16")),
    ]
    assert refund.amount == Decimal("32.16") and refund.reason == "Tote returned"
    assert (shipment.carrier, shipment.tracking_number, shipment.status) == (
        "UPS",
        "1Z999AA10123456784",
        "in_transit",
    )


def test_refund_webhook_for_an_unknown_order_changes_nothing(client, engine) -> None:
    refund = {"id": 1, "order_id": 42, "created_at": "2026-03-05T09:00:00-05:00", "transactions": []}
    response = post_shopify(client, "refunds/create", refund)
    assert response.status_code == 422
    assert "order 42 is not imported yet" in response.json()["detail"]
    assert table_counts(engine)["refunds"] == 0


def test_a_signed_body_with_a_number_the_database_cannot_hold_is_refused_cleanly(client, engine) -> None:
    # A quantity of 10**20 reached the database unbounded: a 500 and a retry storm, not a reason.
    order = shopify_order()
    order["line_items"][0]["quantity"] = 10**20
    response = post_shopify(client, "orders/create", order)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("shopify webhook orders/create: holds a ")
    assert table_counts(engine)["orders"] == 0


def test_unused_topics_are_acknowledged_without_writing(client, engine) -> None:
    response = post_shopify(client, "customers/create", {"id": 1, "email": "a@example.com"})
    assert response.status_code == 200 and response.json()["applied"] is False
    assert table_counts(engine)["orders"] == 0


@pytest.mark.parametrize(
    "how",
    ["unsigned", "tampered", "wrong secret", "signature of another body"],
)
def test_shopify_refuses_unsigned_and_tampered_bodies(client, engine, how, caplog) -> None:
    body = json.dumps(shopify_order()).encode()
    secret = SECRETS["SASAME_SHOPIFY_WEBHOOK_SECRET"]
    headers = {"X-Shopify-Topic": "orders/create"}
    if how == "tampered":
        headers["X-Shopify-Hmac-Sha256"] = b64(body, secret)
        body = body.replace(b'"82.76"', b'"0.01"')
    elif how == "wrong secret":
        headers["X-Shopify-Hmac-Sha256"] = b64(body, "not-the-secret")
    elif how == "signature of another body":
        headers["X-Shopify-Hmac-Sha256"] = b64(b"{}", secret)
    with caplog.at_level(logging.DEBUG):
        response = client.post("/webhooks/shopify", content=body, headers=headers)
    assert response.status_code == 401
    assert table_counts(engine) == {"orders": 0, "refunds": 0, "shipments": 0, "payouts": 0, "order_total": 0}
    [audit] = rejections(engine)
    assert audit.actor == "webhook:shopify" and audit.inputs["topic"] == "orders/create"
    assert audit.inputs["body_sha256"] == hashlib.sha256(body).hexdigest()
    everything = response.text + caplog.text + json.dumps(audit.inputs) + audit.outcome
    assert secret not in everything


def test_woocommerce_signed_order_ping_and_tampering(client, engine) -> None:
    secret = SECRETS["SASAME_WOOCOMMERCE_WEBHOOK_SECRET"]
    body = (WOO_FIXTURES / "order_webhook_modern.json").read_bytes()
    headers = {"X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Signature": b64(body, secret)}
    response = client.post("/webhooks/woocommerce", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["records"]["order"]["created"] == 1
    assert table_counts(engine) == {
        "orders": 1,
        "refunds": 1,
        "shipments": 1,
        "payouts": 0,
        "order_total": Decimal("74.74"),
    }
    ping = b"webhook_id=17"
    pinged = client.post(
        "/webhooks/woocommerce",
        content=ping,
        headers={
            "X-WC-Webhook-Signature": b64(ping, secret),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert pinged.status_code == 200 and pinged.json()["note"] == "ping acknowledged"
    tampered = body.replace(b'"74.74"', b'"7.47"')
    refused = client.post("/webhooks/woocommerce", content=tampered, headers=headers)
    assert refused.status_code == 401
    assert table_counts(engine)["order_total"] == Decimal("74.74")
    assert len(rejections(engine)) == 1


def test_stripe_payout_event_verified_with_timestamp_tolerance(client, engine) -> None:
    secret = SECRETS["SASAME_STRIPE_WEBHOOK_SECRET"]
    body = (PAYLOADS / "stripe_payout_paid.json").read_bytes()
    stale = client.post(
        "/webhooks/stripe",
        content=body,
        headers={"Stripe-Signature": stripe_header(body, secret, datetime(2026, 3, 4, 11, 54, tzinfo=UTC))},
    )
    assert stale.status_code == 401 and "tolerance" in stale.json()["detail"]
    forged = client.post(
        "/webhooks/stripe", content=body, headers={"Stripe-Signature": stripe_header(body, "x")}
    )
    assert forged.status_code == 401
    assert table_counts(engine)["payouts"] == 0
    ok = client.post(
        "/webhooks/stripe", content=body, headers={"Stripe-Signature": stripe_header(body, secret)}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["topic"] == "payout.paid" and ok.json()["records"]["payout"]["created"] == 1
    with transaction(engine) as session:
        payout = session.scalar(select(m.Payout))
    assert (payout.provider, payout.external_id, payout.amount, payout.currency, payout.status) == (
        "stripe",
        "po_1QxPay0ut000001",
        Decimal("1234.56"),
        "USD",
        "paid",
    )
    assert payout.paid_on.isoformat() == "2026-03-04"
    assert [a.outcome for a in rejections(engine)] == [
        "rejected: signed timestamp is outside the 5-minute tolerance",
        "rejected: signature does not match",
    ]


def test_an_unconfigured_secret_refuses_everything(client, engine, monkeypatch) -> None:
    monkeypatch.delenv("SASAME_SHOPIFY_WEBHOOK_SECRET")
    response = post_shopify(client, "orders/create", shopify_order(), secret="anything")
    assert response.status_code == 401
    assert "SASAME_SHOPIFY_WEBHOOK_SECRET is not set" in response.json()["detail"]
    assert table_counts(engine)["orders"] == 0


def test_webhooks_need_no_login_or_csrf_but_pages_still_do(client) -> None:
    body = copy.deepcopy(shopify_order())
    assert post_shopify(client, "orders/create", body).status_code == 200
    assert client.post("/login", data={"email": "x", "password": "y"}).status_code == 403


def test_oversized_bodies_are_refused_unread(client, engine) -> None:
    body = b"{" + b" " * (5 * 1024 * 1024) + b"}"
    response = client.post("/webhooks/shopify", content=body, headers={"X-Shopify-Topic": "orders/create"})
    assert response.status_code == 413
    assert table_counts(engine)["orders"] == 0
