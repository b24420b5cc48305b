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
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sasame.config import Settings, secret_key_file
from sasame.core.clock import Clock

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

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
UPLOAD_PATHS = frozenset({"/imports", "/api/imports"})
"""Routes that take files (web/uploads.py): their multipart bodies stream through unbuffered."""
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
"""All the files of one upload together (each file may be at most 50 MiB, see web/uploads.py)."""
UPLOAD_TOO_LARGE = (
    "upload too large: at most 200 MiB in one upload and 50 MiB per file; "
    "import bigger exports with `sasame import`"
)


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

    Uploads (multipart bodies to UPLOAD_PATHS) are not buffered: the token comes in the header or
    as the form's first field, which is read alone; the files after it stream on to the route.
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
        is_multipart = headers.get("content-type", "").startswith("multipart/form-data")
        if scope["path"] in UPLOAD_PATHS and is_multipart:
            await self._upload(scope, receive, send, headers)
            return
        body, complete = await _read_body(receive)
        if not complete:
            await _refuse(scope, "request body too large", status=413)(scope, receive, send)
            return
        expected = scope.get("session", {}).get(SESSION_CSRF)
        offered = headers.get(CSRF_HEADER) or _form_token(headers, body)
        if not _tokens_match(expected, offered):
            await _refuse(scope, "missing or invalid CSRF token; reload the page and try again")(
                scope, receive, send
            )
            return
        await self.app(scope, _replay(body), send)

    async def _upload(self, scope: Scope, receive: Receive, send: Send, headers: Headers) -> None:
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_UPLOAD_BYTES):
            await _refuse(scope, UPLOAD_TOO_LARGE, status=413)(scope, receive, send)
            return
        expected = scope.get("session", {}).get(SESSION_CSRF)
        offered = headers.get(CSRF_HEADER)
        read: list[bytes] = []
        ended = False
        if not offered:
            offered, read, ended = await _leading_form_token(headers, receive)
        if not _tokens_match(expected, offered):
            await _refuse(scope, "missing or invalid CSRF token; reload the page and try again")(
                scope, receive, send
            )
            return
        await self.app(scope, _continue(read, ended, receive), send)


def _tokens_match(expected: object, offered: str | None) -> bool:
    """Compare in constant time, as bytes: a token with non-ASCII characters is simply wrong."""
    if not expected or not offered:
        return False
    return hmac.compare_digest(str(expected).encode(), offered.encode("utf-8", "replace"))


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


class _TokenField:
    """Multipart parser callbacks that keep the csrf_token field and note where the files begin."""

    def __init__(self) -> None:
        self.token: str | None = None
        self.files_began = False
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._data = bytearray()

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_part,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._disposition, self._data = b"", bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_part(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        if b"filename" in parse_options_header(self._disposition)[1]:
            self.files_began = True

    def _is_token(self) -> bool:
        return parse_options_header(self._disposition)[1].get(b"name") == CSRF_FIELD.encode()

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_token() and len(self._data) < 1024:
            self._data.extend(data[start:end])

    def _part_end(self) -> None:
        # Only a token ahead of every file counts, however the body happened to be chunked.
        if self.token is None and not self.files_began and self._is_token():
            self.token = self._data.decode("latin-1")


async def _leading_form_token(headers: Headers, receive: Receive) -> tuple[str | None, list[bytes], bool]:
    """Read a multipart body only as far as its csrf_token field, which must come before any file.

    Returns the token (or None), the chunks read so far, and whether that was the whole body.
    """
    boundary = parse_options_header(headers.get("content-type", ""))[1].get(b"boundary")
    chunks: list[bytes] = []
    if not boundary:
        return None, chunks, False
    field = _TokenField()
    parser = MultipartParser(boundary, field.callbacks())
    size = 0
    while field.token is None and not field.files_began and size <= MAX_FORM_BYTES:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None, chunks, True
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        try:
            parser.write(chunk)
        except FormParserError:
            return None, chunks, False
        if not message.get("more_body", False):
            return field.token, chunks, True
    return field.token, chunks, False


def _continue(read: list[bytes], ended: bool, receive: Receive) -> Callable[[], Awaitable[Message]]:
    """Hand the application the chunks already read, then the rest of the body as it arrives.

    A body without a declared length that outgrows MAX_UPLOAD_BYTES is cut off (a disconnect).
    """
    pending: bytes | None = b"".join(read)
    total = sum(len(chunk) for chunk in read)

    async def receive_rest() -> Message:
        nonlocal pending, total
        if pending is not None:
            body, pending = pending, None
            return {"type": "http.request", "body": body, "more_body": not ended}
        if ended:
            return {"type": "http.disconnect"}
        message = await receive()
        if message["type"] == "http.request":
            total += len(message.get("body", b""))
            if total > MAX_UPLOAD_BYTES:
                return {"type": "http.disconnect"}
        return message

    return receive_rest


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
