"""What keeps the dashboard the owner's: the cookie key, login checks, CSRF and login throttling."""

from __future__ import annotations

import hmac
import os
import secrets
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sasame.config import Settings, secret_key_file
from sasame.core.clock import Clock

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_USER = "user_id"
SESSION_CSRF = "csrf"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SIGNED_PATHS = ("/webhooks/",)
"""Routes that platforms call with a body signed by a shared secret (web/webhooks.py): no cookie,
so no CSRF token; the signature is checked by the route instead."""
MAX_FORM_BYTES = 64 * 1024
"""Dashboard forms are a few fields; a bigger body on an unsafe request is refused unread."""


def resolve_secret_key(settings: Settings) -> str:
    """Return the cookie-signing key: the configured one, else one generated once and kept on disk.

    The file is created with O_EXCL and mode 0600, so two processes starting together agree on one
    key and no other local user can read it.
    """
    if settings.secret_key:
        return settings.secret_key
    path = secret_key_file(settings.database_url)
    if not path.exists():
        key = secrets.token_urlsafe(48)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process won the race; read its key below
        else:
            with os.fdopen(descriptor, "w") as file:
                file.write(key + "\n")
            return key
    return _read_key(path)


def _read_key(path: Path) -> str:
    key = path.read_text().strip()
    if not key:
        from sasame.core.errors import ConfigError

        raise ConfigError(f"secret key file {path} is empty; delete it to generate a new key")
    return key


def csrf_token(session: dict[str, Any]) -> str:
    """Return the session's CSRF token, creating it on first use."""
    token = session.get(SESSION_CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_CSRF] = token
    return token


class CSRFMiddleware:
    """Refuse unsafe requests from another origin or without the session's CSRF token.

    It sits inside SessionMiddleware so it can read the session. Being middleware rather than a
    per-route dependency, no POST route can forget the check. The token comes from the
    ``X-CSRF-Token`` header (scripts, htmx) or the ``csrf_token`` field of a urlencoded form; the
    body is buffered to find it and then replayed unchanged to the application.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in UNSAFE_METHODS
            or scope["path"].startswith(SIGNED_PATHS)
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not _same_origin(scope, headers):
            await _refuse(scope, "cross-origin request refused")(scope, receive, send)
            return
        body, complete = await _read_body(receive)
        if not complete:
            await _refuse(scope, "request body too large", status=413)(scope, receive, send)
            return
        expected = scope.get("session", {}).get(SESSION_CSRF)
        offered = headers.get(CSRF_HEADER) or _form_token(headers, body)
        if not expected or not offered or not hmac.compare_digest(str(expected), offered):
            await _refuse(scope, "missing or invalid CSRF token; reload the page and try again")(
                scope, receive, send
            )
            return
        await self.app(scope, _replay(body), send)


def _same_origin(scope: Scope, headers: Headers) -> bool:
    """Whether Origin (or, failing that, Referer) names this server's host; absent both, allow.

    Browsers send Origin on every cross-site POST, so an absent header means a non-browser client,
    which still has to present the session's token. Only host and port are compared: behind a
    TLS-terminating proxy the scheme the app sees is not the one the browser used.
    """
    claimed = headers.get("origin") or headers.get("referer")
    if not claimed:
        return True
    if claimed == "null":  # sandboxed frames and some redirects: never our own page
        return False
    return urlsplit(claimed).netloc == headers.get("host", "")


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), True
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return b"", False
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _form_token(headers: Headers, body: bytes) -> str | None:
    if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return None
    values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(CSRF_FIELD)
    return values[0] if values else None


def _replay(body: bytes) -> Callable[[], Awaitable[Message]]:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _refuse(scope: Scope, reason: str, status: int = 403) -> Response:
    if scope["path"].startswith("/api/"):
        return JSONResponse({"detail": reason}, status_code=status)
    return PlainTextResponse(reason, status_code=status)


class LoginThrottle:
    """Count failed logins per email and per client address in memory; too many locks them out.

    In memory is enough for one process on one machine, which is how the dashboard runs; a
    restart forgets the counts, which only helps someone who can already restart the server.
    """

    def __init__(
        self,
        clock: Clock,
        window: timedelta = timedelta(minutes=15),
        per_email: int = 5,
        per_address: int = 20,
    ) -> None:
        self.clock, self.window = clock, window
        self.limits = {"email": per_email, "address": per_address}
        self._failures: dict[tuple[str, str], deque[datetime]] = {}
        self._lock = threading.Lock()

    def _keys(self, email: str, address: str) -> list[tuple[str, str]]:
        return [("email", email.strip().lower()), ("address", address)]

    def _recent(self, key: tuple[str, str], now: datetime) -> deque[datetime]:
        stamps = self._failures.setdefault(key, deque())
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        if not stamps:
            del self._failures[key]  # keeps memory bounded by recent failures only
            return deque()
        return stamps

    def retry_after(self, email: str, address: str) -> timedelta | None:
        """Return how long until another attempt is allowed, or None when it is allowed now."""
        now = self.clock()
        with self._lock:
            waits = [
                stamps[0] + self.window - now
                for key in self._keys(email, address)
                if len(stamps := self._recent(key, now)) >= self.limits[key[0]]
            ]
        return max(waits) if waits else None

    def failed(self, email: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for key in self._keys(email, address):
                self._recent(key, now)
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, email: str) -> None:
        with self._lock:
            self._failures.pop(("email", email.strip().lower()), None)
