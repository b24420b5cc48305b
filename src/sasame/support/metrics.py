"""Support metrics: automation rate, precision from human corrections, first-response time, hours
saved, per intent and per week; and the understanding's scores for `sasame support eval`.

Definitions (a ticket counts once, by its decision):

* automation rate: tickets decided ``auto`` / tickets decided at all;
* precision: of the tickets a person reviewed after the engine answered or drafted (approved
  as is, edited, rejected), the share approved as is; an auto answer later corrected counts
  against it. Without reviews it is unknown (None), never assumed;
* first-response time: median hours from the ticket's first message to the first reply sent;
* hours saved: automatic tickets x the policy's minutes per ticket, plus approved drafts x half
  of it (a person still read them);
* held for want of an outbox: drafts whose answer the policy lets go out alone, still waiting
  because no SMTP server is configured to send it (what connecting one would automate).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.core.clock import business_day
from sasame.support.evaluation import Prediction
from sasame.support.evaluation import evaluate as evaluate_predictions
from sasame.support.policy import Policy
from sasame.support.queries import aware
from sasame.support.service import NO_OUTBOX


@dataclass
class SupportMetrics:
    tickets: int
    decided: int
    decisions: dict[str, int]
    automation_rate: float | None
    reviewed: int
    approved: int
    precision: float | None
    median_first_response_hours: float | None
    hours_saved: float
    held_for_outbox: int
    per_intent: dict[str, dict[str, Any]]
    weekly: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def support_metrics(
    session: Session, policy: Policy, *, now: datetime, timezone: str, weeks: int = 12
) -> SupportMetrics:
    rows = session.execute(
        select(
            m.SupportTicket.intent,
            m.SupportTicket.decision,
            m.SupportTicket.review_outcome,
            m.SupportTicket.opened_at,
            m.SupportTicket.first_response_at,
        )
    ).all()
    decisions: Counter[str] = Counter()
    per_intent: dict[str, Counter[str]] = defaultdict(Counter)
    weekly: dict[date, Counter[str]] = defaultdict(Counter)
    responses: list[float] = []
    since = business_day(now - timedelta(weeks=weeks), timezone)
    for intent, decision, review, opened_value, response_value in rows:
        opened, first_response = aware(opened_value), aware(response_value)
        if decision:
            decisions[decision] += 1
            per_intent[intent or "unknown"][decision] += 1
        if review:
            per_intent[intent or "unknown"]["reviewed"] += 1
            per_intent[intent or "unknown"][f"review_{review}"] += 1
        if opened is not None and first_response is not None:
            responses.append((first_response - opened).total_seconds() / 3600)
        if opened is not None and decision:
            day = business_day(opened, timezone)
            if day >= since:
                week = day - timedelta(days=day.weekday())
                weekly[week][decision] += 1
                if first_response is not None:
                    weekly[week]["answered"] += 1
    decided = sum(decisions.values())
    reviewed_counts = Counter(review for _, _, review, _, _ in rows if review)
    reviewed = sum(reviewed_counts.values())
    approved_drafts = sum(
        1 for _, decision, review, _, _ in rows if decision == "draft" and review == "approved"
    )
    hours_saved = (
        decisions["auto"] * policy.minutes_per_ticket + approved_drafts * policy.minutes_per_ticket / 2
    ) / 60
    held = {
        ticket_id
        for ticket_id, payload in session.execute(
            select(m.SupportAction.ticket_id, m.SupportAction.payload)
            .join(m.SupportTicket, m.SupportTicket.id == m.SupportAction.ticket_id)
            .where(
                m.SupportAction.kind == "reply",
                m.SupportAction.status == "proposed",
                m.SupportTicket.decision == "draft",
                m.SupportTicket.status == "pending",
            )
        )
        if NO_OUTBOX in (payload or {}).get("reasons", ())
    }
    return SupportMetrics(
        tickets=len(rows),
        decided=decided,
        decisions=dict(decisions),
        automation_rate=decisions["auto"] / decided if decided else None,
        reviewed=reviewed,
        approved=reviewed_counts["approved"],
        precision=reviewed_counts["approved"] / reviewed if reviewed else None,
        median_first_response_hours=round(median(responses), 2) if responses else None,
        hours_saved=round(hours_saved, 1),
        held_for_outbox=len(held),
        per_intent={
            intent: {
                "auto": c["auto"],
                "draft": c["draft"],
                "escalate": c["escalate"],
                "automation_rate": c["auto"] / max(1, c["auto"] + c["draft"] + c["escalate"]),
                "reviewed": c["reviewed"],
                "precision": c["review_approved"] / c["reviewed"] if c["reviewed"] else None,
            }
            for intent, c in sorted(per_intent.items())
        },
        weekly=[
            {
                "week": week.isoformat(),
                "auto": c["auto"],
                "draft": c["draft"],
                "escalate": c["escalate"],
                "answered": c["answered"],
            }
            for week, c in sorted(weekly.items())
        ],
    )


def understanding_report(predictions: list[Prediction]) -> dict[str, Any]:
    """Accuracy, precision at each coverage level, calibration, out-of-scope recall and the confusion
    matrix of the understanding's readings, as computed by ``support.evaluation``."""
    return evaluate_predictions(predictions).to_json()
