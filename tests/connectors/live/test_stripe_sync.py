"""Stripe payouts and balance transactions: a real local server shaped like Stripe's list API
(`data`, `has_more`, `starting_after`, minor units), then retries, timeouts and key hygiene."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from local_api import Seen, local_api
from sqlalchemy import select

from sasame import models as m
from sasame.connectors.stripe.client import StripeAPIError, StripeClient
from sasame.connectors.stripe.sync import STREAM, sync_stripe
from sasame.db import transaction

NOW = datetime(2026, 3, 6, 9, tzinfo=UTC)
KEY = "sk_test_51QxSecretKeyThatMustNeverShow"
PAGE = 2
"""The test server pages by two whatever the limit asked, so paging is exercised."""


def txn(
    id: str,
    category: str,
    amount: int,
    fee: int,
    created: int,
    currency: str = "usd",
    type: str | None = None,
) -> dict[str, Any]:
    return {
        "id": id,
        "object": "balance_transaction",
        "amount": amount,
        "available_on": created + 2 * 86400,
        "created": created,
        "currency": currency,
        "description": f"{category} {id}",
        "exchange_rate": None,
        "fee": fee,
        "fee_details": [
            {
                "amount": fee,
                "application": None,
                "currency": currency,
                "description": "Stripe processing fees",
                "type": "stripe_fee",
            }
        ]
        if fee
        else [],
        "net": amount - fee,
        "reporting_category": category,
        "source": f"src_{id}",
        "status": "available",
        "type": type or category,
    }


PAYOUTS = [
    {
        "id": "po_1QxUSD000000001",
        "object": "payout",
        "amount": 116300,
        "arrival_date": 1772496000,  # 2026-03-03
        "automatic": True,
        "balance_transaction": "txn_po_usd",
        "created": 1772409600,  # 2026-03-02
        "currency": "usd",
        "description": "STRIPE PAYOUT",
        "method": "standard",
        "status": "paid",
        "type": "bank_account",
    },
    {
        "id": "po_1QxJPY000000002",
        "object": "payout",
        "amount": 5000,
        "arrival_date": 1772582400,  # 2026-03-04
        "automatic": True,
        "balance_transaction": "txn_po_jpy",
        "created": 1772496000,
        "currency": "jpy",
        "status": "in_transit",
        "type": "bank_account",
    },
]
TRANSACTIONS = {
    "po_1QxUSD000000001": [
        txn("txn_1", "charge", 100000, 3930, 1772150400),
        txn("txn_2", "charge", 30000, 1170, 1772154000),
        txn("txn_3", "refund", -5000, 0, 1772240400),
        txn("txn_4", "dispute", -2000, 1500, 1772244000, type="adjustment"),
        txn("txn_5", "climate_order_purchase", -100, 0, 1772250000, type="climate_order_purchase"),
        txn("txn_po_usd", "payout", -116300, 0, 1772409600, type="payout"),
    ],
    "po_1QxJPY000000002": [
        txn("txn_j1", "charge", 5200, 200, 1772400000, currency="jpy"),
        txn("txn_po_jpy", "payout", -5000, 0, 1772496000, currency="jpy", type="payout"),
    ],
}


def page_of(items: list[dict[str, Any]], query: dict[str, str], url: str) -> dict[str, Any]:
    start = 0
    if "starting_after" in query:
        start = next(i for i, item in enumerate(items) if item["id"] == query["starting_after"]) + 1
    chunk = items[start : start + PAGE]
    return {"object": "list", "data": chunk, "has_more": start + PAGE < len(items), "url": url}


def stripe_like(request: Seen) -> tuple[int, dict[str, str], Any]:
    if request.headers.get("authorization") != f"Bearer {KEY}":
        return (
            401,
            {},
            {
                "error": {
                    "type": "invalid_request_error",
                    "message": "Invalid API Key provided: sk_test_****Show",
                }
            },
        )
    if request.path == "/v1/payouts":
        since = int(request.query.get("created[gte]", 0))
        return 200, {}, page_of([p for p in PAYOUTS if p["created"] >= since], request.query, "/v1/payouts")
    if request.path == "/v1/balance_transactions":
        return (
            200,
            {},
            page_of(TRANSACTIONS[request.query["payout"]], request.query, "/v1/balance_transactions"),
        )
    return 404, {}, {"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}}


def test_sync_over_a_real_socket_builds_exact_payouts_and_is_incremental(engine) -> None:
    with local_api(stripe_like) as (url, seen), StripeClient(KEY, base_url=url) as client:
        with transaction(engine) as session:
            summary = sync_stripe(session, client, now=NOW)
        assert summary.fetched == {"payouts": 2, "balance_transactions": 8}
        assert summary.records["payout"] == {"created": 2, "updated": 0, "unchanged": 0}
        assert summary.money == {"payouts": {"JPY": Decimal("5000"), "USD": Decimal("1163.00")}}
        assert summary.warnings == [
            "Stripe balance transaction txn_5: unknown category 'climate_order_purchase' kept as other"
        ]
        assert summary.cursors == {STREAM: "1772496000"}
        # paging: the payout with six transactions took three pages, each after the last id
        pages = [r.query.get("starting_after") for r in seen if r.query.get("payout") == "po_1QxUSD000000001"]
        assert pages == [None, "txn_2", "txn_4"]
        assert all(r.query["limit"] == "100" for r in seen)

        with transaction(engine) as session:
            again = sync_stripe(session, client, now=NOW)
        assert again.records["payout"] == {"created": 0, "updated": 0, "unchanged": 2}
        assert seen[-1].path == "/v1/balance_transactions"
        second_listing = [r for r in seen if r.path == "/v1/payouts"][-1]
        assert second_listing.query["created[gte]"] == str(1772496000 - 14 * 86400)

    with transaction(engine) as session:
        payout = session.scalar(select(m.Payout).where(m.Payout.external_id == "po_1QxUSD000000001"))
        lines = list(
            session.scalars(
                select(m.PayoutLine).where(m.PayoutLine.payout_id == payout.id).order_by(m.PayoutLine.id)
            )
        )
        state = session.scalar(select(m.SyncState).where(m.SyncState.stream == STREAM))
    assert (payout.amount, payout.currency, payout.paid_on, payout.status) == (
        Decimal("1163.00"),
        "USD",
        date(2026, 3, 3),
        "paid",
    )
    assert payout.period_start == datetime(2026, 2, 27, tzinfo=UTC)
    assert [(line.kind, line.amount, line.fee_type) for line in lines] == [
        ("principal", Decimal("1000.00"), None),
        ("fee", Decimal("-39.30"), "stripe_fee"),
        ("principal", Decimal("300.00"), None),
        ("fee", Decimal("-11.70"), "stripe_fee"),
        ("refund", Decimal("-50.00"), None),
        ("chargeback", Decimal("-20.00"), None),
        ("fee", Decimal("-15.00"), "stripe_fee"),
        ("other", Decimal("-1.00"), "climate_order_purchase"),
    ]
    assert sum(line.amount for line in lines) == payout.amount
    assert state.cursor == "1772496000" and state.synced_at == NOW


def test_rate_limits_and_server_errors_are_retried_with_backoff() -> None:
    answers = iter([(429, {"Retry-After": "3"}), (500, {}), (200, {})])
    waits: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        status, headers = next(answers)
        body = (
            {"object": "list", "data": [], "has_more": False}
            if status == 200
            else {"error": {"message": "slow down"}}
        )
        return httpx.Response(status, headers=headers, json=body)

    client = StripeClient(KEY, transport=httpx.MockTransport(handler), sleep=waits.append, backoff=0.5)
    assert list(client.payouts()) == []
    assert waits == [3.0, 1.0]  # Retry-After first, then exponential backoff (0.5 × 2)


def test_timeouts_give_up_after_the_retries_without_showing_the_key(caplog) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ReadTimeout("timed out", request=request)

    client = StripeClient(KEY, transport=httpx.MockTransport(handler), sleep=lambda _: None, max_retries=2)
    with caplog.at_level(logging.DEBUG), pytest.raises(StripeAPIError) as caught:
        list(client.payouts())
    assert calls == 3
    assert str(caught.value) == "GET /v1/payouts: no answer from Stripe (ReadTimeout)"
    assert KEY not in caplog.text and KEY not in repr(client)


def test_a_refused_key_is_a_clear_error_that_never_echoes_it(engine, caplog) -> None:
    with (
        local_api(stripe_like) as (url, _),
        StripeClient("sk_test_wrong", base_url=url) as client,
        caplog.at_level(logging.DEBUG),
        pytest.raises(StripeAPIError) as caught,
        transaction(engine) as session,
    ):
        sync_stripe(session, client, now=NOW)
    assert (
        str(caught.value) == "GET /v1/payouts: Stripe answered 401: Invalid API Key provided: [redacted key]"
    )
    assert "sk_test" not in caplog.text
    with transaction(engine) as session:
        assert session.scalar(select(m.SyncState)) is None
