"""Shipments of orders: when they leave, with which carrier and service, and the carrier's events."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sasame import models as m
from sasame.demo.context import DemoContext
from sasame.demo.sales import AMAZON, WHOLESALE
from sasame.demo.timeline import Timeline
from sasame.ingest.bulk import next_id, units_from_cents, write_rows

# carrier, service, share of own-warehouse parcels, typical transit days (quoted), min, max transit
SERVICES = [
    ("usps", "Ground Advantage", 0.55, 4, 2, 5),
    ("usps", "Priority Mail", 0.15, 2, 1, 3),
    ("ups", "Ground", 0.22, 3, 1, 5),
    ("fedex", "Home Delivery", 0.08, 4, 2, 5),
    ("amazon_logistics", "Standard", 0.0, 2, 1, 2),
    ("ups", "Ground Freight", 0.0, 4, 2, 6),
]
AMAZON_LOGISTICS, WHOLESALE_FREIGHT = 4, 5
TRACKING_WINDOW_DAYS = 90
"""Tracking events are kept for shipments of the last 90 days only: carriers' APIs and the support
engine only ever need recent ones, and four events per parcel would otherwise outweigh the orders."""
CITIES = ("Memphis, TN", "Louisville, KY", "Indianapolis, IN", "Dallas, TX", "Ontario, CA", "Harrisburg, PA")


@dataclass
class ShipmentPlan:
    """Per order: when it ships and arrives (if ever), how, and at what label cost (cents)."""

    shipped_at: np.ndarray
    estimated_at: np.ndarray
    delivered_at: np.ndarray
    """NaT for parcels lost in transit."""
    service: np.ndarray
    label_cents: np.ndarray


def plan_shipments(
    ctx: DemoContext, timeline: Timeline, channel: np.ndarray, day: np.ndarray, placed_at: np.ndarray
) -> ShipmentPlan:
    """Plan the shipment of every demanded order (the ones that happen are picked later)."""
    rng = ctx.rng("fulfilment.plan")
    n = len(channel)
    local_fraction = (placed_at - timeline.boundaries[day]).astype(np.int64) / (
        (timeline.boundaries[day + 1] - timeline.boundaries[day]).astype(np.int64)
    )
    calendar = np.datetime64(timeline.start, "D") + day
    # The warehouse ships weekdays; orders placed after 1 pm local go out the next business day.
    late = (local_fraction > 13 / 24) | ~np.is_busday(calendar)
    extra = (rng.random(n) < 0.08).astype(np.int64) * rng.integers(1, 3, size=n)
    ship_calendar = np.busday_offset(calendar, late.astype(np.int64) + extra, roll="forward")
    wholesale = channel == WHOLESALE
    ship_calendar[wholesale] = np.busday_offset(
        calendar[wholesale], rng.integers(2, 6, size=int(wholesale.sum())), roll="forward"
    )
    ship_day = (ship_calendar - np.datetime64(timeline.start, "D")).astype(np.int64)
    shipped_at = timeline.instants(ship_day, (15.5 + 2.5 * rng.random(n)) / 24)
    amazon = channel == AMAZON
    # FBA ships around the clock within a day or so.
    shipped_at[amazon] = placed_at[amazon] + (rng.uniform(3, 30, int(amazon.sum())) * 3.6e9).astype(
        "timedelta64[us]"
    )

    shares = np.array([s[2] for s in SERVICES])
    service = rng.choice(len(SERVICES), size=n, p=shares / shares.sum())
    service[amazon] = np.where(rng.random(int(amazon.sum())) < 0.75, AMAZON_LOGISTICS, 2)
    service[wholesale] = WHOLESALE_FREIGHT
    quoted = np.array([s[3] for s in SERVICES])[service]
    low = np.array([s[4] for s in SERVICES])[service]
    high = np.array([s[5] for s in SERVICES])[service]
    transit = low + (rng.random(n) * (high - low + 1)).astype(np.int64)
    delayed = rng.random(n) < 0.06
    transit[delayed] += rng.integers(2, 8, size=int(delayed.sum()))
    ship_local_day = timeline.day_of(shipped_at)
    estimated_at = timeline.instants(ship_local_day + quoted, np.full(n, 20 / 24))
    delivered_at = timeline.instants(ship_local_day + transit, (10 + 10 * rng.random(n)) / 24)
    lost = rng.random(n) < 0.007
    delivered_at[lost] = np.datetime64("NaT")
    label = np.select(
        [service == 0, service == 1, service == 2, service == 3, service == AMAZON_LOGISTICS],
        [
            rng.integers(420, 880, n),
            rng.integers(880, 1450, n),
            rng.integers(820, 1350, n),
            rng.integers(900, 1400, n),
            np.zeros(n, dtype=np.int64),
        ],
        default=rng.integers(2400, 6800, n),
    )
    return ShipmentPlan(shipped_at, estimated_at, delivered_at, service, label.astype(np.int64))


def tracking_numbers(rng: np.random.Generator, service: np.ndarray) -> list[str]:
    """Return carrier-shaped tracking numbers (USPS 22 digits, UPS 1Z…, FedEx 12 digits, Amazon TBA…)."""
    a = rng.integers(0, 10**9, size=len(service)).tolist()
    b = rng.integers(0, 10**9, size=len(service)).tolist()
    alphabet = "0123456789ABCDEFGHJKLMNPRSTVWXYZ"
    numbers = []
    for i, kind in enumerate(service.tolist()):
        if kind in (0, 1):
            numbers.append(f"9400{a[i]:09d}{b[i]:09d}")
        elif kind in (2, WHOLESALE_FREIGHT):
            code = "".join(alphabet[(a[i] >> (5 * k)) & 31] for k in range(6))
            numbers.append(f"1Z{code}03{b[i]:09d}"[:18])
        elif kind == 3:
            numbers.append(f"{a[i] % 1000:03d}{b[i]:09d}")
        else:
            numbers.append(f"TBA{a[i]:09d}{b[i] % 1000:03d}")
    return numbers


def write_shipments(
    ctx: DemoContext,
    timeline: Timeline,
    plan: ShipmentPlan,
    order_ids: np.ndarray,
    picked: np.ndarray,
    location_ids: np.ndarray,
) -> dict[str, int]:
    """Insert a shipment for every picked order that has left by the end, and recent tracking events."""
    rng = ctx.rng("fulfilment.write")
    cutoff = timeline.cutoff()
    shipped = plan.shipped_at[picked] < cutoff
    rows = picked[shipped]
    ids = next_id(ctx.connection, m.Shipment) + np.arange(len(rows))
    shipped_at = plan.shipped_at[rows]
    delivered = plan.delivered_at[rows]
    arrived = ~np.isnat(delivered) & (delivered < cutoff)
    lost = np.isnat(delivered) & (shipped_at < cutoff - np.timedelta64(10, "D"))
    status = np.where(arrived, "delivered", np.where(lost, "exception", "in_transit"))
    service = plan.service[rows]
    write_rows(
        ctx.connection,
        m.Shipment,
        {
            "id": ids,
            "order_id": order_ids[shipped],
            "location_id": location_ids[shipped],
            "carrier": np.array([s[0] for s in SERVICES], dtype=object)[service],
            "service": np.array([s[1] for s in SERVICES], dtype=object)[service],
            "tracking_number": tracking_numbers(rng, service),
            "status": status,
            "shipped_at": shipped_at,
            "estimated_delivery_at": plan.estimated_at[rows],
            "delivered_at": np.where(arrived, delivered, np.datetime64("NaT")),
            "label_cost": units_from_cents(plan.label_cents[rows]),
            "currency": np.full(len(rows), ctx.currency, dtype=object),
        },
    )
    recent = np.flatnonzero(shipped_at >= cutoff - np.timedelta64(TRACKING_WINDOW_DAYS, "D"))
    events = _tracking_events(rng, ids[recent], shipped_at[recent], delivered[recent], status[recent], cutoff)
    write_rows(
        ctx.connection,
        m.TrackingEvent,
        {"id": next_id(ctx.connection, m.TrackingEvent) + np.arange(len(events["shipment_id"])), **events},
    )
    return {"shipments": len(rows), "tracking_events": len(events["shipment_id"])}


def _tracking_events(
    rng: np.random.Generator,
    shipment: np.ndarray,
    shipped_at: np.ndarray,
    delivered: np.ndarray,
    status: np.ndarray,
    cutoff: np.datetime64,
) -> dict[str, np.ndarray]:
    hour = np.timedelta64(3_600_000_000, "us")
    n = len(shipment)
    label = shipped_at - (rng.uniform(1, 5, n) * 3.6e9).astype("timedelta64[us]")
    moving = shipped_at + (rng.uniform(2, 8, n) * 3.6e9).astype("timedelta64[us]")
    has_delivery = ~np.isnat(delivered)
    out_for = np.where(
        has_delivery,
        delivered - (rng.uniform(2, 7, n) * 3.6e9).astype("timedelta64[us]"),
        np.datetime64("NaT"),
    )
    exception = np.where(status == "exception", moving + 72 * hour, np.datetime64("NaT"))
    kinds = [
        ("label_created", label, "Shipping label created, awaiting item"),
        ("in_transit", moving, "Accepted at origin facility"),
        ("out_for_delivery", out_for, "Out for delivery"),
        ("delivered", np.where(has_delivery, delivered, np.datetime64("NaT")), "Delivered, front door/porch"),
        ("exception", exception, "Delivery exception: package delayed in transit"),
    ]
    shipment_col, occurred, status_col, description, city = [], [], [], [], []
    place = np.array(CITIES, dtype=object)[rng.integers(0, len(CITIES), n)]
    for name, when, text in kinds:
        happened = ~np.isnat(when) & (when < cutoff)
        shipment_col.append(shipment[happened])
        occurred.append(when[happened])
        status_col.append(np.full(int(happened.sum()), name, dtype=object))
        description.append(np.full(int(happened.sum()), text, dtype=object))
        city.append(place[happened])
    order = np.lexsort((np.concatenate(occurred), np.concatenate(shipment_col)))
    return {
        "shipment_id": np.concatenate(shipment_col)[order],
        "occurred_at": np.concatenate(occurred)[order],
        "status": np.concatenate(status_col)[order],
        "description": np.concatenate(description)[order],
        "city": np.concatenate(city)[order],
    }
