"""Real mail servers on 127.0.0.1 for the intake tests: Twisted's IMAP4 server over an in-memory
mailbox (run by the reactor in a background thread) and aiosmtpd's SMTP server.

Twisted's reactor can start once per process, so one IMAP server serves the whole test session;
each test gets its own user (and so its own mailbox).
"""

from __future__ import annotations

import io
import itertools
import socket
import threading
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from twisted.cred import checkers, portal
from twisted.internet import protocol, reactor
from twisted.mail import imap4
from zope.interface import implementer

_uid_validity = itertools.count(4200)


@implementer(imap4.IMessage)
class StoredMessage:
    def __init__(self, raw: bytes, uid: int, flags: list[str]) -> None:
        self.raw, self.uid, self.flags = raw, uid, flags
        self.parsed: Message = message_from_bytes(raw)

    def getUID(self) -> int:
        return self.uid

    def getFlags(self) -> list[str]:
        return self.flags

    def getInternalDate(self) -> str:
        return str(self.parsed.get("Date", "Thu, 05 Mar 2026 15:00:00 +0000"))

    def getHeaders(self, negate: bool, *names: str) -> dict[str, str]:
        wanted = {n.lower() for n in names}
        return {
            k.lower(): str(v)
            for k, v in self.parsed.items()
            if not names or ((k.lower() in wanted) != negate)
        }

    def getBodyFile(self) -> io.BytesIO:
        _, separator, body = self.raw.partition(b"\r\n\r\n")
        if not separator:
            _, _, body = self.raw.partition(b"\n\n")
        return io.BytesIO(body)

    def getSize(self) -> int:
        return len(self.raw)

    def isMultipart(self) -> bool:
        return False

    def getSubPart(self, part: int) -> Any:
        raise IndexError(part)


@implementer(imap4.IMailbox, imap4.IMailboxInfo)
class MemoryMailbox:
    def __init__(self) -> None:
        self.messages: list[StoredMessage] = []
        self.listeners: list[Any] = []
        self.next_uid = 1
        self.uid_validity = next(_uid_validity)

    def deliver(self, raw: bytes) -> int:
        uid = self.next_uid
        self.next_uid += 1
        self.messages.append(StoredMessage(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), uid, []))
        return uid

    # IMailboxInfo
    def getFlags(self) -> list[str]:
        return ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"]

    def getHierarchicalDelimiter(self) -> str:
        return "/"

    # IMailbox
    def getUIDValidity(self) -> int:
        return self.uid_validity

    def getUIDNext(self) -> int:
        return self.next_uid

    def getUID(self, message: int) -> int:
        return self.messages[message - 1].uid

    def getMessageCount(self) -> int:
        return len(self.messages)

    def getRecentCount(self) -> int:
        return 0

    def getUnseenCount(self) -> int:
        return sum(1 for m in self.messages if "\\Seen" not in m.flags)

    def isWriteable(self) -> bool:
        return True

    def destroy(self) -> None:
        self.messages.clear()

    def requestStatus(self, names: list[str]) -> dict[str, int]:
        values = {
            "MESSAGES": self.getMessageCount(),
            "RECENT": 0,
            "UIDNEXT": self.next_uid,
            "UIDVALIDITY": self.uid_validity,
            "UNSEEN": self.getUnseenCount(),
        }
        return {name: values[name] for name in names if name in values}

    def addListener(self, listener: Any) -> None:
        self.listeners.append(listener)

    def removeListener(self, listener: Any) -> None:
        self.listeners.remove(listener)

    def addMessage(self, message: Any, flags: Any = (), date: Any = None) -> Any:
        from twisted.internet import defer

        return defer.succeed(self.deliver(message.read()))

    def expunge(self) -> list[int]:
        return []

    def fetch(self, messages: Any, uid: bool) -> list[tuple[int, StoredMessage]]:
        if uid:
            messages.last = self.next_uid - 1 if self.messages else 0
            return [(seq, m) for seq, m in enumerate(self.messages, start=1) if m.uid in messages]
        messages.last = len(self.messages)
        return [(seq, m) for seq, m in enumerate(self.messages, start=1) if seq in messages]

    def store(self, messages: Any, flags: Any, mode: int, uid: bool) -> dict[int, list[str]]:
        return {}


class Account(imap4.MemoryAccount):
    def __init__(self, name: str, inbox: MemoryMailbox) -> None:
        super().__init__(name)
        self.inbox = inbox
        self.addMailbox("INBOX", inbox)

    def _emptyMailbox(self, name: str, id: int) -> MemoryMailbox:
        return MemoryMailbox()


@implementer(portal.IRealm)
class Realm:
    def __init__(self) -> None:
        self.accounts: dict[bytes, Account] = {}

    def requestAvatar(self, avatar_id: bytes, mind: Any, *interfaces: Any) -> Any:
        if imap4.IAccount not in interfaces:
            raise NotImplementedError
        account = self.accounts[avatar_id]
        return imap4.IAccount, account, lambda: None


class ImapServer:
    """Twisted's IMAP4 server on 127.0.0.1, its reactor in a daemon thread."""

    def __init__(self) -> None:
        self.realm = Realm()
        self.checker = checkers.InMemoryUsernamePasswordDatabaseDontUse()
        self.portal = portal.Portal(self.realm, [self.checker])
        server_portal = self.portal

        class Factory(protocol.Factory):
            def buildProtocol(self, address: Any) -> imap4.IMAP4Server:
                server = imap4.IMAP4Server()
                server.portal = server_portal
                server.factory = self
                return server

        ready = threading.Event()
        holder: dict[str, Any] = {}

        def listen() -> None:
            holder["port"] = reactor.listenTCP(0, Factory(), interface="127.0.0.1")  # type: ignore[attr-defined]
            ready.set()

        reactor.callWhenRunning(listen)  # type: ignore[attr-defined]
        self.thread = threading.Thread(
            target=reactor.run,
            kwargs={"installSignalHandlers": False},
            daemon=True,  # type: ignore[attr-defined]
        )
        self.thread.start()
        if not ready.wait(10):
            raise RuntimeError("the IMAP server did not start")
        self.port = holder["port"].getHost().port

    def add_user(self, user: str, password: str) -> MemoryMailbox:
        inbox = MemoryMailbox()
        self.checker.addUser(user.encode(), password.encode())
        self.realm.accounts[user.encode()] = Account(user, inbox)
        return inbox


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpSink:
    """aiosmtpd on 127.0.0.1, keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                sink.messages.append(envelope.original_content or envelope.content)
                return "250 Message accepted for delivery"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
