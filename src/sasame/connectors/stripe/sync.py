"""Sync Stripe payouts and the balance transactions each paid out → payout records (provider 'stripe').

Payouts are listed by creation time from the stored cursor minus an overlap: a payout created a
few days ago may have gone from in_transit to paid since, and re-reading it is harmless because
upserts are idempotent. Each payout's lines come from `/v1/balance_transactions?payout=po_…`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from sasame.business.service import store_settings
from sasame.connectors.base import ParseContext
from sasame.connectors.payloads import Node
from sasame.connectors.records import PayoutRecord
from sasame.connectors.stripe.api_records import payout_lines, payout_record
from sasame.connectors.stripe.client import StripeClient
from sasame.core.clock import zone
from sasame.ingest.service import money_totals
from sasame.ingest.sync import SyncSummary, read_cursor, save_cursor
from sasame.ingest.upsert import Upserter

STREAM = "stripe.payouts"
ORIGIN = "stripe.api.balance_transactions"
PAYOUT_ORIGIN = "stripe.api.payouts"
OVERLAP = timedelta(days=14)
"""Stripe payouts settle within days; two weeks of overlap catches every status change."""


def sync_stripe(session: Session, client: StripeClient, *, now: datetime) -> SyncSummary:
    """Fetch payouts created since the cursor (less the overlap) with their lines, and upsert them."""
    settings = store_settings(session)
    context = ParseContext(timezone=zone(settings.timezone), currency=settings.currency)
    cursor = read_cursor(session, STREAM)
    since = int(cursor) - int(OVERLAP.total_seconds()) if cursor else None
    records: list[PayoutRecord] = []
    transactions_read = 0
    newest = int(cursor) if cursor else None
    for raw_payout in client.payouts(created_gte=since):
        payout = Node(raw_payout, file="Stripe /v1/payouts", row=None, path=str(raw_payout.get("id", "")))
        payout_id = payout.required_text("id")
        transactions = [
            Node(
                t,
                file=f"Stripe /v1/balance_transactions?payout={payout_id}",
                row=None,
                path=str(t.get("id", "")),
            )
            for t in client.balance_transactions(payout=payout_id)
        ]
        transactions_read += len(transactions)
        lines = payout_lines(transactions, context, origin=ORIGIN)
        records.append(payout_record(payout, lines, context, origin=PAYOUT_ORIGIN))
        created = payout.integer("created", required=True)
        assert created is not None
        newest = created if newest is None else max(newest, created)
    upserter = Upserter(session, now=now, timezone=context.timezone, source_file=None)
    upserter.payouts(records)
    save_cursor(session, STREAM, str(newest) if newest is not None else None, now)
    return SyncSummary(
        platform="stripe",
        fetched={"payouts": len(records), "balance_transactions": transactions_read},
        cursors={STREAM: str(newest) if newest is not None else None},
        records=upserter.outcome.as_json(),
        money=money_totals(records),
        warnings=context.warnings,
    )
