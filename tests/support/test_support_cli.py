"""`sasame support ...` end to end on the hand-written store (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from support_store import JANE, NOW
from typer.testing import CliRunner

from sasame import models as m
from sasame.cli import app
from sasame.db import transaction

runner = CliRunner()
AT = ["--now", NOW.isoformat()]


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _lines(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    rows = [
        {"id": "a", "from": JANE, "subject": "where?", "body": "Where is my order #1002?"},
        {
            "id": "b",
            "from": JANE,
            "subject": "cancel",
            "body": "Please cancel order #1003, I ordered by mistake.",
        },
        {
            "id": "c",
            "from": JANE,
            "subject": "broken",
            "body": "The linen shirt from order #1001 arrived torn.",
        },
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_triage_prints_one_line_per_message_and_writes_nothing(
    engine: Engine, store: dict[str, int], tmp_path: Path
) -> None:
    result = runner.invoke(
        app, ["support", "triage", "--in", str(_lines(tmp_path)), "--db", _url(engine), *AT]
    )
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [(o["id"], o["intent"], o["order_ref"], o["decision"]) for o in out] == [
        ("a", "order_status", "#1002", "auto"),
        ("b", "cancel_order", "#1003", "auto"),
        ("c", "damaged_item", "#1001", "escalate"),
    ]
    assert set(out[0]) == {
        "id",
        "intent",
        "confidence",
        "order_ref",
        "decision",
        "reply",
        "actions",
        "reasons",
    }
    assert out[1]["actions"] == [
        {"kind": "cancel_order", "order": "#1003", "order_id": store["order_#1003"], "refund": "12.0000"}
    ]
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(m.SupportTicket)) == 0
        assert session.get(m.Order, store["order_#1003"]).cancelled_at is None  # type: ignore[union-attr]


def test_triage_apply_stores_tickets_and_carries_out_actions(
    engine: Engine, store: dict[str, int], tmp_path: Path
) -> None:
    result = runner.invoke(
        app, ["support", "triage", "--in", str(_lines(tmp_path)), "--db", _url(engine), "--apply", *AT]
    )
    assert result.exit_code == 0, result.output
    applied = [json.loads(line)["applied_decision"] for line in result.output.splitlines()]
    # Without an SMTP server automatic answers wait as drafts, their actions with them.
    assert applied == ["draft", "draft", "escalate"]
    with transaction(engine) as session:
        order = session.get(m.Order, store["order_#1003"])
        assert (order.fulfillment_status, order.financial_status) == ("unfulfilled", "paid")  # type: ignore[union-attr]
        proposed = session.scalars(
            select(m.SupportAction.kind).where(m.SupportAction.status == "proposed")
        ).all()
        assert sorted(proposed) == [
            "cancel_order",
            "escalate",
            "reply",
            "reply",
            "reply",
            "request_photos",
            "suggest_resolution",
        ]
        statuses = sorted(session.scalars(select(m.SupportTicket.status)).all())
        assert statuses == ["escalated", "pending", "pending"]
    again = runner.invoke(
        app, ["support", "triage", "--in", str(_lines(tmp_path)), "--db", _url(engine), "--apply", *AT]
    )
    assert [json.loads(line)["applied_decision"] for line in again.output.splitlines()] == [
        "already applied"
    ] * 3


def test_policy_show_and_set(engine: Engine, store: dict[str, int]) -> None:
    url = _url(engine)
    assert (
        runner.invoke(app, ["support", "policy", "set", "return_window_days", "14", "--db", url]).exit_code
        == 0
    )
    result = runner.invoke(app, ["support", "policy", "set", "mode.order_status", "draft", "--db", url])
    assert result.output.strip() == "mode.order_status = draft"
    shown = json.loads(runner.invoke(app, ["support", "policy", "show", "--json", "--db", url]).output)
    assert (shown["return_window_days"], shown["modes"]["order_status"], shown["modes"]["complaint"]) == (
        14,
        "draft",
        "off",
    )
    bad = runner.invoke(app, ["support", "policy", "set", "tone", "grumpy", "--db", url])
    assert bad.exit_code == 1
    assert str(bad.exception) == "support policy tone: 'grumpy' is not one of warm, formal, brief"


def test_eval_scores_labelled_messages(engine: Engine, store: dict[str, int], tmp_path: Path) -> None:
    labelled = tmp_path / "labelled.jsonl"
    rows = [
        {
            "id": "a",
            "from": JANE,
            "subject": "where?",
            "body": "Where is my order #1002?",
            "label": {
                "intent": "order_status",
                "order_number": "#1002",
                "facts": {
                    "tracking_number": "1Z999AA10123456784",
                    "is_shipped": True,
                    "estimated_delivery_on": "2026-03-07",
                },
            },
        },
        {
            "id": "b",
            "from": JANE,
            "subject": "where?",
            "body": "Where is my order #1002?",
            "label": {
                "intent": "order_status",
                "order_number": "#1002",
                "facts": {"tracking_number": "WRONG"},
            },
        },
        {
            "id": "c",
            "from": JANE,
            "subject": "broken",
            "body": "The linen shirt from order #1001 arrived torn.",
            "label": {"intent": "damaged_item", "order_number": "#1001", "must_escalate": True},
        },
    ]
    labelled.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = runner.invoke(
        app, ["support", "eval", "--in", str(labelled), "--db", _url(engine), "--json", *AT]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["decisions"] == {"auto": 2, "escalate": 1}
    assert (report["auto_correct"], report["must_escalate_escalated"], report["must_escalate"]) == (1, 1, 1)
    assert report["wrong_auto"] == [
        {
            "id": "b",
            "intent": "order_status",
            "problems": ["fact tracking_number: reply says '1Z999AA10123456784', label 'WRONG'"],
        }
    ]
    assert report["understanding"]["accuracy"] == 1.0
    text = runner.invoke(app, ["support", "eval", "--in", str(labelled), "--db", _url(engine), *AT])
    assert "automatic answers correct: 1/2 (50.0%)" in text.output
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "x", "subject": "s", "body": "b"}\nnot json\n')
    failed = runner.invoke(app, ["support", "eval", "--in", str(broken), "--db", _url(engine)])
    assert failed.exit_code == 1
    assert str(failed.exception) == f"{broken}, line 1: field 'label' needs an 'intent'"
    undated = tmp_path / "undated.jsonl"
    undated.write_text('{"id": "x", "body": "b", "date": "2026-11-24 16:19", "label": {"intent": "other"}}\n')
    failed = runner.invoke(app, ["support", "eval", "--in", str(undated), "--db", _url(engine)])
    assert str(failed.exception) == (
        f"{undated}, line 1: field 'date' '2026-11-24 16:19' has no UTC offset "
        "(write it as 2026-11-24T16:19:00Z)"
    )


def test_export_labelled_writes_the_ground_truth(
    engine: Engine, store: dict[str, int], tmp_path: Path
) -> None:
    with transaction(engine) as session:
        ticket = m.SupportTicket(thread_key="<t@x>", subject="where?", status="open", opened_at=NOW)
        session.add(ticket)
        session.flush()
        session.add(
            m.SupportMessage(
                ticket_id=ticket.id,
                message_id="<t@x>",
                direction="inbound",
                from_address=JANE,
                to_address="help@x",
                subject="where?",
                body="Where is #1002?",
                sent_at=NOW,
            )
        )
        session.add(
            m.GroundTruth(
                kind="email_label",
                key="<t@x>",
                value={
                    "intent": "order_status",
                    "order_number": "#1002",
                    "facts": {},
                    "must_escalate": False,
                },
            )
        )
    out = tmp_path / "labelled.jsonl"
    result = runner.invoke(app, ["support", "export-labelled", "--out", str(out), "--db", _url(engine)])
    assert " ".join(result.output.split()) == f"1 labelled messages written to {out}"
    line = json.loads(out.read_text())
    assert (line["id"], line["from"], line["label"]["intent"], line["label"]["order_number"]) == (
        "<t@x>",
        JANE,
        "order_status",
        "#1002",
    )
    # When the customer wrote goes along: the orders a message may be about are those before it.
    assert line["date"] == "2026-03-05T15:00:00Z"


def test_import_then_run_triages_without_a_mail_server(
    engine: Engine, store: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("SASAME_IMAP_HOST", "SASAME_SMTP_HOST", "SASAME_LLM_BASE_URL", "SASAME_LLM_MODEL"):
        monkeypatch.delenv(variable, raising=False)
    eml = tmp_path / "m.eml"
    eml.write_text(
        f"From: Jane <{JANE}>\nSubject: where?\nMessage-ID: <cli-1@example.com>\n\nWhere is my order #1002?\n"
    )
    url = _url(engine)
    imported = runner.invoke(app, ["support", "import", str(eml), "--db", url])
    assert imported.output.strip() == "messages: 1 new, 0 already known"
    again = runner.invoke(app, ["support", "import", str(eml), "--db", url])
    assert again.output.strip() == "messages: 0 new, 1 already known"
    ran = runner.invoke(app, ["run", "--step", "support.mailbox", "--db", url, "--json"])
    assert ran.exit_code == 0, ran.output
    step = json.loads(ran.output)[0]
    # Allowed to go out alone, but with no SMTP server the answer waits as a draft.
    assert (step["name"], step["summary"]) == (
        "support.mailbox",
        {"fetched": 0, "new": 0, "auto": 0, "draft": 1, "escalate": 0},
    )
    with transaction(engine) as session:
        ticket = session.scalars(select(m.SupportTicket)).one()
        assert (ticket.intent, ticket.decision, ticket.status) == ("order_status", "draft", "pending")
