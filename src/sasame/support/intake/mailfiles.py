"""Import customer mail from files: one message per .eml, many per .mbox (a mail client's export)."""

from __future__ import annotations

import mailbox
from pathlib import Path

from sasame.core.errors import InputError
from sasame.support.intake.mail import Mail, parse_mail


def read_mail_file(path: Path) -> list[Mail]:
    """Return the messages of an .eml or .mbox file, in file order."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".eml":
        raw = path.read_bytes()
        if b":" not in raw.split(b"\n", 1)[0]:
            raise InputError(f"{path}: not an email (the first line is not a header)")
        return [parse_mail(raw)]
    if suffix == ".mbox":
        box = mailbox.mbox(str(path), create=False)
        try:
            return [parse_mail(message.as_bytes()) for message in box]
        finally:
            box.close()
    raise InputError(f"{path}: expected an .eml or .mbox file")
