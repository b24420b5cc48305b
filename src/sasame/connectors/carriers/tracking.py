"""Tracking updates from EasyPost, Shippo and AfterShip in one shape: our status vocabulary,
events oldest first, the estimated and actual delivery instants, and the raw object for lineage.

A `TrackingSource` pairs a client with its mapping, so the sync use case does not care which
service the seller configured.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, Protocol

from sasame.connectors.carriers.aftership import AfterShipClient
from sasame.connectors.carriers.easypost import EasyPostClient
from sasame.connectors.carriers.shippo import ShippoClient
from sasame.connectors.carriers.status import aftership_status, easypost_status, shippo_status
from sasame.connectors.records import TrackingEventRecord

DESCRIPTION_LENGTH = 300  # tracking_event.description
CITY_LENGTH = 100  # tracking_event.city
SERVICE_LENGTH = 60  # shipment.service

ENVIRONMENT_KEYS = {
    "easypost": "SASAME_EASYPOST_KEY",
    "shippo": "SASAME_SHIPPO_KEY",
    "aftership": "SASAME_AFTERSHIP_KEY",
}
"""Where each service's API key comes from; the first one set is used."""


@dataclass(frozen=True)
class TrackingUpdate:
    """What a tracking service currently says about one parcel."""

    origin: str
    """The stream, e.g. 'easypost.tracker': the SourceRef origin of the shipment's raw record."""
    natural_key: str
    status: str
    events: tuple[TrackingEventRecord, ...]
    payload: dict[str, Any]
    estimated_delivery_at: datetime | None = None
    delivered_at: datetime | None = None
    service: str | None = None
    warnings: tuple[str, ...] = field(default=())


class TrackingSource(Protocol):
    name: str

    def track(self, carrier: str, tracking_number: str) -> TrackingUpdate: ...

    def close(self) -> None: ...


# -- shared helpers ---------------------------------------------------------------------------------


def parse_time(value: Any) -> datetime | None:
    """An ISO instant ('Z', an offset, or none: then UTC) or a date (midnight UTC); None if empty."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(text[:10]), time(0))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _text(value: Any, length: int) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text[:length] if text else None


def _events(
    raw: Iterable[tuple[datetime | None, str, str | None, str | None]],
) -> tuple[TrackingEventRecord, ...]:
    """Events oldest first, without undated ones or repeats of the same instant and status."""
    seen: set[tuple[datetime, str]] = set()
    events = []
    for occurred_at, status, description, city in raw:
        if occurred_at is None or (occurred_at, status) in seen:
            continue
        seen.add((occurred_at, status))
        events.append(
            TrackingEventRecord(
                occurred_at=occurred_at,
                status=status,
                description=_text(description, DESCRIPTION_LENGTH) or status.replace("_", " "),
                city=_text(city, CITY_LENGTH),
            )
        )
    return tuple(sorted(events, key=lambda event: event.occurred_at))


def _delivered_at(status: str, events: tuple[TrackingEventRecord, ...]) -> datetime | None:
    if status != "delivered":
        return None
    delivered = [event.occurred_at for event in events if event.status == "delivered"]
    return min(delivered) if delivered else (events[-1].occurred_at if events else None)


class _Unknown:
    """Collects statuses a service sent that the mapping does not know (kept as 'unknown')."""

    def __init__(self, service: str) -> None:
        self.service, self.values = service, list[str]()

    def __call__(self, mapped: str | None, raw: Any) -> str:
        if mapped is None:
            if str(raw) not in self.values:
                self.values.append(str(raw))
            return "unknown"
        return mapped

    def warnings(self) -> tuple[str, ...]:
        return tuple(f"{self.service}: unknown status {value!r} kept as 'unknown'" for value in self.values)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


# -- EasyPost -------------------------------------------------------------------------------------


def from_easypost(tracker: Mapping[str, Any]) -> TrackingUpdate:
    """A Tracker object (or a tracker.updated Event, whose result is the Tracker)."""
    if tracker.get("object") == "Event":
        tracker = _dict(tracker.get("result"))
    unknown = _Unknown("EasyPost")
    events = _events(
        (
            parse_time(detail.get("datetime")),
            unknown(easypost_status(detail.get("status"), detail.get("status_detail")), detail.get("status")),
            detail.get("message") or detail.get("description"),
            _dict(detail.get("tracking_location")).get("city"),
        )
        for detail in _list(tracker.get("tracking_details"))
    )
    status = unknown(
        easypost_status(tracker.get("status"), tracker.get("status_detail")), tracker.get("status")
    )
    carrier_detail = _dict(tracker.get("carrier_detail"))
    return TrackingUpdate(
        origin="easypost.tracker",
        natural_key=str(tracker.get("id") or f"{tracker.get('carrier')}:{tracker.get('tracking_code')}"),
        status=status,
        events=events,
        payload=dict(tracker),
        estimated_delivery_at=parse_time(tracker.get("est_delivery_date")),
        delivered_at=_delivered_at(status, events),
        service=_text(carrier_detail.get("service"), SERVICE_LENGTH),
        warnings=unknown.warnings(),
    )


# -- Shippo ---------------------------------------------------------------------------------------


def _shippo_event(
    entry: Mapping[str, Any], unknown: _Unknown
) -> tuple[datetime | None, str, str | None, str | None]:
    substatus = _dict(entry.get("substatus"))
    return (
        parse_time(entry.get("status_date")),
        unknown(shippo_status(entry.get("status"), substatus.get("code")), entry.get("status")),
        entry.get("status_details") or substatus.get("text"),
        _dict(entry.get("location")).get("city"),
    )


def from_shippo(track: Mapping[str, Any]) -> TrackingUpdate:
    """A Track object (or a track_updated webhook body, whose data is the Track)."""
    if track.get("event") == "track_updated":
        track = _dict(track.get("data"))
    unknown = _Unknown("Shippo")
    current = _dict(track.get("tracking_status"))
    history = _list(track.get("tracking_history"))
    events = _events(_shippo_event(entry, unknown) for entry in [*history, current] if entry)
    status = _shippo_event(current, unknown)[1] if current else "unknown"
    return TrackingUpdate(
        origin="shippo.track",
        natural_key=f"{track.get('carrier')}:{track.get('tracking_number')}",
        status=status,
        events=events,
        payload=dict(track),
        estimated_delivery_at=parse_time(track.get("eta")),
        delivered_at=_delivered_at(status, events),
        service=_text(_dict(track.get("servicelevel")).get("name"), SERVICE_LENGTH),
        warnings=unknown.warnings(),
    )


# -- AfterShip ------------------------------------------------------------------------------------


def _aftership_estimate(tracking: Mapping[str, Any]) -> datetime | None:
    """The newest estimate the versioned API gives, else the v4 `expected_delivery`."""
    for candidate in (
        _dict(tracking.get("latest_estimated_delivery")).get("datetime"),
        _dict(tracking.get("courier_estimated_delivery_date")).get("estimated_delivery_date"),
        _dict(tracking.get("aftership_estimated_delivery_date")).get("estimated_delivery_date"),
        tracking.get("expected_delivery"),
    ):
        parsed = parse_time(candidate)
        if parsed is not None:
            return parsed
    return None


def from_aftership(tracking: Mapping[str, Any]) -> TrackingUpdate:
    """A Tracking object (or a webhook body, whose msg is the Tracking)."""
    if "msg" in tracking and "ts" in tracking:
        tracking = _dict(tracking.get("msg"))
    unknown = _Unknown("AfterShip")
    events = _events(
        (
            parse_time(checkpoint.get("checkpoint_time")),
            unknown(
                aftership_status(
                    checkpoint.get("tag"), checkpoint.get("subtag"), checkpoint.get("subtag_message")
                ),
                checkpoint.get("tag"),
            ),
            checkpoint.get("message"),
            checkpoint.get("city") or checkpoint.get("location"),
        )
        for checkpoint in _list(tracking.get("checkpoints"))
    )
    status = unknown(
        aftership_status(tracking.get("tag"), tracking.get("subtag"), tracking.get("subtag_message")),
        tracking.get("tag"),
    )
    return TrackingUpdate(
        origin="aftership.tracking",
        natural_key=str(tracking.get("id") or f"{tracking.get('slug')}:{tracking.get('tracking_number')}"),
        status=status,
        events=events,
        payload=dict(tracking),
        estimated_delivery_at=_aftership_estimate(tracking),
        delivered_at=_delivered_at(status, events),
        service=_text(tracking.get("shipment_type"), SERVICE_LENGTH),
        warnings=unknown.warnings(),
    )


# -- sources --------------------------------------------------------------------------------------


@dataclass
class _Source:
    name: str
    fetch: Callable[[str, str], dict[str, Any]]
    convert: Callable[[Mapping[str, Any]], TrackingUpdate]
    closer: Callable[[], None]

    def track(self, carrier: str, tracking_number: str) -> TrackingUpdate:
        return self.convert(self.fetch(carrier, tracking_number))

    def close(self) -> None:
        self.closer()


def easypost_source(api_key: str, **options: Any) -> TrackingSource:
    client = EasyPostClient(api_key, **options)
    return _Source("easypost", client.tracker, from_easypost, client.close)


def shippo_source(api_token: str, **options: Any) -> TrackingSource:
    client = ShippoClient(api_token, **options)
    return _Source("shippo", client.track, from_shippo, client.close)


def aftership_source(api_key: str, **options: Any) -> TrackingSource:
    client = AfterShipClient(api_key, **options)
    return _Source("aftership", client.tracking, from_aftership, client.close)


SOURCES: dict[str, Callable[..., TrackingSource]] = {
    "easypost": easypost_source,
    "shippo": shippo_source,
    "aftership": aftership_source,
}


def source_from_environment(
    environ: Mapping[str, str] | None = None, **options: Any
) -> TrackingSource | None:
    """The first tracking service whose key is set (SASAME_EASYPOST_KEY, _SHIPPO_KEY, _AFTERSHIP_KEY)."""
    environ = os.environ if environ is None else environ
    for name, variable in ENVIRONMENT_KEYS.items():
        key = environ.get(variable, "").strip()
        if key:
            return SOURCES[name](key, **options)
    return None
