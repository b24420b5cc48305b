"""Mailbox settings from the environment: SASAME_IMAP_*, SASAME_SMTP_* and SASAME_SUPPORT_*.
Passwords never appear in a repr, a log line or an error message."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from sasame.core.errors import ConfigError


@dataclass(frozen=True)
class MailSettings:
    imap_host: str = ""
    imap_port: int = 993
    imap_user: str = ""
    imap_password: str = field(default="", repr=False)
    imap_ssl: bool = True
    imap_folder: str = "INBOX"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_security: str = "starttls"
    """ssl (port 465), starttls (587) or none (a relay on localhost)."""
    from_address: str = ""
    outbox_file: str = ""
    """An mbox file that replies are appended to instead of being sent: a trial run of the
    autopilot before it writes to customers (and the demo store's outbox). Set, it wins over SMTP."""

    @property
    def has_imap(self) -> bool:
        return bool(self.imap_host)

    @property
    def has_smtp(self) -> bool:
        return bool(self.smtp_host)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MailSettings:
        env = os.environ if environ is None else environ

        def port(name: str, default: int) -> int:
            text = env.get(name, "").strip()
            if not text:
                return default
            if not text.isdigit() or not 0 < int(text) < 65536:
                raise ConfigError(f"{name}: {text!r} is not a port number")
            return int(text)

        def flag(name: str, default: bool) -> bool:
            text = env.get(name, "").strip().lower()
            if not text:
                return default
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ConfigError(f"{name}: {text!r} is not yes/no")

        security = env.get("SASAME_SMTP_SECURITY", "starttls").strip().lower() or "starttls"
        if security not in ("ssl", "starttls", "none"):
            raise ConfigError(f"SASAME_SMTP_SECURITY: {security!r} is not ssl, starttls or none")
        imap_ssl = flag("SASAME_IMAP_SSL", True)
        user = env.get("SASAME_IMAP_USER", "").strip()
        return cls(
            imap_host=env.get("SASAME_IMAP_HOST", "").strip(),
            imap_port=port("SASAME_IMAP_PORT", 993 if imap_ssl else 143),
            imap_user=user,
            imap_password=env.get("SASAME_IMAP_PASSWORD", ""),
            imap_ssl=imap_ssl,
            imap_folder=env.get("SASAME_IMAP_FOLDER", "INBOX").strip() or "INBOX",
            smtp_host=env.get("SASAME_SMTP_HOST", "").strip(),
            smtp_port=port(
                "SASAME_SMTP_PORT", 465 if security == "ssl" else 587 if security == "starttls" else 25
            ),
            smtp_user=env.get("SASAME_SMTP_USER", user).strip(),
            smtp_password=env.get("SASAME_SMTP_PASSWORD", env.get("SASAME_IMAP_PASSWORD", "")),
            smtp_security=security,
            from_address=env.get("SASAME_SUPPORT_FROM", user).strip(),
            outbox_file=env.get("SASAME_SUPPORT_OUTBOX", "").strip(),
        )
