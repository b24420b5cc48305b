"""Every status each tracking service documents maps onto our one vocabulary."""

from __future__ import annotations

import pytest

from sasame.connectors.carriers.status import (
    AFTERSHIP_TAGS,
    EASYPOST_STATUSES,
    SHIPPO_STATUSES,
    SHIPPO_SUBSTATUSES,
    aftership_status,
    easypost_status,
    shippo_status,
)
from sasame.models.fulfilment import TRACKING_STATUSES

# The enums as the services document them (formats.md §8).
EASYPOST_DOCUMENTED = [
    "unknown",
    "pre_transit",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "available_for_pickup",
    "return_to_sender",
    "failure",
    "cancelled",
    "error",
]
SHIPPO_DOCUMENTED = ["PRE_TRANSIT", "TRANSIT", "DELIVERED", "RETURNED", "FAILURE", "UNKNOWN"]
AFTERSHIP_DOCUMENTED = [
    "Pending",
    "InfoReceived",
    "InTransit",
    "OutForDelivery",
    "AttemptFail",
    "Delivered",
    "AvailableForPickup",
    "Exception",
    "Expired",
]


def test_every_documented_status_is_mapped_into_the_vocabulary() -> None:
    assert sorted(EASYPOST_STATUSES) == sorted(EASYPOST_DOCUMENTED)
    assert sorted(SHIPPO_STATUSES) == sorted(SHIPPO_DOCUMENTED)
    assert sorted(AFTERSHIP_TAGS) == sorted(AFTERSHIP_DOCUMENTED)
    for table in (EASYPOST_STATUSES, SHIPPO_STATUSES, SHIPPO_SUBSTATUSES, AFTERSHIP_TAGS):
        assert set(table.values()) <= set(TRACKING_STATUSES)


@pytest.mark.parametrize(
    ("status", "detail", "ours"),
    [
        ("pre_transit", "label_created", "label_created"),
        ("in_transit", "departed_facility", "in_transit"),
        ("in_transit", "delivery_exception", "exception"),
        ("in_transit", "lost", "exception"),
        ("out_for_delivery", None, "out_for_delivery"),
        ("available_for_pickup", "arrived_at_pickup_location", "available_for_pickup"),
        ("delivered", "arrived_at_destination", "delivered"),
        ("return_to_sender", None, "returned_to_sender"),
        ("cancelled", None, "exception"),
        ("error", None, "exception"),
        ("unknown", None, "unknown"),
        (None, None, "unknown"),
        ("teleported", None, None),
    ],
)
def test_easypost(status: str | None, detail: str | None, ours: str | None) -> None:
    assert easypost_status(status, detail) == ours


@pytest.mark.parametrize(
    ("status", "substatus", "ours"),
    [
        ("PRE_TRANSIT", "information_received", "label_created"),
        ("TRANSIT", "package_departed", "in_transit"),
        ("TRANSIT", "out_for_delivery", "out_for_delivery"),
        ("TRANSIT", "pickup_available", "available_for_pickup"),
        ("TRANSIT", "delivery_attempted", "exception"),
        ("DELIVERED", "delivered", "delivered"),
        ("DELIVERED", "pickup_available", "available_for_pickup"),
        ("DELIVERED", "package_damaged", "delivered"),
        ("FAILURE", "return_to_sender", "returned_to_sender"),
        ("FAILURE", None, "exception"),
        ("RETURNED", None, "returned_to_sender"),
        ("UNKNOWN", None, "unknown"),
        ("transit", None, "in_transit"),
        ("LOST_IN_SPACE", None, None),
    ],
)
def test_shippo(status: str, substatus: str | None, ours: str | None) -> None:
    assert shippo_status(status, substatus) == ours


@pytest.mark.parametrize(
    ("tag", "subtag", "message", "ours"),
    [
        ("Pending", "Pending_001", None, "unknown"),
        ("Expired", "Expired_001", None, "unknown"),
        ("InfoReceived", "InfoReceived_001", None, "label_created"),
        ("InTransit", "InTransit_007", "Departure scan", "in_transit"),
        ("OutForDelivery", "OutForDelivery_001", None, "out_for_delivery"),
        ("AttemptFail", "AttemptFail_001", None, "exception"),
        ("Delivered", "Delivered_001", None, "delivered"),
        ("AvailableForPickup", "AvailableForPickup_001", None, "available_for_pickup"),
        ("Exception", "Exception_004", "Delayed (Customs clearance)", "exception"),
        ("Exception", "Exception_011", "Returned to sender", "returned_to_sender"),
        ("Exception", "Exception_099", "Returning to sender", "returned_to_sender"),
        ("Rerouted", None, None, None),
    ],
)
def test_aftership(tag: str, subtag: str | None, message: str | None, ours: str | None) -> None:
    assert aftership_status(tag, subtag, message) == ours
