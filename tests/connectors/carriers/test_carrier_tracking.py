"""Each service's documented objects (and webhook bodies) become one TrackingUpdate, exactly."""

from __future__ import annotations

from datetime import UTC, datetime

from carrier_test_server import payload

from sasame.connectors.carriers.tracking import from_aftership, from_easypost, from_shippo, parse_time
from sasame.connectors.records import TrackingEventRecord


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_easypost_tracker() -> None:
    update = from_easypost(payload("easypost_tracker.json"))
    assert (update.origin, update.natural_key) == ("easypost.tracker", "trk_5c2b9f7e1a4d4e0b8f3c6d2a1b0e9f87")
    assert update.status == "out_for_delivery"
    assert update.service == "First-Class Package Service"
    assert update.estimated_delivery_at == at("2026-03-04T20:00:00+00:00")
    assert update.delivered_at is None
    assert update.warnings == ()
    # The repeated "Accepted" detail is kept once; local times with an offset become UTC.
    assert update.events == (
        TrackingEventRecord(
            at("2026-03-02T15:10:00+00:00"),
            "label_created",
            "Shipping Label Created, USPS Awaiting Item",
            "PORTLAND",
        ),
        TrackingEventRecord(
            at("2026-03-02T23:41:00+00:00"), "in_transit", "Accepted at USPS Origin Facility", "PORTLAND"
        ),
        TrackingEventRecord(
            at("2026-03-03T06:02:00+00:00"),
            "in_transit",
            "Departed USPS Regional Facility",
            "SEATTLE WA DISTRIBUTION CENTER",
        ),
        TrackingEventRecord(
            at("2026-03-04T15:28:00+00:00"), "out_for_delivery", "Out for Delivery", "SEATTLE"
        ),
    )
    assert update.payload["weight"] == 17.6  # the raw object is kept as received


def test_easypost_webhook_event_carries_the_delivered_tracker() -> None:
    update = from_easypost(payload("easypost_event_delivered.json"))
    assert update.natural_key == "trk_5c2b9f7e1a4d4e0b8f3c6d2a1b0e9f87"
    assert update.status == "delivered"
    assert update.delivered_at == at("2026-03-04T18:58:00+00:00")
    assert [event.status for event in update.events] == [
        "label_created",
        "in_transit",
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]


def test_shippo_track_with_a_failed_delivery_attempt() -> None:
    update = from_shippo(payload("shippo_track.json"))
    assert (update.origin, update.natural_key) == ("shippo.track", "ups:1Z999AA10123456784")
    assert update.status == "exception"
    assert update.service == "Ground"
    assert update.estimated_delivery_at == at("2026-03-06T00:00:00+00:00")
    assert [(event.occurred_at, event.status, event.city) for event in update.events] == [
        (at("2026-03-02T17:55:00+00:00"), "label_created", "Portland"),
        (at("2026-03-03T02:09:00+00:00"), "in_transit", "Portland"),
        (at("2026-03-05T13:00:00+00:00"), "out_for_delivery", "Denver"),
        (at("2026-03-05T16:18:00+00:00"), "exception", "Denver"),
    ]


def test_shippo_webhook_body_delivered() -> None:
    update = from_shippo(payload("shippo_webhook.json"))
    assert update.status == "delivered"
    assert update.delivered_at == at("2026-03-06T18:44:00+00:00")
    assert len(update.events) == 2


def test_aftership_tracking_returned_to_sender() -> None:
    tracking = payload("aftership_trackings.json")["data"]["trackings"][0]
    update = from_aftership(tracking)
    assert (update.origin, update.natural_key) == ("aftership.tracking", "5b74f4958776db0e00b6f5ed")
    assert update.status == "returned_to_sender"
    assert update.service == "USPS Ground Advantage"
    assert update.estimated_delivery_at == at("2026-03-05T22:00:00+00:00")
    assert [(event.status, event.description) for event in update.events] == [
        ("label_created", "Shipping Label Created, USPS Awaiting Item"),
        ("in_transit", "Accepted at USPS Origin Facility"),
        ("exception", "Delivery Attempted - No Access to Delivery Location"),
        ("returned_to_sender", "Return to Sender Processed"),
    ]
    assert update.events[0].occurred_at == at("2026-03-02T18:40:00+00:00")


def test_aftership_webhook_with_v4_expected_delivery() -> None:
    update = from_aftership(payload("aftership_webhook.json"))
    assert update.status == "out_for_delivery"
    assert update.estimated_delivery_at == at("2026-03-05T00:00:00+00:00")  # a date: midnight UTC
    assert update.events[0].city == "BOSTON"


def test_unknown_statuses_are_kept_as_unknown_with_a_warning() -> None:
    tracker = payload("easypost_tracker.json")
    tracker["status"] = "teleported"
    tracker["tracking_details"][0]["status"] = "teleported"
    update = from_easypost(tracker)
    assert update.status == "unknown"
    assert update.events[0].status == "unknown"
    assert update.warnings == ("EasyPost: unknown status 'teleported' kept as 'unknown'",)


def test_odd_values_do_not_break_the_mapping() -> None:
    update = from_shippo({"carrier": "usps", "tracking_number": "X", "tracking_status": None, "eta": "soon"})
    assert (update.status, update.events, update.estimated_delivery_at) == ("unknown", (), None)
    assert parse_time("2026-03-05T12:00:00") == at("2026-03-05T12:00:00+00:00")
    assert parse_time(12) is None
