"""A small Stripe REST client: auth, list paging, retries with backoff, timeouts.

It imports nothing from the rest of sasame (ARCHITECTURE rule 7) and returns Stripe's objects
as parsed JSON. The secret key is sent only in the Authorization header and never appears in an
exception message, a log line or a repr.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.stripe.com"
PAGE_SIZE = 100
"""Stripe's largest page."""
KEY_PATTERN = re.compile(r"\b(?:sk|rk|pk|whsec)_[A-Za-z0-9_*]+")
"""Anything shaped like a Stripe key is blanked from messages (Stripe echoes a masked key on 401)."""


class StripeAPIError(Exception):
    """Stripe refused or failed a request; the message names the path and Stripe's reason, never the key."""


class StripeClient:
    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 30.0,
        max_retries: int = 4,
        backoff: float = 1.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not api_key:
            raise ValueError("a Stripe secret or restricted key is required")
        self._http = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {api_key}", "Stripe-Version": "2025-02-24.acacia"},
            timeout=timeout,
            transport=transport,
        )
        self.max_retries, self.backoff, self.sleep = max_retries, backoff, sleep

    def __repr__(self) -> str:
        return f"StripeClient(base_url={str(self._http.base_url)!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> StripeClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """GET a resource, retrying rate limits (429), Stripe's 5xx and network failures with backoff."""
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.get(path, params=params)
            except httpx.TransportError as error:  # timeouts, refused connections
                if attempt > self.max_retries:
                    raise StripeAPIError(
                        f"GET {path}: no answer from Stripe ({type(error).__name__})"
                    ) from None
                self._wait(attempt, None)
                continue
            if response.status_code == 200:
                return json.loads(response.content, parse_float=Decimal)
            retryable = response.status_code == 429 or response.status_code >= 500
            if response.headers.get("Stripe-Should-Retry") == "false":
                retryable = False
            if retryable and attempt <= self.max_retries:
                self._wait(attempt, response.headers.get("Retry-After"))
                continue
            reason = KEY_PATTERN.sub("[redacted key]", _reason(response))
            raise StripeAPIError(f"GET {path}: Stripe answered {response.status_code}: {reason}")

    def list(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every object of a list endpoint, page by page (`starting_after` the last id while `has_more`)."""
        query = {**(params or {}), "limit": PAGE_SIZE}
        while True:
            page = self.get(path, query)
            objects = page.get("data") or []
            yield from objects
            if not page.get("has_more") or not objects:
                return
            query["starting_after"] = objects[-1]["id"]

    def payouts(self, *, created_gte: int | None = None) -> Iterator[dict[str, Any]]:
        params = {"created[gte]": created_gte} if created_gte is not None else {}
        return self.list("/v1/payouts", params)

    def balance_transactions(
        self, *, payout: str | None = None, created_gte: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Balance transactions, all or those a payout paid out (`payout=po_…`, automatic payouts)."""
        params: dict[str, Any] = {}
        if payout:
            params["payout"] = payout
        if created_gte is not None:
            params["created[gte]"] = created_gte
        return self.list("/v1/balance_transactions", params)

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        delay = (
            float(retry_after) if retry_after and retry_after.isdigit() else self.backoff * 2 ** (attempt - 1)
        )
        log.info("Stripe: retrying in %.1f s (attempt %d)", delay, attempt)
        self.sleep(delay)


def _reason(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", {})
        return str(error.get("message") or error.get("type") or "no reason given")
    except (ValueError, AttributeError):
        return "no reason given"
