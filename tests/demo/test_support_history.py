"""The support history: closed tickets the owner answered, with actions, audit rows and labels."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path
from statistics import median

import pytest
from small_store import NOW, TIMEZONE, build_small_store
from sqlalchemy import Engine, select

from sasame.db import make_engine, upgrade
from sasame.demo.context import DemoContext, DemoScale
from sasame.demo.inbox import generate_inbox
from sasame.demo.service import generate_demo_store
from sasame.demo.support_history import OWNER_ADDRESS, generate_support_history
from sasame.models import (
    AuditLog,
    GroundTruth,
    Order,
    Refund,
    Return,
    Shipment,
    SupportAction,
    SupportMessage,
    SupportTicket,
)

MESSAGE, TICKET = SupportMessage.__table__, SupportTicket.__table__
ACTION, AUDIT = SupportAction.__table__, AuditLog.__table__
ORDER, SHIPMENT, RETURN = Order.__table__, Shipment.__table__, Return.__table__
SUPPORT = "support@kumothread.com"


def _generate(engine: Engine, *, history: bool = True, **store: int) -> DemoContext:
    with engine.begin() as connection:
        ctx = build_small_store(connection, **store)
        generate_inbox(ctx)
        if history:
            generate_support_history(ctx)
    return ctx


def _rows(engine: Engine, table: object) -> list:
    with engine.connect() as connection:
        return connection.execute(select(table).order_by(table.c.id)).all()  # type: ignore[attr-defined]


def _history_labels(ctx: DemoContext) -> dict[str, dict]:
    return {key: value for kind, key, value in ctx.truth if kind == "email_label_history"}


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, DemoContext]:
    """Half a year of a ~250-orders-a-week store, its open inbox and its history (read-only tests)."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('history') / 'store.db'}")
    upgrade(engine)
    return engine, _generate(engine, weeks=26, orders_per_week=250)


def _closed(engine: Engine) -> tuple[list, dict[int, list]]:
    tickets = [t for t in _rows(engine, TICKET) if t.status == "closed"]
    messages: dict[int, list] = defaultdict(list)
    for message in _rows(engine, MESSAGE):
        messages[message.ticket_id].append(message)
    return tickets, messages


def test_same_seed_gives_the_same_history(tmp_path: Path) -> None:
    runs = []
    for name in ("a", "b"):
        engine = make_engine(f"sqlite:///{tmp_path / name}.db")
        upgrade(engine)
        ctx = _generate(engine, weeks=14, orders_per_week=120)
        tables = [[tuple(row) for row in _rows(engine, table)] for table in (TICKET, MESSAGE, ACTION, AUDIT)]
        runs.append((tables, ctx.truth))
        engine.dispose()
    assert runs[0] == runs[1]
    assert sum("closed" in ticket for ticket in runs[0][0][0]) >= 40


def test_the_open_inbox_is_unchanged_by_the_history(tmp_path: Path) -> None:
    runs = []
    for name, with_history in (("inbox", False), ("both", True)):
        engine = make_engine(f"sqlite:///{tmp_path / name}.db")
        upgrade(engine)
        ctx = _generate(engine, history=with_history, weeks=14, orders_per_week=120)
        open_ids = {t.id for t in _rows(engine, TICKET) if t.status == "open"}
        open_rows = [tuple(t) for t in _rows(engine, TICKET) if t.id in open_ids]
        open_messages = [tuple(m) for m in _rows(engine, MESSAGE) if m.ticket_id in open_ids]
        labels = [fact for fact in ctx.truth if fact[0] in ("email_label", "inbox_summary")]
        runs.append((open_rows, open_messages, labels))
        engine.dispose()
    assert runs[0] == runs[1]
    summary = next(value for kind, _, value in runs[1][2] if kind == "inbox_summary")
    assert len(runs[1][0]) == summary["tickets"]


def test_every_closed_ticket_has_its_mail_and_the_reply_after_it(history: tuple[Engine, DemoContext]) -> None:
    engine, ctx = history
    tickets, messages = _closed(engine)
    summary = next(v for kind, _, v in ctx.truth if kind == "support_history_summary")
    assert len(tickets) == summary["tickets"] >= 150
    first_open = min(t.opened_at for t in _rows(engine, TICKET) if t.status == "open")
    labels = _history_labels(ctx)
    for ticket in tickets:
        inbound = [m for m in messages[ticket.id] if m.direction == "inbound"]
        outbound = [m for m in messages[ticket.id] if m.direction == "outbound"]
        assert inbound and len(outbound) == 1
        reply = outbound[0]
        assert reply.from_address == SUPPORT and reply.to_address == inbound[0].from_address
        assert reply.in_reply_to in {m.message_id for m in inbound}
        assert reply.sent_at > max(m.sent_at for m in inbound)
        assert ticket.first_response_at == reply.sent_at
        assert ticket.opened_at == inbound[0].sent_at and ticket.thread_key == inbound[0].message_id
        assert ticket.first_response_at <= ticket.closed_at < first_open
        assert ticket.intent and ticket.decision == "draft" and ticket.intent_confidence is None
        assert "{" not in reply.body and "\n> " in reply.body  # slots filled; quotes the customer
        for message in inbound:
            assert labels[message.message_id]["intent"] == ticket.intent
            assert labels[message.message_id]["thread_key"] == ticket.thread_key
    assert set(labels) == {m.message_id for t in tickets for m in messages[t.id] if m.direction == "inbound"}
    assert not set(labels) & {key for kind, key, _ in ctx.truth if kind == "email_label"}
    intents = Counter(t.intent for t in tickets)
    assert "spam" not in intents and intents.most_common(1)[0][0] == "order_status"
    assert len(intents) >= 14


def test_actions_are_the_owners_and_each_has_its_audit_row(history: tuple[Engine, DemoContext]) -> None:
    engine, _ = history
    tickets, messages = _closed(engine)
    actions, audits = _rows(engine, ACTION), _rows(engine, AUDIT)
    assert len(actions) == len(audits)
    audit_by = {(a.entity_id, a.action, a.occurred_at): a for a in audits}
    for action in actions:
        assert (action.mode, action.status, action.taken_by) == ("draft", "done", OWNER_ADDRESS)
        audit = audit_by[(action.ticket_id, f"support.{action.kind}", action.taken_at)]
        assert audit.actor == OWNER_ADDRESS and audit.rule is None
        assert audit.entity_type == "support_ticket" and audit.inputs == action.payload and audit.outcome
        if action.kind == "reply_sent":
            assert audit.is_reversible is False
    replies = Counter(a.ticket_id for a in actions if a.kind == "reply_sent")
    assert replies == Counter({t.id: 1 for t in tickets})
    reply_of = {m.ticket_id: m for t in tickets for m in messages[t.id] if m.direction == "outbound"}
    for action in actions:
        if action.kind == "reply_sent":
            assert action.payload["message_id"] == reply_of[action.ticket_id].message_id
            assert action.taken_at == reply_of[action.ticket_id].sent_at
    assert {a.kind for a in actions} <= {"reply_sent", "rma_created", "order_cancelled", "address_changed"}


def test_every_rma_is_a_real_return_of_the_tickets_order(history: tuple[Engine, DemoContext]) -> None:
    engine, _ = history
    tickets = {t.id: t for t in _rows(engine, TICKET)}
    returns = {r.id: r for r in _rows(engine, RETURN)}
    created = [a for a in _rows(engine, ACTION) if a.kind == "rma_created"]
    assert len(created) >= 10
    assert len({a.payload["return_id"] for a in created}) == len(created)
    _, messages = _closed(engine)
    for action in created:
        ticket = tickets[action.ticket_id]
        rma = returns[action.payload["return_id"]]
        assert rma.order_id == ticket.order_id and rma.rma_number == action.payload["rma_number"]
        assert action.taken_at == rma.requested_at == ticket.first_response_at
        assert ticket.intent in ("return_request", "exchange_request", "wrong_item", "damaged_item")
        reply = next(m for m in messages[ticket.id] if m.direction == "outbound")
        assert rma.rma_number in reply.body.split("\n> ")[0]


def test_order_state_is_the_state_when_the_email_was_sent(history: tuple[Engine, DemoContext]) -> None:
    engine, ctx = history
    tickets, messages = _closed(engine)
    shipments = {s.order_id: s for s in _rows(engine, SHIPMENT)}
    refunds: dict[int, list] = defaultdict(list)
    for refund in _rows(engine, Refund.__table__):
        refunds[refund.order_id].append(refund)
    labels = _history_labels(ctx)
    with_tracking = 0
    for ticket in tickets:
        if ticket.order_id is None:
            continue
        first = next(m for m in messages[ticket.id] if m.direction == "inbound")
        reply = next(m for m in messages[ticket.id] if m.direction == "outbound")
        facts = labels[first.message_id]["facts"]
        shipment = shipments.get(ticket.order_id)
        shipped_then = shipment is not None and shipment.shipped_at <= first.sent_at
        delivered_then = (
            shipped_then and shipment.delivered_at is not None and shipment.delivered_at <= first.sent_at
        )
        if ticket.intent == "order_status":
            assert not delivered_then and facts["is_shipped"] == shipped_then
            text = reply.body.split("\n> ")[0]
            if shipment is not None and shipment.shipped_at <= reply.sent_at:
                assert shipment.tracking_number in text and facts.get("tracking_number") in (
                    None,
                    shipment.tracking_number,
                )
                with_tracking += 1
            else:
                assert "tracking number" not in text.replace("with the tracking number", "")
        elif ticket.intent in ("return_request", "exchange_request", "wrong_item", "damaged_item", "praise"):
            assert delivered_then
            assert facts["return_eligible"] == (facts["days_since_delivery"] <= 30)
        elif ticket.intent in ("change_order", "change_address"):
            assert shipped_then and facts["can_modify"] is False
            assert shipment.tracking_number in reply.body
        elif ticket.intent == "refund_status":
            given = [r for r in refunds[ticket.order_id] if r.refunded_at <= reply.sent_at]
            if given:
                assert "refund of $" in reply.body
    assert with_tracking >= 10  # (the small store ships within 60 hours: 'not yet shipped' is rare)


def test_history_on_both_databases(engine: Engine) -> None:
    ctx = _generate(engine, weeks=12, orders_per_week=150)
    tickets = _rows(engine, TICKET)
    closed = [t for t in tickets if t.status == "closed"]
    actions, audits = _rows(engine, ACTION), _rows(engine, AUDIT)
    assert len(closed) >= 40 and len(actions) == len(audits) >= len(closed)
    assert {a.ticket_id for a in actions} == {t.id for t in closed}
    assert len(_history_labels(ctx)) >= len(closed)
    # Ticket ids were assigned ahead of the bulk insert: the sequence must continue after them.
    with engine.begin() as connection:
        new_id = connection.execute(
            TICKET.insert().returning(TICKET.c.id),
            {"thread_key": "<x@y>", "subject": "s", "status": "open", "opened_at": NOW},
        ).scalar_one()
    assert new_id == max(t.id for t in tickets) + 1


def test_history_through_the_demo_generator_follows_the_season(sqlite_engine: Engine) -> None:
    generate_demo_store(
        sqlite_engine, seed=5, scale=DemoScale(weeks=70, orders_per_week=250), end=NOW.date(), now=NOW
    )
    tickets, _ = _closed(sqlite_engine)
    with sqlite_engine.connect() as connection:
        kinds = Counter(connection.execute(select(GroundTruth.__table__.c.kind)).scalars())
    assert kinds["email_label_history"] >= len(tickets) >= 150
    assert kinds["support_history_summary"] == 1
    local = [(t, t.opened_at.astimezone(TIMEZONE)) for t in tickets]
    q4 = sum(1 for _, at in local if at.month in (11, 12)) / 61
    spring = sum(1 for _, at in local if at.month in (4, 5)) / 61
    assert q4 > 1.2 * spring
    waits = defaultdict(list)
    for ticket, at in local:
        hours = (ticket.first_response_at - ticket.opened_at) / timedelta(hours=1)
        waits["weekend" if at.weekday() >= 5 else "weekday"].append(hours)
        waits["q4" if at.month in (11, 12) else "rest"].append(hours)
    assert median(waits["weekend"]) > median(waits["weekday"])
    assert median(waits["q4"]) > median(waits["rest"])
