"""Send answers through the shop's SMTP server, threaded under the customer's message, or append
them to an outbox file instead (SASAME_SUPPORT_OUTBOX)."""

from __future__ import annotations

import mailbox
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from sasame.core.errors import ConfigError
from sasame.support.intake.settings import MailSettings


def build_reply(
    *,
    from_address: str,
    to: str,
    subject: str,
    body: str,
    in_reply_to: str | None,
    references: tuple[str, ...],
    now: datetime,
) -> EmailMessage:
    message = EmailMessage()
    domain = from_address.rsplit("@", 1)[-1] if "@" in from_address else "sasame.local"
    message["Message-ID"] = make_msgid(domain=domain)
    message["From"] = from_address
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = " ".join(dict.fromkeys([*references, in_reply_to]))
    message.set_content(body)
    return message


def send(settings: MailSettings, message: EmailMessage, *, timeout: float = 30.0) -> None:
    """Deliver one message; failures are a ConfigError naming the server, never the password."""
    if not settings.has_smtp:
        raise ConfigError("SASAME_SMTP_HOST is not set: no server to send replies through")
    where = f"SMTP {settings.smtp_host}:{settings.smtp_port}"
    try:
        if settings.smtp_security == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        with server:
            if settings.smtp_security == "starttls":
                server.starttls(context=ssl.create_default_context())
            if settings.smtp_user and settings.smtp_password:
                server.login(settings.smtp_user, settings.smtp_password)
            server.send_message(message)
    except smtplib.SMTPAuthenticationError:
        raise ConfigError(f"{where}: login refused (check SASAME_SMTP_USER/SASAME_SMTP_PASSWORD)") from None
    except (TimeoutError, OSError, smtplib.SMTPException) as error:
        raise ConfigError(f"{where}: could not send ({type(error).__name__})") from None


class MailOutbox:
    """The service's Outbox: builds the threaded reply, delivers it, returns its Message-ID."""

    def __init__(self, from_address: str) -> None:
        self.from_address = from_address

    def send(
        self,
        *,
        to: str,
        subject: str,
        body: str,
        in_reply_to: str | None,
        references: tuple[str, ...],
        now: datetime,
    ) -> str:
        message = build_reply(
            from_address=self.from_address,
            to=to,
            subject=subject,
            body=body,
            in_reply_to=in_reply_to,
            references=references,
            now=now,
        )
        self.deliver(message)
        return str(message["Message-ID"])

    def deliver(self, message: EmailMessage) -> None:
        raise NotImplementedError


class SmtpOutbox(MailOutbox):
    """Replies sent through the SMTP server of SASAME_SMTP_*."""

    def __init__(self, settings: MailSettings, from_address: str | None = None) -> None:
        super().__init__(from_address or settings.from_address or settings.smtp_user)
        self.settings = settings
        if not self.from_address:
            raise ConfigError("SASAME_SUPPORT_FROM is not set: replies need a From address")

    def deliver(self, message: EmailMessage) -> None:
        send(self.settings, message)


class FileOutbox(MailOutbox):
    """Replies appended to an mbox file, not sent: what the autopilot would have written, to read
    in any mail client before letting it write to customers."""

    def __init__(self, path: Path, from_address: str) -> None:
        super().__init__(from_address)
        self.path = path
        if not path.parent.is_dir():
            raise ConfigError(f"SASAME_SUPPORT_OUTBOX: folder {path.parent} does not exist")

    def deliver(self, message: EmailMessage) -> None:
        box = mailbox.mbox(self.path)
        box.lock()
        try:
            box.add(message)
            box.flush()
        finally:
            box.unlock()
            box.close()


def outbox_for(settings: MailSettings) -> MailOutbox | None:
    """Where replies go: the outbox file when one is set, else the SMTP server, else nowhere (the
    answers the policy lets go out alone then wait as drafts)."""
    if settings.outbox_file:
        address = settings.from_address or settings.smtp_user or "support@localhost"
        return FileOutbox(Path(settings.outbox_file).expanduser(), address)
    if settings.has_smtp:
        return SmtpOutbox(settings)
    return None
