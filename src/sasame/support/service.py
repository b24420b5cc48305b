"""Support use cases: receive a message into its thread, triage it, carry out what the decision allows,
and the human side (approve, edit and send a draft; correct the engine). Sessions in, no commits.

Every automated reply and action leaves a ``support_action`` row (what, the mode the policy
allowed, its outcome) and an ``audit_log`` row (actor ``system:support``, the rule that allowed
it, its inputs and outcome). A failing action never half-happens: it runs in a savepoint, and a
failure turns the ticket into a draft for a person, with the error as the reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.connectors.carriers.http import CarrierApiError
from sasame.connectors.carriers.labels import LabelService
from sasame.core.errors import ConfigError, UserError
from sasame.support import actions
from sasame.support.intake.mail import Mail
from sasame.support.llm import ChatModel, check_facts
from sasame.support.policy import Policy
from sasame.support.replies import reply_subject
from sasame.support.triage import (
    LABEL_LINK,
    IncomingMessage,
    PlannedAction,
    TriageContext,
    TriageResult,
    triage,
)
from sasame.support.understanding import email_address

SYSTEM = "system:support"


class Outbox(Protocol):
    """Sends one reply and returns its Message-ID."""

    def send(
        self,
        *,
        to: str,
        subject: str,
        body: str,
        in_reply_to: str | None,
        references: tuple[str, ...],
        now: datetime,
    ) -> str: ...


@dataclass(frozen=True)
class Received:
    ticket: m.SupportTicket
    message: m.SupportMessage
    is_new: bool


def receive(session: Session, mail: Mail, *, now: datetime, to_address: str = "") -> Received:
    """Store an inbound message in its thread (by In-Reply-To/References), once per Message-ID."""
    existing = session.scalar(select(m.SupportMessage).where(m.SupportMessage.message_id == mail.message_id))
    if existing is not None:
        ticket = session.get(m.SupportTicket, existing.ticket_id)
        assert ticket is not None
        return Received(ticket, existing, False)
    ticket = None
    for earlier_id in mail.thread_ids:
        earlier = session.scalar(select(m.SupportMessage).where(m.SupportMessage.message_id == earlier_id))
        if earlier is not None:
            ticket = session.get(m.SupportTicket, earlier.ticket_id)
            break
    sent_at = mail.sent_at or now
    address = (email_address(mail.sender) or mail.sender).strip().lower()
    if ticket is None:
        from sasame.support.queries import customer_id_by_email

        ticket = m.SupportTicket(
            thread_key=mail.message_id[:300],
            customer_id=customer_id_by_email(session, address),
            subject=mail.subject[:500],
            status="open",
            opened_at=sent_at,
        )
        session.add(ticket)
        session.flush()
    else:
        # A customer writing again reopens the thread for the engine (and a person) to look at.
        ticket.status, ticket.decision, ticket.closed_at = "open", None, None
    message = m.SupportMessage(
        ticket_id=ticket.id,
        message_id=mail.message_id[:300],
        in_reply_to=(mail.in_reply_to or None),
        direction="inbound",
        from_address=(mail.sender or address)[:254],
        to_address=(mail.to or to_address)[:254],
        subject=mail.subject[:500],
        body=mail.body,
        sent_at=sent_at,
    )
    session.add(message)
    session.flush()
    return Received(ticket, message, True)


def incoming_of(session: Session, message: m.SupportMessage) -> IncomingMessage:
    """The triage's view of a stored message, with the earlier inbound message of its thread."""
    earlier = session.scalar(
        select(m.SupportMessage.body)
        .where(
            m.SupportMessage.ticket_id == message.ticket_id,
            m.SupportMessage.direction == "inbound",
            m.SupportMessage.id != message.id,
            m.SupportMessage.sent_at <= message.sent_at,
        )
        .order_by(m.SupportMessage.sent_at.desc())
        .limit(1)
    )
    return IncomingMessage(
        id=message.message_id,
        sender=message.from_address,
        subject=message.subject,
        body=message.body,
        message_id=message.message_id,
        in_reply_to=message.in_reply_to,
        received_at=message.sent_at,
        thread_text=earlier,
    )


NO_OUTBOX = "draft: no SMTP server configured to send the reply"
"""Why an answer the policy lets go out alone waits as a draft: nothing can send it."""


def _audit(
    session: Session,
    *,
    now: datetime,
    action: str,
    rule: str,
    ticket_id: int,
    inputs: dict[str, Any],
    outcome: str,
    actor: str = SYSTEM,
    reversible: bool = False,
) -> None:
    session.add(
        m.AuditLog(
            occurred_at=now,
            actor=actor,
            action=action,
            rule=rule[:200],
            entity_type="support_ticket",
            entity_id=ticket_id,
            inputs=inputs,
            outcome=outcome[:300],
            is_reversible=reversible,
        )
    )


REVERSIBLE = {"create_return", "change_address", "change_item", "unsubscribe", "mark_spam"}


def _perform(
    session: Session,
    planned: PlannedAction,
    *,
    now: datetime,
    policy: Policy,
    labels: LabelService | None,
    done: dict[str, Any],
) -> dict[str, Any]:
    p = planned.params
    if planned.kind == "create_return":
        outcome = actions.create_return(
            session,
            order_id=p["order_id"],
            rma_number=p["rma_number"],
            reason=p["reason"],
            lines=p["lines"],
            now=now,
        )
        done["return_id"] = outcome["return_id"]
        return outcome
    if planned.kind == "buy_return_label":
        if labels is None:
            raise UserError(
                "no carrier account is configured for return labels (SASAME_EASYPOST_KEY or "
                "SASAME_SHIPPO_KEY)"
            )
        if "return_id" not in done:
            raise UserError("the return label needs the return to be created first")
        bought = actions.buy_return_label(session, return_id=done["return_id"], labels=labels, policy=policy)
        done["label_url"], done["label_tracking"] = bought["label_url"], bought["tracking_number"]
        return bought
    if planned.kind == "cancel_order":
        return actions.cancel_order(session, order_id=p["order_id"], now=now)
    if planned.kind == "change_address":
        return actions.change_address(session, order_id=p["order_id"], address=p["address"])
    if planned.kind == "change_item":
        return actions.change_item(
            session,
            order_id=p["order_id"],
            order_line_id=p["order_line_id"],
            to_variant_id=p["to_variant_id"],
        )
    if planned.kind == "unsubscribe":
        return actions.unsubscribe(session, customer_id=p["customer_id"])
    return {"noted": planned.kind}


def apply_triage(
    session: Session,
    ticket: m.SupportTicket,
    message: m.SupportMessage,
    result: TriageResult,
    *,
    policy: Policy,
    now: datetime,
    outbox: Outbox | None = None,
    labels: LabelService | None = None,
) -> str:
    """Record the decision on the ticket and carry out what it allows; return the final decision."""
    ticket.intent, ticket.intent_confidence = result.intent, round(result.confidence, 6)
    if result.order_id is not None:
        ticket.order_id = result.order_id
    if result.customer_id is not None and ticket.customer_id is None:
        ticket.customer_id = result.customer_id
    decision = result.decision
    rule = f"policy mode.{result.intent}={policy.mode_for(result.intent)}; confidence {result.confidence:.2f}"
    reasons = list(result.reasons)
    done: dict[str, Any] = {}
    if decision == "auto" and result.reply is not None and outbox is None:
        # Allowed to go out alone, but nothing can send the reply: the answer and its actions wait
        # together for a person, so no order changes without the customer being told.
        reasons.append(NO_OUTBOX)
        decision = "draft"
    if decision == "auto":
        for planned in result.actions:
            try:
                with session.begin_nested():
                    outcome = _perform(session, planned, now=now, policy=policy, labels=labels, done=done)
            except (UserError, CarrierApiError) as error:
                decision = "draft"
                reasons.append(f"draft: {planned.kind} failed: {error}")
                session.add(
                    m.SupportAction(
                        ticket_id=ticket.id,
                        kind=planned.kind,
                        mode="auto",
                        status="rejected",
                        payload=planned.to_json() | {"error": str(error)},
                        taken_at=now,
                        taken_by=SYSTEM,
                    )
                )
                _audit(
                    session,
                    now=now,
                    action=f"support.{planned.kind}",
                    rule=rule,
                    ticket_id=ticket.id,
                    inputs=planned.to_json(),
                    outcome=f"failed: {error}",
                )
                break
            session.add(
                m.SupportAction(
                    ticket_id=ticket.id,
                    kind=planned.kind,
                    mode="auto",
                    status="done",
                    payload=planned.to_json() | {"outcome": outcome},
                    taken_at=now,
                    taken_by=SYSTEM,
                )
            )
            _audit(
                session,
                now=now,
                action=f"support.{planned.kind}",
                rule=rule,
                ticket_id=ticket.id,
                inputs=planned.to_json(),
                outcome=str(outcome),
                reversible=planned.kind in REVERSIBLE,
            )
    else:
        for planned in result.actions:
            session.add(
                m.SupportAction(
                    ticket_id=ticket.id,
                    kind=planned.kind,
                    mode=decision if decision == "draft" else "off",
                    status="proposed",
                    payload=planned.to_json(),
                    taken_at=now,
                    taken_by=SYSTEM,
                )
            )
    ticket.decision = decision
    if result.reply is None:
        ticket.status = "closed" if result.intent == "spam" and decision == "auto" else "escalated"
        if ticket.status == "closed":
            ticket.closed_at = now
        session.flush()
        return decision
    body = result.reply
    if "label_url" in done:
        body = body.replace(
            LABEL_LINK, f"{done['label_url']} (return tracking number {done['label_tracking']})"
        )
    payload = {
        "to": message.from_address,
        "subject": reply_subject(message.subject),
        "body": body,
        "facts": {k: v for k, v in result.reply_facts.items()},
        "reasons": reasons,
        "in_reply_to": message.message_id,
    }
    if decision == "auto" and outbox is not None:
        sent_id = _send(session, ticket, message, payload, outbox=outbox, now=now)
        session.add(
            m.SupportAction(
                ticket_id=ticket.id,
                kind="reply",
                mode="auto",
                status="done",
                payload=payload | {"message_id": sent_id},
                taken_at=now,
                taken_by=SYSTEM,
            )
        )
        _audit(
            session,
            now=now,
            action="support.reply",
            rule=rule,
            ticket_id=ticket.id,
            inputs={"to": message.from_address, "facts": payload["facts"]},
            outcome=f"sent {sent_id}",
        )
        ticket.status = "answered"
    else:
        session.add(
            m.SupportAction(
                ticket_id=ticket.id,
                kind="reply",
                mode=decision if decision != "escalate" else "off",
                status="proposed",
                payload=payload | {"reasons": reasons},
                taken_at=now,
                taken_by=SYSTEM,
            )
        )
        ticket.status = "pending" if decision == "draft" else "escalated"
    session.flush()
    return decision


def _send(
    session: Session,
    ticket: m.SupportTicket,
    message: m.SupportMessage,
    payload: dict[str, Any],
    *,
    outbox: Outbox,
    now: datetime,
) -> str:
    references = tuple(
        session.scalars(
            select(m.SupportMessage.message_id)
            .where(m.SupportMessage.ticket_id == ticket.id)
            .order_by(m.SupportMessage.sent_at)
        )
    )
    sent_id = outbox.send(
        to=payload["to"],
        subject=payload["subject"],
        body=payload["body"],
        in_reply_to=message.message_id,
        references=references,
        now=now,
    )
    session.add(
        m.SupportMessage(
            ticket_id=ticket.id,
            message_id=sent_id[:300],
            in_reply_to=message.message_id,
            direction="outbound",
            from_address=getattr(outbox, "from_address", "")[:254] or "support",
            to_address=payload["to"][:254],
            subject=payload["subject"][:500],
            body=payload["body"],
            sent_at=now,
        )
    )
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    return sent_id


def phrase_with_model(
    ctx: TriageContext, message: IncomingMessage, result: TriageResult, model: ChatModel
) -> None:
    """Let the language model rephrase the reply; any fact it adds sends the message to a person."""
    if result.reply is None or result.decision == "escalate":
        return
    try:
        draft = model.rephrase(
            store=ctx.store_name,
            tone=ctx.policy.tone,
            message=message.body,
            facts=result.reply_facts,
            draft=result.reply,
        )
    except ConfigError as error:
        result.reasons.append(f"kept the template reply: {error}")
        return
    sources = [result.reply, message.subject, message.body, json.dumps(result.reply_facts, default=str)]
    verdict = check_facts(draft, sources)
    if not verdict.allowed:
        result.decision = "escalate"
        result.reasons.append(
            "escalate: the language model's draft states what the data does not: "
            + ", ".join(verdict.unsupported)
        )
        result.actions.append(PlannedAction("escalate", {"reasons": [result.reasons[-1]]}))
        return
    result.reply = draft
    result.reasons.append("the reply was phrased by the language model and passed the fact check")


def triage_pending(
    session: Session,
    ctx: TriageContext,
    *,
    outbox: Outbox | None = None,
    labels: LabelService | None = None,
    model: ChatModel | None = None,
    limit: int | None = None,
) -> list[tuple[m.SupportTicket, TriageResult, str]]:
    """Triage every ticket no decision has been taken on yet (its latest inbound message)."""
    done: list[tuple[m.SupportTicket, TriageResult, str]] = []
    tickets = session.scalars(
        select(m.SupportTicket)
        .where(m.SupportTicket.decision.is_(None), m.SupportTicket.status != "closed")
        .order_by(m.SupportTicket.opened_at, m.SupportTicket.id)
        .limit(limit)
    ).all()
    for ticket in tickets:
        message = session.scalar(
            select(m.SupportMessage)
            .where(m.SupportMessage.ticket_id == ticket.id, m.SupportMessage.direction == "inbound")
            .order_by(m.SupportMessage.sent_at.desc(), m.SupportMessage.id.desc())
            .limit(1)
        )
        if message is None:
            continue
        incoming = incoming_of(session, message)
        result = triage(ctx, incoming)
        if model is not None:
            phrase_with_model(ctx, incoming, result, model)
        decision = apply_triage(
            session, ticket, message, result, policy=ctx.policy, now=ctx.now, outbox=outbox, labels=labels
        )
        done.append((ticket, result, decision))
    return done


def receive_all(session: Session, mails: Iterable[Mail], *, now: datetime) -> tuple[int, int]:
    """Store many messages; return (new, already known)."""
    new = known = 0
    for mail in mails:
        if receive(session, mail, now=now).is_new:
            new += 1
        else:
            known += 1
    return new, known


# --------------------------------------------------------------------------------------------
# The human side
# --------------------------------------------------------------------------------------------


def _proposed_reply(session: Session, ticket_id: int) -> m.SupportAction | None:
    return session.scalar(
        select(m.SupportAction)
        .where(
            m.SupportAction.ticket_id == ticket_id,
            m.SupportAction.kind == "reply",
            m.SupportAction.status == "proposed",
        )
        .order_by(m.SupportAction.id.desc())
        .limit(1)
    )


def send_draft(
    session: Session,
    ticket_id: int,
    *,
    by: str,
    now: datetime,
    outbox: Outbox,
    body: str | None = None,
    policy: Policy,
    labels: LabelService | None = None,
) -> m.SupportTicket:
    """Approve (or edit) the proposed reply and send it; carry out the proposed actions with it."""
    ticket = session.get(m.SupportTicket, ticket_id)
    if ticket is None:
        raise UserError(f"ticket {ticket_id} does not exist")
    proposal = _proposed_reply(session, ticket_id)
    if proposal is None:
        raise UserError(f"ticket {ticket_id} has no reply waiting for approval")
    message = session.scalar(
        select(m.SupportMessage)
        .where(m.SupportMessage.ticket_id == ticket.id, m.SupportMessage.direction == "inbound")
        .order_by(m.SupportMessage.sent_at.desc())
        .limit(1)
    )
    if message is None:
        raise UserError(f"ticket {ticket_id} has no customer message to answer")
    payload = dict(proposal.payload)
    edited = body is not None and body.strip() != str(payload.get("body", "")).strip()
    if body is not None and not body.strip():
        raise UserError("the reply is empty")
    if edited:
        payload["original_body"], payload["body"] = payload["body"], body
    done: dict[str, Any] = {}
    for planned_row in session.scalars(
        select(m.SupportAction).where(
            m.SupportAction.ticket_id == ticket.id,
            m.SupportAction.status == "proposed",
            m.SupportAction.kind != "reply",
        )
    ).all():
        kind = planned_row.kind
        if kind in ("escalate", "request_photos", "suggest_resolution"):
            planned_row.status = "approved"
            continue
        planned = PlannedAction(kind, {k: v for k, v in planned_row.payload.items() if k != "kind"})
        with session.begin_nested():
            outcome = _perform(session, planned, now=now, policy=policy, labels=labels, done=done)
        planned_row.status, planned_row.taken_by, planned_row.taken_at = "done", by, now
        planned_row.payload = planned_row.payload | {"outcome": outcome}
        _audit(
            session,
            now=now,
            action=f"support.{kind}",
            rule="approved by a person",
            ticket_id=ticket.id,
            inputs=planned.to_json(),
            outcome=str(outcome),
            actor=by,
        )
    if "label_url" in done:
        link = f"{done['label_url']} (return tracking number {done['label_tracking']})"
        payload["body"] = str(payload["body"]).replace(LABEL_LINK, link)
    sent_id = _send(session, ticket, message, payload, outbox=outbox, now=now)
    proposal.status, proposal.taken_by, proposal.taken_at = "done", by, now
    proposal.payload = payload | {"message_id": sent_id, "edited": edited}
    ticket.status = "answered"
    ticket.review_outcome = "edited" if edited else "approved"
    ticket.reviewed_at, ticket.reviewed_by = now, by
    _audit(
        session,
        now=now,
        action="support.reply",
        rule="approved by a person",
        ticket_id=ticket.id,
        inputs={"edited": edited},
        outcome=f"sent {sent_id}",
        actor=by,
    )
    session.flush()
    return ticket


def review(
    session: Session, ticket_id: int, *, by: str, now: datetime, outcome: str, intent: str | None = None
) -> m.SupportTicket:
    """Record a person's verdict on the engine's answer (approved, edited, rejected) and the right intent."""
    from sasame.models.support import INTENTS, REVIEW_OUTCOMES

    ticket = session.get(m.SupportTicket, ticket_id)
    if ticket is None:
        raise UserError(f"ticket {ticket_id} does not exist")
    if outcome not in REVIEW_OUTCOMES:
        raise UserError(f"review outcome {outcome!r} is not one of {', '.join(REVIEW_OUTCOMES)}")
    if intent is not None and intent not in INTENTS:
        raise UserError(f"intent {intent!r} is not one of the support intents")
    ticket.review_outcome, ticket.reviewed_at, ticket.reviewed_by = outcome, now, by
    if intent is not None and intent != ticket.intent:
        ticket.reviewed_intent = intent
    if outcome == "rejected":
        proposal = _proposed_reply(session, ticket_id)
        if proposal is not None:
            proposal.status, proposal.taken_by, proposal.taken_at = "rejected", by, now
        if ticket.status == "pending":
            ticket.status = "escalated"
    _audit(
        session,
        now=now,
        action="support.review",
        rule="a person's correction",
        ticket_id=ticket.id,
        inputs={"outcome": outcome, "intent": intent},
        outcome=outcome,
        actor=by,
    )
    session.flush()
    return ticket


def receive_return_parcel(
    session: Session, rma_number: str, *, now: datetime, condition: str, by: str
) -> dict[str, Any]:
    """The warehouse scanned a returned parcel: restock and refund it (see actions.receive_return)."""
    ret = session.scalar(select(m.Return).where(m.Return.rma_number == rma_number))
    if ret is None:
        raise UserError(f"return {rma_number} does not exist")
    outcome = actions.receive_return(session, return_id=ret.id, now=now, condition=condition)
    ticket_id = session.scalar(
        select(m.SupportTicket.id)
        .where(m.SupportTicket.order_id == ret.order_id)
        .order_by(m.SupportTicket.id.desc())
        .limit(1)
    )
    if ticket_id is not None:
        session.add(
            m.SupportAction(
                ticket_id=ticket_id,
                kind="receive_return",
                mode="auto",
                status="done",
                payload={"rma_number": rma_number, "outcome": outcome},
                taken_at=now,
                taken_by=by,
            )
        )
    session.add(
        m.AuditLog(
            occurred_at=now,
            actor=by,
            action="support.receive_return",
            rule="parcel received",
            entity_type="return",
            entity_id=ret.id,
            inputs={"rma_number": rma_number, "condition": condition},
            outcome=str(outcome)[:300],
            is_reversible=False,
        )
    )
    session.flush()
    return outcome
