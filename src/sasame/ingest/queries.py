"""Reads about what came in: the files imported, the formats sasame reads, the webhooks it refused.

A Session in, plain dataclasses out; the dashboard's Imports page and `/api/imports` show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sasame.connectors import REGISTRY
from sasame.models import AuditLog, SourceFile, SourceRecord

WEBHOOK_REJECTED = "webhook_rejected"
"""The audit_log action ingest/webhooks.py writes for a refused webhook."""


@dataclass(frozen=True)
class SupportedFormat:
    name: str
    """What `--format` and the upload form's override take, e.g. 'shopify.orders_csv'."""
    title: str
    """What the seller calls the export, e.g. 'Shopify orders export (CSV)'."""


@dataclass(frozen=True)
class ImportedFileRow:
    id: int
    name: str
    format: str
    format_title: str
    size_bytes: int
    imported_at: datetime
    source_records: int
    """Raw rows that point to this file (a re-exported file takes over the rows it repeats)."""


@dataclass(frozen=True)
class ImportedFiles:
    rows: list[ImportedFileRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class RejectedWebhookRow:
    id: int
    occurred_at: datetime
    platform: str
    endpoint: str
    topic: str | None
    remote_address: str | None
    reason: str


def supported_formats() -> list[SupportedFormat]:
    """Return every registered export format, in the registry's order (by platform)."""
    return [SupportedFormat(name=f.name, title=f.title) for f in REGISTRY]


def format_titles() -> dict[str, str]:
    return {f.name: f.title for f in REGISTRY}


def imported_files(session: Session, page: int = 1, per_page: int = 25) -> ImportedFiles:
    """Return one page of the imported files, newest first, with how many raw rows point to each."""
    page = max(1, page)
    total = session.scalar(select(func.count(SourceFile.id))) or 0
    records = (
        select(SourceRecord.source_file_id, func.count(SourceRecord.id).label("records"))
        .where(SourceRecord.source_file_id.is_not(None))
        .group_by(SourceRecord.source_file_id)
        .subquery()
    )
    # Only the listed columns: `content` holds each whole file and is never needed here.
    rows = session.execute(
        select(
            SourceFile.id,
            SourceFile.name,
            SourceFile.format,
            SourceFile.size_bytes,
            SourceFile.imported_at,
            func.coalesce(records.c.records, 0),
        )
        .outerjoin(records, records.c.source_file_id == SourceFile.id)
        .order_by(SourceFile.imported_at.desc(), SourceFile.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    titles = format_titles()
    return ImportedFiles(
        rows=[
            ImportedFileRow(
                id=file_id,
                name=name,
                format=format_name,
                format_title=titles.get(format_name, format_name),
                size_bytes=size_bytes,
                imported_at=imported_at,
                source_records=count,
            )
            for file_id, name, format_name, size_bytes, imported_at, count in rows
        ],
        total=total,
        page=page,
        per_page=per_page,
    )


def rejected_webhooks(session: Session, limit: int = 20) -> list[RejectedWebhookRow]:
    """Return the most recent refused webhooks: when, which platform's endpoint, and why."""
    entries = session.scalars(
        select(AuditLog)
        .where(AuditLog.action == WEBHOOK_REJECTED)
        .order_by(AuditLog.occurred_at.desc(), AuditLog.id.desc())
        .limit(limit)
    ).all()
    rows = []
    for entry in entries:
        platform = entry.actor.removeprefix("webhook:")
        inputs = entry.inputs if isinstance(entry.inputs, dict) else {}
        rows.append(
            RejectedWebhookRow(
                id=entry.id,
                occurred_at=entry.occurred_at,
                platform=platform,
                endpoint=f"/webhooks/{platform}",
                topic=_text(inputs.get("topic")),
                remote_address=_text(inputs.get("remote_address")),
                reason=entry.outcome.removeprefix("rejected: "),
            )
        )
    return rows


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)
