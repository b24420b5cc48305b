"""The Support page: triage from the dashboard, the queues with context, approve/edit/send a draft
through a real SMTP server, human corrections, the policy form, the audit log, and CSRF on POSTs."""

from __future__ import annotations

import email
import email.policy
import mailbox
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from mailservers import SmtpSink
from sqlalchemy import Engine, select
from support_store import BOB, JANE, NOW

from sasame import models as m
from sasame.accounts import create_user
from sasame.config import Settings
from sasame.core.clock import fixed_clock
from sasame.db import transaction
from sasame.support.intake.mail import Mail
from sasame.support.intake.settings import MailSettings
from sasame.support.intake.smtp import SmtpOutbox
from sasame.support.policy import set_policy
from sasame.support.service import receive
from sasame.web.app import create_app

OWNER, PASSWORD = "owner@tinythreads.example", "a long enough password"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _mail(message_id: str, sender: str, subject: str, body: str) -> Mail:
    return Mail(message_id, None, (), sender, "help@tinythreads.example", subject, body, NOW)


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    yield sink
    sink.stop()


@pytest.fixture
def owner(sqlite_engine: Engine, smtp: SmtpSink) -> Iterator[TestClient]:
    from support_store import build_store

    build_store(sqlite_engine)
    with transaction(sqlite_engine) as session:
        create_user(session, OWNER, PASSWORD, NOW)
        set_policy(session, "vip_emails", BOB, now=NOW, by="owner")  # the owner's VIP list
        receive(session, _mail("<s1@x>", JANE, "Where is it", "Where is my order #1002?"), now=NOW)
        receive(session, _mail("<s2@x>", BOB, "Order", "Hi, where is my order #1005? Bob"), now=NOW)
        receive(
            session,
            _mail("<s3@x>", JANE, "Broken", "The linen shirt from order #1001 arrived torn."),
            now=NOW,
        )
    app = create_app(sqlite_engine, Settings(database_url="sqlite://", secret_key="test"), fixed_clock(NOW))
    app.state.support_outbox = SmtpOutbox(
        MailSettings(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="none"),
        "help@tinythreads.example",
    )
    with TestClient(app) as client:
        token = CSRF.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
        client.post("/login", data={"email": OWNER, "password": PASSWORD, "csrf_token": token})
        yield client


def _token(client: TestClient, path: str = "/support") -> str:
    return CSRF.search(client.get(path).text).group(1)  # type: ignore[union-attr]


def test_triage_then_approve_a_draft_and_send_it(
    owner: TestClient, smtp: SmtpSink, sqlite_engine: Engine
) -> None:
    page = owner.get("/support").text
    assert "Triage 3 undecided now" in page
    done = owner.post("/support/triage", data={"csrf_token": _token(owner)})
    assert done.status_code == 200
    # Jane's answer went out on its own; Bob (VIP) waits for approval; the torn shirt needs a person.
    assert "Triaged 3 tickets: 1 auto, 1 draft, 1 escalate." in done.text
    assert len(smtp.messages) == 1
    with transaction(sqlite_engine) as session:
        tickets = {t.thread_key: t for t in session.scalars(select(m.SupportTicket))}
        assert [tickets[k].status for k in ("<s1@x>", "<s2@x>", "<s3@x>")] == [
            "answered",
            "pending",
            "escalated",
        ]
        bob_ticket = tickets["<s2@x>"].id
        torn_ticket = tickets["<s3@x>"].id
    assert "VIP customer" in done.text and "damaged_item is always handled by a person" in done.text

    ticket = owner.get(f"/support/tickets/{bob_ticket}").text
    assert "Suggested reply" in ticket and "1Z999AA10123450005" in ticket
    assert "Lifetime value" in ticket and "$60.00" in ticket
    edited = (
        "Hi Bob,\n\nYour order #1005 is with UPS (1Z999AA10123450005), due Saturday, March 7.\n\nTiny Threads"
    )
    sent = owner.post(
        f"/support/tickets/{bob_ticket}/send",
        data={"csrf_token": _token(owner, f"/support/tickets/{bob_ticket}"), "body": edited},
    )
    assert f"Reply to ticket {bob_ticket} sent." in sent.text
    assert len(smtp.messages) == 2
    out = email.message_from_bytes(smtp.messages[1], policy=email.policy.default)
    assert out["To"] == BOB and out["In-Reply-To"] == "<s2@x>"
    assert out.get_body().get_content().replace("\r\n", "\n").strip() == edited  # type: ignore[union-attr]

    review = owner.post(
        f"/support/tickets/{torn_ticket}/review",
        data={"csrf_token": _token(owner), "outcome": "rejected", "intent": "wrong_item"},
    )
    assert "Marked rejected." in review.text
    with transaction(sqlite_engine) as session:
        bob = session.get(m.SupportTicket, bob_ticket)
        torn = session.get(m.SupportTicket, torn_ticket)
        assert (bob.status, bob.review_outcome, bob.reviewed_by) == ("answered", "edited", OWNER)  # type: ignore[union-attr]
        assert (torn.review_outcome, torn.reviewed_intent) == ("rejected", "wrong_item")  # type: ignore[union-attr]
    metrics = owner.get("/api/support/metrics").json()
    assert metrics["decisions"] == {"auto": 1, "draft": 1, "escalate": 1}
    assert (metrics["reviewed"], metrics["approved"], metrics["precision"]) == (2, 0, 0.0)
    audit = owner.get("/support").text
    assert "support.reply" in audit and OWNER in audit


def test_policy_form_saves_and_refuses_bad_values(owner: TestClient, sqlite_engine: Engine) -> None:
    saved = owner.post(
        "/support/policy", data={"csrf_token": _token(owner), "key": "return_window_days", "value": "45"}
    )
    assert "return_window_days saved." in saved.text
    bad = owner.post(
        "/support/policy", data={"csrf_token": _token(owner), "key": "mode.complaint", "value": "auto"}
    )
    assert "support policy mode.complaint: complaint messages always go to a person" in bad.text
    assert owner.get("/api/support/policy").json()["return_window_days"] == 45


def test_store_answers_are_written_on_the_support_page(owner: TestClient, sqlite_engine: Engine) -> None:
    page = owner.get("/support").text
    assert '<option value="faq.po_boxes">' in page
    assert '<option value="faq.care.linen-shirt">' in page and '<option value="faq.material.tops">' in page
    answer = "Yes, USPS delivers to PO boxes."
    saved = owner.post(
        "/support/policy", data={"csrf_token": _token(owner), "key": "faq.po_boxes", "value": answer}
    )
    assert "faq.po_boxes saved." in saved.text
    assert owner.get("/api/support/policy").json()["faq"] == {"po_boxes": answer}
    # Listed under the store answers, not among the settings the policy form changes.
    answers = re.search(r'id="store-answers">(.*?)</table>', saved.text, re.S).group(1)
    rows = re.findall(r"<tr><td[^>]*>([^<]+)</td><td>([^<]+)</td></tr>", answers)
    assert rows == [("faq.po_boxes", answer)]
    assert '<option value="faq.po_boxes">faq.po_boxes' not in saved.text
    bad = owner.post(
        "/support/policy", data={"csrf_token": _token(owner), "key": "faq.care.socks", "value": "Wash cold"}
    )
    assert (
        "support policy faq.care.socks: &#39;socks&#39; is neither a product handle nor a category"
        in bad.text
    )


def test_a_long_list_of_store_answers_is_shortened_on_the_page(
    owner: TestClient, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sasame.web.support_pages.ANSWERS_SHOWN", 2)
    with transaction(sqlite_engine) as session:
        for topic in ("po_boxes", "carriers", "express_shipping"):
            set_policy(session, f"faq.{topic}", f"About {topic}.", now=NOW, by="owner")
    page = owner.get("/support").text
    answers = re.search(r'id="store-answers">(.*?)</table>', page, re.S).group(1)
    assert re.findall(r'<td class="mono">([^<]+)</td>', answers) == ["faq.carriers", "faq.express_shipping"]
    assert "2 of 3 answers shown" in page


def test_posts_without_the_csrf_token_are_refused(owner: TestClient, smtp: SmtpSink) -> None:
    assert owner.post("/support/triage").status_code == 403
    assert owner.post("/support/policy", data={"key": "tone", "value": "brief"}).status_code == 403
    assert smtp.messages == []


def test_answers_held_for_want_of_smtp_are_counted_and_said(owner: TestClient, sqlite_engine: Engine) -> None:
    from sasame.support.policy import load_policy
    from sasame.support.service import triage_pending
    from sasame.support.triage import TriageContext

    # Triaged where no SMTP server is configured (`sasame run`, the demo): Jane's answer may go out
    # alone, so it waits as a draft with its reason; Bob is a VIP draft anyway, the tear a person's.
    with transaction(sqlite_engine) as session:
        done = triage_pending(session, TriageContext.load(session, load_policy(session), NOW), outbox=None)
        assert sorted(decision for _, _, decision in done) == ["draft", "draft", "escalate"]
    metrics = owner.get("/api/support/metrics").json()
    assert (metrics["decisions"], metrics["automation_rate"]) == ({"draft": 2, "escalate": 1}, 0.0)
    assert metrics["held_for_outbox"] == 1
    page = owner.get("/support").text
    assert "1 answer the policy lets go out alone is waiting below as draft" in page
    assert "1 more held for want of SMTP" in page
    with transaction(sqlite_engine) as session:
        jane = session.scalar(select(m.SupportTicket).where(m.SupportTicket.thread_key == "<s1@x>"))
        assert jane is not None
        jane_id = jane.id
    # Sent from the dashboard (SMTP configured there), it is no longer held.
    token = _token(owner, f"/support/tickets/{jane_id}")
    sent = owner.post(f"/support/tickets/{jane_id}/send", data={"csrf_token": token, "body": "Hi Jane, ..."})
    assert f"Reply to ticket {jane_id} sent." in sent.text
    assert owner.get("/api/support/metrics").json()["held_for_outbox"] == 0
    assert 'id="held-for-outbox"' not in owner.get("/support").text


def test_with_an_outbox_file_automatic_answers_are_written_there_not_held(
    owner: TestClient, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SASAME_SUPPORT_OUTBOX (a trial run, the demo): the triage writes what it would send to the
    mbox file and says so on the page; nothing waits for want of SMTP."""
    outbox = tmp_path / "outbox.mbox"
    monkeypatch.setenv("SASAME_SUPPORT_OUTBOX", str(outbox))
    monkeypatch.setenv("SASAME_SUPPORT_FROM", "help@tinythreads.example")
    owner.app.state.support_outbox = None  # type: ignore[attr-defined]  # as `sasame serve` builds it
    done = owner.post("/support/triage", data={"csrf_token": _token(owner)})
    assert "Triaged 3 tickets: 1 auto, 1 draft, 1 escalate." in done.text
    (reply,) = mailbox.mbox(outbox)
    assert (reply["To"], reply["From"], reply["In-Reply-To"]) == (JANE, "help@tinythreads.example", "<s1@x>")
    assert "#1002" in reply.get_payload(decode=True).decode()
    page = owner.get("/support").text
    assert f"Replies are written to the outbox file <code>{outbox}</code>" in page
    assert 'id="held-for-outbox"' not in page
    assert owner.get("/api/support/metrics").json()["held_for_outbox"] == 0
