"""Poll the shop's mailbox over IMAP: fetch messages newer than the last seen UID, without marking them.

The cursor is (UIDVALIDITY, last UID): when the server renumbers the folder (UIDVALIDITY
changes) every message is read again, and Message-IDs keep the import idempotent.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl

from sasame.core.errors import ConfigError
from sasame.support.intake.mail import Mail, parse_mail
from sasame.support.intake.settings import MailSettings

UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
FETCHED_UID = re.compile(rb"UID (\d+)")


def _where(settings: MailSettings) -> str:
    return f"IMAP {settings.imap_user or '(no user)'}@{settings.imap_host}:{settings.imap_port}"


def fetch_new(
    settings: MailSettings, cursor: str | None, *, timeout: float = 30.0
) -> tuple[list[tuple[int, Mail]], str]:
    """Return the messages after the cursor ('uidvalidity:uid') and the new cursor."""
    if not settings.has_imap:
        raise ConfigError("SASAME_IMAP_HOST is not set: no mailbox to read")
    validity_seen, last_uid = None, 0
    if cursor and ":" in cursor:
        left, right = cursor.split(":", 1)
        validity_seen, last_uid = left, int(right) if right.isdigit() else 0
    try:
        client: imaplib.IMAP4 = (
            imaplib.IMAP4_SSL(
                settings.imap_host,
                settings.imap_port,
                ssl_context=ssl.create_default_context(),
                timeout=timeout,
            )
            if settings.imap_ssl
            else imaplib.IMAP4(settings.imap_host, settings.imap_port, timeout=timeout)
        )
    except (TimeoutError, OSError, imaplib.IMAP4.error) as error:
        raise ConfigError(f"{_where(settings)}: cannot connect ({type(error).__name__})") from None
    try:
        try:
            client.login(settings.imap_user, settings.imap_password)
        except imaplib.IMAP4.error:
            raise ConfigError(
                f"{_where(settings)}: login refused (check SASAME_IMAP_USER/SASAME_IMAP_PASSWORD)"
            ) from None
        status, _ = client.select(settings.imap_folder, readonly=True)
        if status != "OK":
            raise ConfigError(f"{_where(settings)}: folder {settings.imap_folder!r} cannot be opened")
        validity = _uidvalidity(client, settings.imap_folder)
        if validity_seen is not None and validity_seen != validity:
            last_uid = 0
        status, data = client.uid("SEARCH", f"UID {last_uid + 1}:*")
        if status != "OK":
            raise ConfigError(f"{_where(settings)}: search failed")
        uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) > last_uid)
        mails: list[tuple[int, Mail]] = []
        for uid in uids:
            status, parts = client.uid("FETCH", str(uid), "(UID BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple) and len(p) > 1), None)
            if status != "OK" or not isinstance(raw, bytes):
                continue
            mails.append((uid, parse_mail(raw)))
        newest = max([last_uid, *uids])
        return mails, f"{validity}:{newest}"
    except (OSError, imaplib.IMAP4.error) as error:
        raise ConfigError(f"{_where(settings)}: {type(error).__name__} while reading the mailbox") from None
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()


def _uidvalidity(client: imaplib.IMAP4, folder: str) -> str:
    """The folder's UIDVALIDITY: from SELECT's untagged answer, else from STATUS."""
    _, data = client.response("UIDVALIDITY")
    if data and isinstance(data[0], bytes) and data[0].isdigit():
        return data[0].decode()
    _, data = client.status(folder, "(UIDVALIDITY)")
    for chunk in data or []:
        if isinstance(chunk, bytes):
            found = UIDVALIDITY.search(chunk)
            if found:
                return found.group(1).decode()
    return "0"
