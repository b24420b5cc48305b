"""Each tracking service's statuses mapped onto sasame's one vocabulary
(sasame.models.fulfilment.TRACKING_STATUSES); the table is documented in README.md here.

A status we have never seen maps to 'unknown' and the caller warns, so a new value from a
service is visible instead of silently mis-sorted.
"""

from __future__ import annotations

EASYPOST_STATUSES = {
    "unknown": "unknown",
    "pre_transit": "label_created",
    "in_transit": "in_transit",
    "out_for_delivery": "out_for_delivery",
    "delivered": "delivered",
    "available_for_pickup": "available_for_pickup",
    "return_to_sender": "returned_to_sender",
    "failure": "exception",
    "cancelled": "exception",
    "error": "exception",
}
EASYPOST_EXCEPTION_DETAILS = frozenset(
    {"delivery_exception", "damaged", "lost", "held", "missorted", "address_correction", "attempted_delivery"}
)
"""status_detail values that make an 'in_transit' tracker an exception the seller must look at."""

SHIPPO_STATUSES = {
    "UNKNOWN": "unknown",
    "PRE_TRANSIT": "label_created",
    "TRANSIT": "in_transit",
    "DELIVERED": "delivered",
    "RETURNED": "returned_to_sender",
    "FAILURE": "exception",
}
SHIPPO_SUBSTATUSES = {
    "out_for_delivery": "out_for_delivery",
    "pickup_available": "available_for_pickup",
    "delivery_attempted": "exception",
    "address_issue": "exception",
    "package_damaged": "exception",
    "package_lost": "exception",
    "package_undeliverable": "exception",
    "package_unclaimed": "exception",
    "package_disposed": "exception",
    "return_to_sender": "returned_to_sender",
}
"""substatus.code values that say more than the status (a TRANSIT that is out for delivery, ...)."""

AFTERSHIP_TAGS = {
    "Pending": "unknown",
    "Expired": "unknown",
    "InfoReceived": "label_created",
    "InTransit": "in_transit",
    "OutForDelivery": "out_for_delivery",
    "AttemptFail": "exception",
    "Delivered": "delivered",
    "AvailableForPickup": "available_for_pickup",
    "Exception": "exception",
}
AFTERSHIP_RETURN_SUBTAGS = frozenset({"Exception_010", "Exception_011"})
"""Exception subtags for a parcel returning / returned to the sender."""


def easypost_status(status: str | None, status_detail: str | None = None) -> str | None:
    """Our status for an EasyPost status (+ status_detail); None when the status is not known to us."""
    if status is None:
        return "unknown"
    ours = EASYPOST_STATUSES.get(status.strip().lower())
    if ours == "in_transit" and (status_detail or "").strip().lower() in EASYPOST_EXCEPTION_DETAILS:
        return "exception"
    return ours


def shippo_status(status: str | None, substatus_code: str | None = None) -> str | None:
    """Our status for a Shippo status (+ substatus code); None when the status is not known to us."""
    if status is None:
        return "unknown"
    ours = SHIPPO_STATUSES.get(status.strip().upper())
    detail = SHIPPO_SUBSTATUSES.get((substatus_code or "").strip().lower())
    if ours in ("in_transit", "delivered", "exception") and detail is not None:
        # A DELIVERED to a pickup point is waiting for the buyer; a FAILURE that is a return is a return.
        if ours == "delivered" and detail != "available_for_pickup":
            return ours
        return detail
    return ours


def aftership_status(
    tag: str | None, subtag: str | None = None, subtag_message: str | None = None
) -> str | None:
    """Our status for an AfterShip tag (+ subtag); None when the tag is not known to us."""
    if tag is None:
        return "unknown"
    ours = AFTERSHIP_TAGS.get(tag.strip())
    if ours == "exception" and (
        (subtag or "").strip() in AFTERSHIP_RETURN_SUBTAGS or "return" in (subtag_message or "").lower()
    ):
        return "returned_to_sender"
    return ours
