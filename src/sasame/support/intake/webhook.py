"""A helpdesk's JSON webhook: one customer message per request, signed like the platform webhooks.

Body::

    {"message_id": "<abc@mail.example>", "from": "Jane <jane@example.com>", "to": "help@shop",
     "subject": "Where is my order?", "body": "text", "in_reply_to": null, "references": [],
     "sent_at": "2026-03-05T14:30:00Z"}

Header ``X-Sasame-Signature``: base64 of the HMAC-SHA256 of the raw body with the secret in
``SASAME_SUPPORT_WEBHOOK_SECRET``. ``message_id`` may be the helpdesk's own id; it keeps a
re-delivered message from being stored twice.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sasame.core.errors import InputError
from sasame.support.intake.mail import Mail

SECRET_SETTING = "SASAME_SUPPORT_WEBHOOK_SECRET"
SIGNATURE_HEADER = "x-sasame-signature"


def _text(data: dict[str, Any], key: str, *, required: bool = False, limit: int = 100_000) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise InputError(f"support webhook: field {key!r} is missing")
        return ""
    if not isinstance(value, str):
        raise InputError(f"support webhook: field {key!r} is not text")
    if len(value) > limit:
        raise InputError(f"support webhook: field {key!r} is longer than {limit} characters")
    return value.strip()


def parse_helpdesk_message(body: bytes) -> Mail:
    """Read one message from a helpdesk's JSON body, or raise InputError naming the field."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InputError("support webhook: the body is not JSON") from None
    if not isinstance(data, dict):
        raise InputError("support webhook: the body is not a JSON object")
    message_id = _text(data, "message_id", required=True, limit=290)
    if not message_id.startswith("<"):
        message_id = f"<{message_id}@helpdesk>"
    references = data.get("references") or []
    if not isinstance(references, list) or not all(isinstance(r, str) for r in references):
        raise InputError("support webhook: field 'references' is not a list of Message-IDs")
    sent_at = None
    if data.get("sent_at"):
        try:
            parsed = datetime.fromisoformat(_text(data, "sent_at").replace("Z", "+00:00"))
        except ValueError:
            raise InputError("support webhook: field 'sent_at' is not an ISO 8601 instant") from None
        sent_at = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    return Mail(
        message_id=message_id,
        in_reply_to=_text(data, "in_reply_to") or None,
        references=tuple(references),
        sender=_text(data, "from", required=True, limit=254),
        to=_text(data, "to", limit=254),
        subject=_text(data, "subject", limit=500),
        body=_text(data, "body", required=True),
        sent_at=sent_at,
    )
