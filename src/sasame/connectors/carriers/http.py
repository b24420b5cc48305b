"""A small JSON-over-HTTPS client the carrier clients share: auth headers, timeouts, retries with
backoff on rate limits and server errors. Imports nothing from the app, so it can be lifted out.

Credentials travel only in headers; no message, log line or exception ever contains them.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

log = logging.getLogger(__name__)

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER_SECONDS = 60.0


class CarrierApiError(Exception):
    """A tracking service refused or failed a request; the message names the service, never the key."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class CarrierAuthError(CarrierApiError):
    """The service rejected the credentials (HTTP 401/403)."""


class TrackingNotFound(CarrierApiError):
    """The service does not know this tracking number (HTTP 404)."""


class JsonApi:
    """One service's HTTP endpoint: every call returns the decoded JSON object or raises CarrierApiError."""

    def __init__(
        self,
        *,
        service: str,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float = 15.0,
        retries: int = 3,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.service, self.retries, self.backoff, self.sleep = service, retries, backoff, sleep
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Accept": "application/json", "User-Agent": "sasame", **(headers or {})},
            auth=auth,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> JsonApi:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Send a request, retrying what is worth retrying; return the JSON object of the answer."""
        attempt = 0
        while True:
            try:
                response = self._client.request(method, path, params=params, json=json)
            except httpx.TransportError as error:
                if attempt >= self.retries:
                    raise CarrierApiError(
                        f"{self.service}: no answer for {method} {path} after {attempt + 1} tries "
                        f"({type(error).__name__})"
                    ) from None
                self._pause(attempt, None, f"{type(error).__name__}")
                attempt += 1
                continue
            if response.status_code in RETRIED_STATUSES and attempt < self.retries:
                self._pause(attempt, response.headers.get("Retry-After"), f"HTTP {response.status_code}")
                attempt += 1
                continue
            return self._decode(method, path, response)

    def _pause(self, attempt: int, retry_after: str | None, reason: str) -> None:
        delay = self.backoff * (2**attempt)
        if retry_after is not None:
            # An HTTP date instead of seconds is not worth parsing: keep our own backoff then.
            with contextlib.suppress(ValueError):
                delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER_SECONDS))
        log.info("%s: %s, retrying in %.1f s", self.service, reason, delay)
        self.sleep(delay)

    def _decode(self, method: str, path: str, response: httpx.Response) -> dict[str, Any]:
        status = response.status_code
        where = f"{self.service}: {method} {path}"
        if status in (401, 403):
            raise CarrierAuthError(f"{where} was refused (HTTP {status}): check the API key", status=status)
        if status == 404:
            raise TrackingNotFound(f"{where}: not found (HTTP 404)", status=status)
        if status >= 400:
            raise CarrierApiError(f"{where} failed (HTTP {status}){_reason(response)}", status=status)
        try:
            body = response.json()
        except ValueError:
            raise CarrierApiError(f"{where}: the answer is not JSON", status=status) from None
        if not isinstance(body, dict):
            raise CarrierApiError(f"{where}: the answer is not a JSON object", status=status)
        return body


def _reason(response: httpx.Response) -> str:
    """The service's own short error text, if it gives one (never echoes the request)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    error = body.get("error") or body.get("meta") or body.get("detail")
    if isinstance(error, dict):
        error = error.get("message")
    return f": {str(error)[:200]}" if isinstance(error, str) and error else ""
