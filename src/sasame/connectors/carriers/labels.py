"""Return labels through EasyPost or Shippo: create a shipment, take the cheapest rate, buy the label.

EasyPost: ``POST /v2/shipments`` with ``is_return: true`` (the addresses stay as the parcel will
travel, the API swaps them on the label) answers with ``rates``; ``POST /v2/shipments/{id}/buy``
with the chosen rate answers with ``tracking_code``, ``postage_label.label_url`` and
``selected_rate``. Shippo: ``POST /shipments`` (``async: false``, ``extra.is_return: true``)
answers with ``rates``; ``POST /transactions`` with the rate's ``object_id`` answers with
``tracking_number``, ``label_url`` and ``status`` (``SUCCESS`` or ``ERROR`` with ``messages``).
Money comes back as decimal strings and stays a Decimal. Imports nothing from the app; keys travel
only in headers (see http.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from sasame.connectors.carriers.easypost import BASE_URL as EASYPOST_URL
from sasame.connectors.carriers.http import CarrierApiError, JsonApi
from sasame.connectors.carriers.shippo import BASE_URL as SHIPPO_URL


@dataclass(frozen=True)
class Address:
    name: str
    street1: str
    city: str
    state: str
    zip: str
    country: str = "US"
    street2: str = ""
    email: str = ""


@dataclass(frozen=True)
class Parcel:
    weight_grams: int
    length_cm: float = 30.0
    width_cm: float = 20.0
    height_cm: float = 10.0


@dataclass(frozen=True)
class Label:
    service: str
    """'easypost' or 'shippo'."""
    carrier: str
    carrier_service: str
    tracking_number: str
    label_url: str
    cost: Decimal
    currency: str
    shipment_id: str


class LabelService(Protocol):
    def return_label(self, customer: Address, warehouse: Address, parcel: Parcel) -> Label: ...

    def close(self) -> None: ...


def _amount(value: Any, service: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise CarrierApiError(f"{service}: the rate {value!r} is not an amount") from None
    if not amount.is_finite():
        raise CarrierApiError(f"{service}: the rate {value!r} is not an amount")
    return amount


def _cheapest(rates: Any, price_key: str, service: str) -> dict[str, Any]:
    usable = [r for r in rates or [] if isinstance(r, dict) and r.get(price_key) not in (None, "")]
    if not usable:
        raise CarrierApiError(f"{service}: no rate offered for this return shipment")
    return min(usable, key=lambda r: _amount(r[price_key], service))


def _ounces(grams: int) -> float:
    return round(max(grams, 1) / 28.349523125, 1)


def _address_json(address: Address) -> dict[str, str]:
    """An address as EasyPost and Shippo both take it (they share these field names)."""
    return {
        "name": address.name,
        "street1": address.street1,
        "street2": address.street2,
        "city": address.city,
        "state": address.state,
        "zip": address.zip,
        "country": address.country,
        "email": address.email,
    }


class EasyPostLabels:
    def __init__(self, api_key: str, *, base_url: str = EASYPOST_URL, **options: Any) -> None:
        self.api = JsonApi(service="EasyPost", base_url=base_url, auth=(api_key, ""), **options)

    def close(self) -> None:
        self.api.close()

    def return_label(self, customer: Address, warehouse: Address, parcel: Parcel) -> Label:
        shipment = self.api.request(
            "POST",
            "/shipments",
            json={
                "shipment": {
                    "to_address": _address_json(warehouse),
                    "from_address": _address_json(customer),
                    "parcel": {
                        "weight": _ounces(parcel.weight_grams),
                        "length": round(parcel.length_cm / 2.54, 1),
                        "width": round(parcel.width_cm / 2.54, 1),
                        "height": round(parcel.height_cm / 2.54, 1),
                    },
                    "is_return": True,
                }
            },
        )
        rate = _cheapest(shipment.get("rates"), "rate", "EasyPost")
        bought = self.api.request(
            "POST", f"/shipments/{shipment['id']}/buy", json={"rate": {"id": rate["id"]}}
        )
        selected = bought.get("selected_rate") or rate
        label = bought.get("postage_label") or {}
        tracking = bought.get("tracking_code")
        if not tracking or not label.get("label_url"):
            raise CarrierApiError("EasyPost: the bought shipment has no tracking code or label")
        return Label(
            service="easypost",
            carrier=str(selected.get("carrier", "")),
            carrier_service=str(selected.get("service", "")),
            tracking_number=str(tracking),
            label_url=str(label["label_url"]),
            cost=_amount(selected.get("rate"), "EasyPost"),
            currency=str(selected.get("currency") or "USD"),
            shipment_id=str(shipment["id"]),
        )


class ShippoLabels:
    def __init__(self, api_token: str, *, base_url: str = SHIPPO_URL, **options: Any) -> None:
        self.api = JsonApi(
            service="Shippo",
            base_url=base_url,
            headers={"Authorization": f"ShippoToken {api_token}"},
            **options,
        )

    def close(self) -> None:
        self.api.close()

    def return_label(self, customer: Address, warehouse: Address, parcel: Parcel) -> Label:
        shipment = self.api.request(
            "POST",
            "/shipments",
            json={
                "address_from": _address_json(customer),
                "address_to": _address_json(warehouse),
                "parcels": [
                    {
                        "length": f"{parcel.length_cm:.1f}",
                        "width": f"{parcel.width_cm:.1f}",
                        "height": f"{parcel.height_cm:.1f}",
                        "distance_unit": "cm",
                        "weight": str(max(parcel.weight_grams, 1)),
                        "mass_unit": "g",
                    }
                ],
                "extra": {"is_return": True},
                "async": False,
            },
        )
        rate = _cheapest(shipment.get("rates"), "amount", "Shippo")
        transaction = self.api.request(
            "POST",
            "/transactions",
            json={"rate": rate["object_id"], "label_file_type": "PDF", "async": False},
        )
        if transaction.get("status") != "SUCCESS":
            messages = transaction.get("messages") or []
            text = "; ".join(str(m.get("text", m)) if isinstance(m, dict) else str(m) for m in messages)[:200]
            raise CarrierApiError(f"Shippo: the label was not bought ({text or transaction.get('status')})")
        return Label(
            service="shippo",
            carrier=str(rate.get("provider", "")),
            carrier_service=str((rate.get("servicelevel") or {}).get("name", "")),
            tracking_number=str(transaction.get("tracking_number", "")),
            label_url=str(transaction.get("label_url", "")),
            cost=_amount(rate.get("amount"), "Shippo"),
            currency=str(rate.get("currency") or "USD"),
            shipment_id=str(shipment.get("object_id", "")),
        )


ENVIRONMENT_KEYS = {"easypost": "SASAME_EASYPOST_KEY", "shippo": "SASAME_SHIPPO_KEY"}
BASE_URL_KEYS = {"easypost": "SASAME_EASYPOST_URL", "shippo": "SASAME_SHIPPO_URL"}


def label_service_from_environment(
    environ: Mapping[str, str] | None = None, **options: Any
) -> LabelService | None:
    """The first label service whose key is set (SASAME_EASYPOST_KEY, then SASAME_SHIPPO_KEY)."""
    environ = os.environ if environ is None else environ
    easypost = environ.get(ENVIRONMENT_KEYS["easypost"], "").strip()
    if easypost:
        return EasyPostLabels(
            easypost, base_url=environ.get(BASE_URL_KEYS["easypost"], "").strip() or EASYPOST_URL, **options
        )
    shippo = environ.get(ENVIRONMENT_KEYS["shippo"], "").strip()
    if shippo:
        return ShippoLabels(
            shippo, base_url=environ.get(BASE_URL_KEYS["shippo"], "").strip() or SHIPPO_URL, **options
        )
    return None
