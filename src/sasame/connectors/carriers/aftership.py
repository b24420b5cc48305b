"""AfterShip tracking API client (versioned API, formats.md §8.3).

AfterShip authenticates with the header `as-api-key`. A tracking must exist in AfterShip before it
can be read; `tracking` reads it by number (and courier slug) and creates it when AfterShip does
not know it yet. Answers come wrapped as {"meta": {...}, "data": {...}}. Imports nothing from the app.
"""

from __future__ import annotations

from typing import Any

from sasame.connectors.carriers.http import CarrierApiError, JsonApi

BASE_URL = "https://api.aftership.com/tracking/2024-10"

CARRIER_SLUGS = {
    "usps": "usps",
    "ups": "ups",
    "fedex": "fedex",
    "dhl": "dhl",
    "dhl_express": "dhl",
    "dhlexpress": "dhl",
    "canada_post": "canada-post",
    "canadapost": "canada-post",
    "ontrac": "ontrac",
}
"""Our carrier names (lower case) → AfterShip courier slugs."""


class AfterShipClient:
    def __init__(self, api_key: str, *, base_url: str = BASE_URL, **options: Any) -> None:
        self.api = JsonApi(service="AfterShip", base_url=base_url, headers={"as-api-key": api_key}, **options)

    def close(self) -> None:
        self.api.close()

    def tracking(self, carrier: str, tracking_number: str) -> dict[str, Any]:
        """The Tracking object for this number, created in AfterShip first when it is new there."""
        slug = CARRIER_SLUGS.get(carrier.strip().lower().replace(" ", "_"), carrier.strip().lower())
        found = self.api.request(
            "GET", "/trackings", params={"tracking_numbers": tracking_number, "slug": slug}
        )
        trackings = _data(found).get("trackings") or []
        if trackings:
            return dict(trackings[0])
        created = self.api.request(
            "POST", "/trackings", json={"tracking_number": tracking_number, "slug": slug}
        )
        data = _data(created)
        return dict(data.get("tracking", data))


def _data(body: dict[str, Any]) -> dict[str, Any]:
    data = body.get("data")
    if not isinstance(data, dict):
        raise CarrierApiError("AfterShip: the answer has no data object")
    return data
