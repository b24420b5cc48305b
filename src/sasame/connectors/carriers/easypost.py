"""EasyPost tracking API client: create-or-fetch a Tracker for a tracking code.

EasyPost authenticates with HTTP basic auth, the API key as the user name and no password.
POST /v2/trackers returns the existing tracker when one was created for the same code and carrier
recently, so it is the documented way to "look up" a tracking code; the Tracker object is in
formats.md §8.1. Imports nothing from the app.
"""

from __future__ import annotations

from typing import Any

from sasame.connectors.carriers.http import JsonApi

BASE_URL = "https://api.easypost.com/v2"

CARRIER_NAMES = {
    "usps": "USPS",
    "ups": "UPS",
    "fedex": "FedEx",
    "dhl": "DHLExpress",
    "dhl_express": "DHLExpress",
    "dhlexpress": "DHLExpress",
    "canada_post": "CanadaPost",
    "canadapost": "CanadaPost",
    "ontrac": "OnTrac",
}
"""Our carrier names (lower case) → EasyPost's carrier names."""


class EasyPostClient:
    def __init__(self, api_key: str, *, base_url: str = BASE_URL, **options: Any) -> None:
        self.api = JsonApi(service="EasyPost", base_url=base_url, auth=(api_key, ""), **options)

    def close(self) -> None:
        self.api.close()

    def tracker(self, carrier: str, tracking_code: str) -> dict[str, Any]:
        """The Tracker for this code: created on first use, the known one afterwards."""
        name = CARRIER_NAMES.get(carrier.strip().lower().replace(" ", "_"), carrier)
        return self.api.request(
            "POST", "/trackers", json={"tracker": {"tracking_code": tracking_code, "carrier": name}}
        )

    def retrieve(self, tracker_id: str) -> dict[str, Any]:
        return self.api.request("GET", f"/trackers/{tracker_id}")
