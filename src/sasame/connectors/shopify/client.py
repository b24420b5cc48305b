"""A small Shopify Admin GraphQL client: auth, cursor paging, cost-based throttling, retries, timeouts.

It imports nothing from the rest of sasame (ARCHITECTURE rule 7). Shopify meters GraphQL by query
cost: every answer carries `extensions.cost.throttleStatus {maximumAvailable, currentlyAvailable,
restoreRate}`; a query that costs more than what is available is answered with a `THROTTLED`
error (HTTP 200), and a burst of requests may also get HTTP 429 with Retry-After. The client
waits exactly as long as the bucket needs to refill and tries again. The access token is sent
only in the X-Shopify-Access-Token header and never appears in a message or repr.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx

log = logging.getLogger(__name__)

API_VERSION = "2025-01"


class ShopifyAPIError(Exception):
    """Shopify refused or failed a query; the message says why, never the token."""


def shop_endpoint(shop: str, api_version: str = API_VERSION) -> str:
    """The GraphQL URL of a shop named 'my-shop', 'my-shop.myshopify.com' or a full https:// URL."""
    shop = shop.strip().rstrip("/")
    if shop.startswith(("https://", "http://")):
        base = shop
    else:
        base = "https://" + (shop if "." in shop else f"{shop}.myshopify.com")
    return f"{base}/admin/api/{api_version}/graphql.json"


class ShopifyClient:
    def __init__(
        self,
        endpoint: str,
        token: str,
        *,
        timeout: float = 30.0,
        max_retries: int = 5,
        backoff: float = 1.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not token:
            raise ValueError("a Shopify Admin API access token is required")
        self.endpoint = endpoint
        self._http = httpx.Client(
            headers={"X-Shopify-Access-Token": token, "Content-Type": "application/json"},
            timeout=timeout,
            transport=transport,
        )
        self.max_retries, self.backoff, self.sleep = max_retries, backoff, sleep
        self.cost_spent = 0
        """Sum of actualQueryCost, for the sync summary and for tuning page sizes."""

    def __repr__(self) -> str:
        return f"ShopifyClient(endpoint={self.endpoint!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ShopifyClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run one query and return its `data`, waiting out throttling and retrying transient failures."""
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.post(self.endpoint, json={"query": query, "variables": variables or {}})
            except httpx.TransportError as error:
                if attempt > self.max_retries:
                    raise ShopifyAPIError(f"no answer from Shopify ({type(error).__name__})") from None
                self._wait(self.backoff * 2 ** (attempt - 1), "network error")
                continue
            if response.status_code == 429 or response.status_code >= 500:
                if attempt > self.max_retries:
                    raise ShopifyAPIError(
                        f"Shopify answered {response.status_code} {self.max_retries + 1} times"
                    )
                retry_after = _seconds(response.headers.get("Retry-After"))
                self._wait(retry_after or self.backoff * 2 ** (attempt - 1), f"HTTP {response.status_code}")
                continue
            if response.status_code in (401, 403):
                raise ShopifyAPIError(
                    f"Shopify refused the access token (HTTP {response.status_code}); "
                    "check the app's token and scopes"
                )
            if response.status_code != 200:
                raise ShopifyAPIError(f"Shopify answered HTTP {response.status_code}")
            body = json.loads(response.content, parse_float=Decimal)
            cost = (body.get("extensions") or {}).get("cost") or {}
            errors = body.get("errors") or []
            if any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors):
                if attempt > self.max_retries:
                    raise ShopifyAPIError("Shopify kept throttling the query; try again later")
                self._wait(_refill_seconds(cost) or self.backoff, "THROTTLED")
                continue
            if errors:
                messages = "; ".join(str(e.get("message", e)) for e in errors)
                raise ShopifyAPIError(f"Shopify refused the query: {messages}")
            self.cost_spent += int(cost.get("actualQueryCost") or 0)
            # Pace ourselves: if the bucket could not pay for the same query again, wait for it now
            # rather than be throttled on the next page.
            refill = _refill_seconds(cost)
            if refill:
                self._wait(refill, "pacing")
            return body.get("data") or {}

    def pages(
        self, query: str, connection: str, variables: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every node of a top-level connection, following `pageInfo { hasNextPage endCursor }`."""
        after: str | None = None
        while True:
            data = self.query(query, {**(variables or {}), "after": after})
            page = data.get(connection) or {}
            nodes = page.get("nodes")
            if nodes is None:
                nodes = [edge["node"] for edge in page.get("edges") or []]
            yield from nodes
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage") or not info.get("endCursor"):
                return
            after = info["endCursor"]

    def _wait(self, seconds: float, why: str) -> None:
        log.info("Shopify: waiting %.1f s (%s)", seconds, why)
        self.sleep(seconds)


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _refill_seconds(cost: dict[str, Any]) -> float:
    """How long until the bucket holds the requested cost again (0 when it already does)."""
    status = cost.get("throttleStatus") or {}
    requested = cost.get("requestedQueryCost")
    available, restore = status.get("currentlyAvailable"), status.get("restoreRate")
    if requested is None or available is None or not restore:
        return 0.0
    missing = Decimal(requested) - Decimal(available)
    return float(missing / Decimal(restore)) if missing > 0 else 0.0
