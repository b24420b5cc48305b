"""One email as the support engine keeps it, parsed from RFC 5322 bytes (a mailbox, an .eml, an .mbox).

The body is the text part (or the HTML part turned into text); threading headers are kept so a
reply lands in its ticket: In-Reply-To first, then every Message-ID in References.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage

from sasame.support.understanding.text import html_to_text

ID_PATTERN = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class Mail:
    message_id: str
    in_reply_to: str | None
    references: tuple[str, ...]
    sender: str
    """The From header as written ('Jane Doe <jane@example.com>')."""
    to: str
    subject: str
    body: str
    sent_at: datetime | None

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Message-IDs this mail answers, the most direct first."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        ids += [r for r in reversed(self.references) if r not in ids]
        return tuple(ids)


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError):
        payload = part.get_payload(decode=True)
        content = (
            payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else str(payload or "")
        )
    text = str(content)
    return html_to_text(text) if part.get_content_subtype() == "html" else text


def _ids(value: str | None) -> tuple[str, ...]:
    return tuple(ID_PATTERN.findall(value or ""))


def parse_mail(raw: bytes) -> Mail:
    """Parse one message; a message without a Message-ID gets a stable one derived from its bytes."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    ids = _ids(str(message.get("Message-ID", "")))
    message_id = ids[0] if ids else f"<{hashlib.sha256(raw).hexdigest()[:32]}@sasame.local>"
    reply_to = _ids(str(message.get("In-Reply-To", "")))
    sent_at = None
    if message.get("Date"):
        try:
            parsed = email.utils.parsedate_to_datetime(str(message["Date"]))
            sent_at = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
        except (TypeError, ValueError):
            sent_at = None
    return Mail(
        message_id=message_id,
        in_reply_to=reply_to[0] if reply_to else None,
        references=_ids(str(message.get("References", ""))),
        sender=str(message.get("From", "")).strip(),
        to=str(message.get("To", "")).strip(),
        subject=str(message.get("Subject", "")).strip(),
        body=_text_of(message).strip(),
        sent_at=sent_at,
    )
