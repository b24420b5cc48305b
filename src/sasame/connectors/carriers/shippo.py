"""Shippo tracking API client: GET /tracks/{carrier}/{tracking_number} (formats.md §8.2).

Shippo authenticates with the header `Authorization: ShippoToken <token>`. Imports nothing from
the app.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sasame.connectors.carriers.http import JsonApi

BASE_URL = "https://api.goshippo.com"

CARRIER_TOKENS = {
    "usps": "usps",
    "ups": "ups",
    "fedex": "fedex",
    "dhl": "dhl_express",
    "dhl_express": "dhl_express",
    "dhlexpress": "dhl_express",
    "canada_post": "canada_post",
    "canadapost": "canada_post",
    "ontrac": "ontrac",
}
"""Our carrier names (lower case) → Shippo's carrier tokens."""


class ShippoClient:
    def __init__(self, api_token: str, *, base_url: str = BASE_URL, **options: Any) -> None:
        self.api = JsonApi(
            service="Shippo",
            base_url=base_url,
            headers={"Authorization": f"ShippoToken {api_token}"},
            **options,
        )

    def close(self) -> None:
        self.api.close()

    def track(self, carrier: str, tracking_number: str) -> dict[str, Any]:
        """The Track object: current tracking_status, tracking_history and eta."""
        token = CARRIER_TOKENS.get(carrier.strip().lower().replace(" ", "_"), carrier.strip().lower())
        return self.api.request("GET", f"/tracks/{quote(token, safe='')}/{quote(tracking_number, safe='')}")
