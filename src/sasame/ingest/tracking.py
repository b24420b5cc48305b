"""Carrier tracking sync: refresh every shipment not yet delivered from the configured tracking
service (EasyPost, Shippo or AfterShip) and upsert its status, events and estimated delivery.

Runs in the caller's transaction and never commits (the CLI command or the scheduler job does).
One parcel the service does not know, or a passing failure, is reported and the others go on;
refused credentials stop the sync, since every further call would be refused too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.business.service import store_settings
from sasame.connectors.carriers.http import CarrierApiError, CarrierAuthError, TrackingNotFound
from sasame.connectors.carriers.tracking import ENVIRONMENT_KEYS, TrackingSource, TrackingUpdate
from sasame.connectors.records import ShipmentRecord, SourceRef
from sasame.core.clock import zone
from sasame.core.errors import ConfigError
from sasame.ingest.upsert import Upserter


@dataclass
class TrackingSyncSummary:
    service: str
    checked: int = 0
    records: dict[str, dict[str, int]] = field(default_factory=dict)
    not_found: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "checked": self.checked,
            "records": self.records,
            "not_found": self.not_found,
            "failed": self.failed,
            "warnings": self.warnings,
        }


def shipments_to_refresh(session: Session) -> list[tuple[m.Shipment, str, str]]:
    """Shipments with a tracking number that are not delivered yet, with their order's channel and number."""
    rows = session.execute(
        select(m.Shipment, m.Channel.code, m.Order.number)
        .join(m.Order, m.Order.id == m.Shipment.order_id)
        .join(m.Channel, m.Channel.id == m.Order.channel_id)
        .where(
            m.Shipment.tracking_number.is_not(None),
            m.Shipment.delivered_at.is_(None),
            m.Shipment.status != "delivered",
        )
        .order_by(m.Shipment.id)
    ).all()
    return [(shipment, channel, number) for shipment, channel, number in rows]


def sync_tracking(session: Session, source: TrackingSource, *, now: datetime) -> TrackingSyncSummary:
    """Ask the tracking service about every undelivered shipment and upsert what it says."""
    summary = TrackingSyncSummary(service=source.name)
    records: list[ShipmentRecord] = []
    for shipment, channel, number in shipments_to_refresh(session):
        tracking_number = shipment.tracking_number or ""
        summary.checked += 1
        try:
            update = source.track(shipment.carrier, tracking_number)
        except CarrierAuthError as error:
            raise ConfigError(f"{ENVIRONMENT_KEYS[source.name]}: {error}") from None
        except TrackingNotFound:
            summary.not_found.append(f"{shipment.carrier} {tracking_number}")
            continue
        except CarrierApiError as error:
            summary.failed.append(f"{shipment.carrier} {tracking_number}: {error}")
            continue
        summary.warnings.extend(f"{tracking_number}: {warning}" for warning in update.warnings)
        records.append(shipment_record(shipment, channel, number, update))
    settings = store_settings(session)
    upserter = Upserter(session, now=now, timezone=zone(settings.timezone), source_file=None)
    upserter.shipments(records)
    summary.records = upserter.outcome.as_json()
    return summary


def shipment_record(
    shipment: m.Shipment, channel: str, number: str, update: TrackingUpdate
) -> ShipmentRecord:
    """The shipment as the service now describes it; what the service does not say is kept as stored."""
    return ShipmentRecord(
        order_channel=channel,
        order_number=number,
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number or "",
        status=update.status,
        shipped_at=shipment.shipped_at,
        source=SourceRef(update.origin, update.natural_key, None, update.payload),
        service=update.service or shipment.service,
        estimated_delivery_at=update.estimated_delivery_at or shipment.estimated_delivery_at,
        delivered_at=update.delivered_at,
        label_cost=shipment.label_cost,
        currency=shipment.currency,
        events=update.events,
    )
