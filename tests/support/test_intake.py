"""Intake: .eml/.mbox files, threading by In-Reply-To/References, the signed helpdesk webhook, SMTP
errors that never show a password, and mailbox settings."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import mailbox
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from support_store import NOW

from sasame import models as m
from sasame.config import Settings
from sasame.core.clock import fixed_clock
from sasame.core.errors import ConfigError, InputError
from sasame.db import transaction
from sasame.support.intake.mailfiles import read_mail_file
from sasame.support.intake.settings import MailSettings
from sasame.support.intake.smtp import FileOutbox, SmtpOutbox, build_reply, outbox_for, send
from sasame.support.service import receive_all
from sasame.web.app import create_app

FIRST = (
    "From: Jane Doe <jane@example.com>\n"
    "To: help@tinythreads.example\n"
    "Subject: Where is my order?\n"
    "Message-ID: <first@mail.example.com>\n"
    "Date: Wed, 04 Mar 2026 09:00:00 -0500\n"
    "Content-Type: text/html; charset=utf-8\n\n"
    "<p>Hi,</p><p>Where is order <b>#1002</b>?</p>\n"
)
CHASER = (
    "From: jane@example.com\n"
    "Subject: Re: Where is my order?\n"
    "Message-ID: <second@mail.example.com>\n"
    "References: <first@mail.example.com> <reply@tinythreads.example>\n"
    "In-Reply-To: <reply@tinythreads.example>\n\n"
    "Any news?\n"
)


def test_eml_and_mbox_files_thread_into_one_ticket(engine: Engine, tmp_path: Path) -> None:
    eml = tmp_path / "first.eml"
    eml.write_text(FIRST)
    box = mailbox.mbox(str(tmp_path / "later.mbox"))
    box.add(mailbox.mboxMessage(CHASER))
    box.add(mailbox.mboxMessage(FIRST))  # the same message again: stored once
    box.close()
    first = read_mail_file(eml)
    assert [(m.message_id, m.subject, m.body) for m in first] == [
        ("<first@mail.example.com>", "Where is my order?", "Hi,\n\nWhere is order #1002?")
    ]
    assert first[0].sent_at is not None and first[0].sent_at.isoformat() == "2026-03-04T14:00:00+00:00"
    later = read_mail_file(tmp_path / "later.mbox")
    assert later[0].thread_ids == ("<reply@tinythreads.example>", "<first@mail.example.com>")
    with transaction(engine) as session:
        assert receive_all(session, first + later, now=NOW) == (2, 1)
    with transaction(engine) as session:
        tickets = session.scalars(select(m.SupportTicket)).all()
        assert [(t.thread_key, t.subject) for t in tickets] == [
            ("<first@mail.example.com>", "Where is my order?")
        ]
        assert session.scalar(select(func.count()).select_from(m.SupportMessage)) == 2


def test_bad_files_are_one_clear_line(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(InputError, match=r"notes.txt: expected an .eml or .mbox file"):
        read_mail_file(text)
    with pytest.raises(InputError, match=r"missing.eml: no such file"):
        read_mail_file(tmp_path / "missing.eml")


def _sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_helpdesk_webhook_is_signed_and_idempotent(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SASAME_SUPPORT_WEBHOOK_SECRET", "whsec-support")
    app = create_app(sqlite_engine, Settings(database_url="sqlite://", secret_key="t"), fixed_clock(NOW))
    body = json.dumps(
        {
            "message_id": "hd-4471",
            "from": "Jane <jane@example.com>",
            "subject": "Cancel",
            "body": "Cancel #1003",
        }
    ).encode()
    with TestClient(app) as client:
        refused = client.post("/webhooks/support", content=body, headers={"X-Sasame-Signature": "bm9wZQ=="})
        assert (refused.status_code, refused.json()) == (401, {"detail": "signature does not match"})
        signed = {"X-Sasame-Signature": _sign(body, "whsec-support"), "Content-Type": "application/json"}
        created = client.post("/webhooks/support", content=body, headers=signed)
        again = client.post("/webhooks/support", content=body, headers=signed)
        broken = b'{"message_id": "x", "from": "a@b.c"}'
        missing = client.post(
            "/webhooks/support",
            content=broken,
            headers={"X-Sasame-Signature": _sign(broken, "whsec-support")},
        )
    assert (created.status_code, created.json()) == (
        201,
        {"ticket_id": 1, "message_id": "<hd-4471@helpdesk>", "created": True},
    )
    assert (again.status_code, again.json()["created"]) == (200, False)
    assert (missing.status_code, missing.json()) == (
        422,
        {"detail": "support webhook: field 'body' is missing"},
    )
    with transaction(sqlite_engine) as session:
        assert session.scalar(select(func.count()).select_from(m.SupportMessage)) == 1
        rejection = session.scalars(select(m.AuditLog)).one()
        assert "whsec-support" not in json.dumps(rejection.inputs) + rejection.outcome


def test_smtp_failures_name_the_server_never_the_password() -> None:
    settings = MailSettings(
        smtp_host="127.0.0.1",
        smtp_port=9,
        smtp_user="u",
        smtp_password="hunter2-secret",
        smtp_security="none",
    )
    message = build_reply(
        from_address="help@shop.example",
        to="jane@example.com",
        subject="Re: x",
        body="hi",
        in_reply_to="<a@b>",
        references=("<z@b>",),
        now=NOW,
    )
    assert message["References"] == "<z@b> <a@b>"
    with pytest.raises(ConfigError) as error:
        send(settings, message, timeout=2)
    assert str(error.value) == "SMTP 127.0.0.1:9: could not send (ConnectionRefusedError)"
    assert "hunter2" not in repr(settings)


def test_mail_settings_from_the_environment() -> None:
    settings = MailSettings.from_env(
        {
            "SASAME_IMAP_HOST": "imap.example.com",
            "SASAME_IMAP_USER": "help@shop.example",
            "SASAME_IMAP_PASSWORD": "pw",
            "SASAME_SMTP_HOST": "smtp.example.com",
            "SASAME_SMTP_SECURITY": "ssl",
        }
    )
    assert (settings.imap_port, settings.smtp_port, settings.smtp_user, settings.from_address) == (
        993,
        465,
        "help@shop.example",
        "help@shop.example",
    )
    with pytest.raises(ConfigError, match="SASAME_IMAP_PORT: 'abc' is not a port number"):
        MailSettings.from_env({"SASAME_IMAP_PORT": "abc"})


def test_replies_go_to_the_outbox_file_when_one_is_set_else_smtp_else_nowhere(tmp_path: Path) -> None:
    outbox_file = tmp_path / "outbox.mbox"
    both = MailSettings.from_env(
        {"SASAME_SMTP_HOST": "smtp.example.com", "SASAME_SUPPORT_OUTBOX": str(outbox_file)}
    )
    outbox = outbox_for(both)
    assert isinstance(outbox, FileOutbox) and outbox.from_address == "support@localhost"
    first = outbox.send(
        to="jane@example.com", subject="Re: a", body="one", in_reply_to="<a@x>", references=(), now=NOW
    )
    second = outbox.send(
        to="bob@example.com", subject="Re: b", body="two", in_reply_to=None, references=(), now=NOW
    )
    assert [(m["Message-ID"], m["To"], m["Subject"]) for m in mailbox.mbox(outbox_file)] == [
        (first, "jane@example.com", "Re: a"),
        (second, "bob@example.com", "Re: b"),
    ]
    assert isinstance(outbox_for(MailSettings(smtp_host="smtp.example.com", from_address="h@x")), SmtpOutbox)
    assert outbox_for(MailSettings()) is None
    with pytest.raises(ConfigError) as error:
        outbox_for(MailSettings(outbox_file=str(tmp_path / "missing" / "outbox.mbox")))
    assert str(error.value) == f"SASAME_SUPPORT_OUTBOX: folder {tmp_path / 'missing'} does not exist"
