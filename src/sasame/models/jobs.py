"""Which process is running a piece of background work right now (`sasame.jobs.lease`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sasame.models.base import Base, UTCDateTime


class JobLease(Base):
    """One kind of work ('inventory.plan', 'support.mailbox') held by one run until it lets go or
    the lease expires: a row, not a thread lock, so `sasame serve`, a cron `sasame run` and a page
    pressed in the dashboard see each other on the same database."""

    __tablename__ = "job_lease"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    """Who holds it: host, process id and thread, plus a random token so a holder is never mistaken."""
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    """The holder's machine and process: a lease whose process is gone from this machine (killed,
    restarted) is let go at once rather than when it expires."""
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """After this instant (wall clock) the holder is presumed dead and another run may take it."""
