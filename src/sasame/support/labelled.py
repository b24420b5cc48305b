"""Labelled messages as JSON lines: export the demo inbox's labels, read any LABELLED.jsonl, and
score the autopilot's decisions on them (what `sasame support eval` prints).

A line is ``{"id", "from", "subject", "body", "message_id"?, "in_reply_to"?, "label": {"intent",
"order_number"?, "facts"?, "must_escalate"?}}``; a line with a top-level ``intent`` and no
``label`` (a plain intent dataset) is read as ``{"label": {"intent": ...}}``.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.core.clock import ensure_utc
from sasame.core.errors import InputError
from sasame.support.evaluation import Prediction
from sasame.support.grading import grade
from sasame.support.triage import IncomingMessage, TriageContext, TriageResult, triage

MUST_ESCALATE = frozenset({"wrong_item", "damaged_item", "complaint"})


def demo_labelled(session: Session) -> list[dict[str, Any]]:
    """Return the inbox's inbound messages with their ground-truth labels, oldest first."""
    labels = {
        key: value
        for key, value in session.execute(
            select(m.GroundTruth.key, m.GroundTruth.value).where(m.GroundTruth.kind == "email_label")
        )
    }
    lines = []
    for message in session.scalars(
        select(m.SupportMessage)
        .where(m.SupportMessage.message_id.in_(list(labels)), m.SupportMessage.direction == "inbound")
        .order_by(m.SupportMessage.sent_at, m.SupportMessage.id)
    ):
        label = labels[message.message_id]
        lines.append(
            {
                "id": message.message_id,
                "from": message.from_address,
                "subject": message.subject,
                "body": message.body,
                "date": ensure_utc(message.sent_at).isoformat().replace("+00:00", "Z"),
                "message_id": message.message_id,
                "in_reply_to": message.in_reply_to,
                "label": {
                    "intent": label["intent"],
                    "secondary_intent": label.get("secondary_intent"),
                    "order_number": label.get("order_number"),
                    "order_ref_in_text": label.get("order_ref_in_text"),
                    "must_escalate": label.get("must_escalate", label["intent"] in MUST_ESCALATE),
                    "facts": label.get("facts") or {},
                },
            }
        )
    return lines


def read_jsonl(path: Path, *, labelled: bool) -> list[dict[str, Any]]:
    """Read message lines; a bad line is an InputError naming the file and line."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    lines: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except json.JSONDecodeError as error:
                raise InputError(f"{path}, line {number}: not JSON ({error.msg})") from None
            if not isinstance(line, dict):
                raise InputError(f"{path}, line {number}: expected a JSON object")
            if line.get("id") in (None, "") or not isinstance(line.get("id"), str | int):
                raise InputError(f"{path}, line {number}: field 'id' is missing")
            for key in ("subject", "body"):
                if not isinstance(line.get(key, ""), str):
                    raise InputError(f"{path}, line {number}: field {key!r} is not text")
            if line.get("date") is not None:
                try:
                    line["date"] = written_at(line["date"])
                except (TypeError, ValueError) as error:
                    raise InputError(f"{path}, line {number}: field 'date' {error}") from None
            if labelled:
                label = line.get("label")
                if label is None and isinstance(line.get("intent"), str):
                    line["label"] = {"intent": line["intent"]}
                elif not isinstance(label, dict) or not isinstance(label.get("intent"), str):
                    raise InputError(f"{path}, line {number}: field 'label' needs an 'intent'")
            lines.append(line)
    return lines


def written_at(value: Any) -> datetime:
    """A line's optional ``date``, when the customer wrote: an ISO 8601 instant with its offset
    ("2026-11-24T16:19:00Z"); the "orders the message may be about" are those before it."""
    if isinstance(value, datetime):
        return ensure_utc(value)
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not an ISO 8601 date and time")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset (write it as 2026-11-24T16:19:00Z)")
    return ensure_utc(parsed)


def messages_of(lines: Iterable[dict[str, Any]]) -> Iterator[IncomingMessage]:
    """Turn lines into messages, giving a reply the text of the earlier message it answers."""
    seen: dict[str, str] = {}
    for line in lines:
        reply_to = line.get("in_reply_to")
        thread = seen.get(reply_to) if isinstance(reply_to, str) else None
        body = str(line.get("body") or "")
        message_id = line.get("message_id")
        if isinstance(message_id, str):
            seen[message_id] = body
        yield IncomingMessage(
            id=str(line["id"]),
            sender=str(line.get("from") or ""),
            subject=str(line.get("subject") or ""),
            body=body,
            message_id=message_id if isinstance(message_id, str) else None,
            in_reply_to=reply_to if isinstance(reply_to, str) else None,
            received_at=written_at(line["date"]) if line.get("date") is not None else None,
            thread_text=thread,
        )


def already_handled(session: Session, lines: Iterable[dict[str, Any]]) -> int:
    """How many of the lines are messages of this database whose ticket the autopilot has already
    decided: re-reading them sees what those answers changed (an order cancelled, an RMA opened)
    while the labels describe the store before, so their figures are not a first reading."""
    ids = [line["message_id"] for line in lines if line.get("message_id")]
    if not ids:
        return 0
    handled = 0
    for start in range(0, len(ids), 500):  # within every database's limit on bound parameters
        handled += len(
            session.scalars(
                select(m.SupportMessage.id)
                .join(m.SupportTicket, m.SupportTicket.id == m.SupportMessage.ticket_id)
                .where(m.SupportMessage.message_id.in_(ids[start : start + 500]))
                .where(m.SupportTicket.decision.is_not(None))
            ).all()
        )
    return handled


@dataclass
class Evaluation:
    """How the autopilot's decisions score against the labels."""

    messages: int = 0
    decisions: Counter[str] = field(default_factory=Counter)
    auto_correct: int = 0
    must_escalate: int = 0
    must_escalate_escalated: int = 0
    intent_correct: int = 0
    per_intent: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    wrong_auto: list[dict[str, Any]] = field(default_factory=list)
    missed_escalations: list[str] = field(default_factory=list)
    predictions: list[Prediction] = field(default_factory=list)
    """The understanding's reading of each message, for its own metrics (support.evaluation)."""

    @property
    def automation_rate(self) -> float:
        return self.decisions["auto"] / self.messages if self.messages else 0.0

    @property
    def auto_precision(self) -> float:
        auto = self.decisions["auto"]
        return self.auto_correct / auto if auto else 1.0

    @property
    def intent_accuracy(self) -> float:
        return self.intent_correct / self.messages if self.messages else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "decisions": dict(self.decisions),
            "automation_rate": round(self.automation_rate, 4),
            "auto_correct": self.auto_correct,
            "auto_precision": round(self.auto_precision, 4),
            "intent_accuracy": round(self.intent_accuracy, 4),
            "must_escalate": self.must_escalate,
            "must_escalate_escalated": self.must_escalate_escalated,
            "per_intent": {intent: dict(c) for intent, c in sorted(self.per_intent.items())},
            "wrong_auto": self.wrong_auto,
            "missed_escalations": self.missed_escalations,
        }


def evaluate(ctx: TriageContext, lines: list[dict[str, Any]]) -> tuple[Evaluation, list[TriageResult]]:
    """Triage every labelled line (read-only) and score the decisions."""
    report = Evaluation()
    results = []
    for line, message in zip(lines, messages_of(lines), strict=True):
        label = line["label"]
        result = triage(ctx, message)
        results.append(result)
        truth = label["intent"]
        report.messages += 1
        report.decisions[result.decision] += 1
        report.per_intent[truth][result.decision] += 1
        refs = result.understanding.order_refs
        report.predictions.append(
            Prediction(
                truth=truth,
                predicted=result.intent,
                confidence=result.confidence,
                out_of_scope=result.understanding.out_of_scope,
                order_truth=label.get("order_number") if label.get("order_ref_in_text") else None,
                order_found=refs[0].text if refs else None,
            )
        )
        if result.intent == truth:
            report.intent_correct += 1
        if label.get("must_escalate", truth in MUST_ESCALATE):
            report.must_escalate += 1
            if result.decision == "escalate":
                report.must_escalate_escalated += 1
            else:
                report.missed_escalations.append(message.id)
        if result.decision == "auto":
            graded = grade(result, label)
            if graded.correct:
                report.auto_correct += 1
                report.per_intent[truth]["auto_correct"] += 1
            else:
                report.wrong_auto.append({"id": message.id, "intent": truth, "problems": graded.problems})
    return report, results
