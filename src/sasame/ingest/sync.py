"""What every live API sync shares: the stored cursor per stream and the summary it reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sasame import models as m


def read_cursor(session: Session, stream: str) -> str | None:
    """The cursor the last successful sync of this stream stored; None before the first."""
    return session.scalar(select(m.SyncState.cursor).where(m.SyncState.stream == stream))


def save_cursor(session: Session, stream: str, cursor: str | None, now: datetime) -> None:
    """Store where this stream got to; in the caller's transaction, so a failed sync keeps the old one."""
    state = session.scalar(select(m.SyncState).where(m.SyncState.stream == stream))
    if state is None:
        session.add(m.SyncState(stream=stream, cursor=cursor, synced_at=now))
    else:
        state.cursor = cursor if cursor is not None else state.cursor
        state.synced_at = now
    session.flush()


@dataclass
class SyncSummary:
    """What a sync fetched and wrote, per stream and entity, for `sasame sync … --json`."""

    platform: str
    fetched: dict[str, int] = field(default_factory=dict)
    """API objects read per stream."""
    cursors: dict[str, str | None] = field(default_factory=dict)
    records: dict[str, dict[str, int]] = field(default_factory=dict)
    money: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "fetched": self.fetched,
            "cursors": self.cursors,
            "records": self.records,
            "money": {
                label: {currency: str(amount) for currency, amount in totals.items()}
                for label, totals in self.money.items()
            },
            "warnings": self.warnings,
        }
