"""WooCommerce orders as the REST API v3 and its webhooks write them (formats.md §2).

One reader for three shapes: a single order object (a webhook body, `GET /orders/<id>`), a list
of orders (`GET /orders`), and the legacy `{"orders": [...]}` wrapper. Times are read from the
`_gmt` fields, which are UTC without an offset; the site-local fields are only a fallback.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sasame.connectors.base import FileFormat, ParseContext
from sasame.connectors.files import SourceFile
from sasame.connectors.payloads import Node, as_received, load_json
from sasame.connectors.records import (
    OrderLineRecord,
    OrderRecord,
    Record,
    RefundRecord,
    ShipmentRecord,
    SourceRef,
)
from sasame.core.errors import InputError

CHANNEL = "woocommerce"
GMT = ZoneInfo("UTC")
"""The `_gmt` fields are UTC written without an offset."""

FINANCIAL_STATUS = {
    "pending": "pending",
    "on-hold": "pending",
    "processing": "paid",
    "completed": "paid",
    "refunded": "refunded",
    "cancelled": "voided",
    "failed": "voided",
    "trash": "voided",
    "checkout-draft": "pending",
}
"""WooCommerce's one order status split into sasame's money side..."""

CLOSED_STATUSES = frozenset({"cancelled", "failed", "trash"})
"""...and its goods side: these orders will never ship."""

ATTRIBUTION = {
    "utm_source": "_wc_order_attribution_utm_source",
    "utm_medium": "_wc_order_attribution_utm_medium",
    "utm_campaign": "_wc_order_attribution_utm_campaign",
    "utm_content": "_wc_order_attribution_utm_content",
    "utm_term": "_wc_order_attribution_utm_term",
    "referrer": "_wc_order_attribution_referrer",
    "landing_page": "_wc_order_attribution_session_entry",
}
"""Order attribution (WooCommerce ≥ 8.5) keeps the visit's UTM values in meta_data."""

TRACKING_META = "_wc_shipment_tracking_items"
"""The Shipment Tracking extension's meta key; tracking numbers are not core WooCommerce."""


class WooCommerceOrderJson(FileFormat):
    name = "woocommerce.order_json"
    title = "WooCommerce orders (REST API v3 JSON or webhook body)"

    def detect(self, file: SourceFile) -> bool:
        head = file.head(65_536).lstrip()
        # Cheap and specific: only WooCommerce orders carry an order_key next to line_items.
        return head[:1] in ("{", "[") and '"order_key"' in head and '"line_items"' in head

    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[Record]:
        orders = order_objects(load_json(file.text, file.name), file.name)
        context.rows_read = len(orders)
        for position, order in enumerate(orders, start=1):
            yield from order_records(Node(order, file=file.name, row=position), context, origin=self.name)


def order_objects(document: Any, name: str) -> list[Any]:
    """The orders in a document: one object, a list, or the legacy {"orders": [...]} wrapper."""
    if isinstance(document, dict) and isinstance(document.get("orders"), list):
        return list(document["orders"])
    if isinstance(document, dict):
        return [document]
    if isinstance(document, list):
        return document
    raise InputError("is not a WooCommerce order or a list of orders", file=name)


def order_records(order: Node, context: ParseContext, *, origin: str) -> list[Record]:
    """Map one REST v3 order to the order, its refunds and its tracked shipments."""
    order_id = order.required_text("id")
    number = order.text("number") or order_id
    currency = order.required_text("currency").upper()
    status = order.required_text("status")
    ordered_at = _instant(order, "date_created", context, required=True)
    assert ordered_at is not None
    modified_at = _instant(order, "date_modified", context) or ordered_at

    lines: list[OrderLineRecord] = []
    subtotal = Decimal(0)
    for item in order.children("line_items"):
        quantity = item.integer("quantity", required=True)
        assert quantity is not None
        line_subtotal = item.required_money("subtotal")  # before coupons
        line_total = item.required_money("total")  # after coupons
        subtotal += line_subtotal
        lines.append(
            OrderLineRecord(
                title=item.text("name") or "",
                quantity=quantity,
                unit_price=line_subtotal / quantity if quantity else line_subtotal,
                sku=item.text("sku"),
                discount=line_subtotal - line_total,
                tax=item.money_or_zero("total_tax"),
                external_id=item.text("id"),
            )
        )
    discount_total = order.money_or_zero("discount_total")
    # Fees (gift wrap, payment surcharges) are goods-side charges the buyer pays: kept as lines so
    # that subtotal − discounts + shipping + tax = total still holds. A negative fee is how some
    # plugins grant a discount, so it joins the discounts instead.
    for fee in order.children("fee_lines"):
        amount = fee.required_money("total")
        if amount < 0:
            discount_total -= amount
            continue
        subtotal += amount
        lines.append(
            OrderLineRecord(
                title=f"Fee: {fee.text('name') or 'fee'}",
                quantity=1,
                unit_price=amount,
                tax=fee.money_or_zero("total_tax"),
                external_id=f"fee-{fee.text('id')}",
            )
        )
    shipping_total = order.money_or_zero("shipping_total")
    tax_total = order.money_or_zero("total_tax")
    total = order.required_money("total")
    if subtotal - discount_total + shipping_total + tax_total != total:
        context.warn(
            f"{order.file}, order {number}: lines, discounts, shipping and tax add up to "
            f"{subtotal - discount_total + shipping_total + tax_total} but the order total is {total}"
        )

    refunds = order.children("refunds")
    financial_status = FINANCIAL_STATUS.get(status)
    if financial_status is None:
        # Plugins add statuses ('printed', 'shipped'); paid-ness is still known from date_paid.
        financial_status = "paid" if order.text("date_paid_gmt") or order.text("date_paid") else "pending"
        context.warn(f"{order.file}, order {number}: unknown status {status!r} read as {financial_status}")
    if refunds and financial_status == "paid":
        financial_status = "partially_refunded"
    if status in CLOSED_STATUSES:
        fulfillment_status = "cancelled"
    elif status == "completed" or order.text("date_completed_gmt"):
        fulfillment_status = "fulfilled"
    else:
        fulfillment_status = "unfulfilled"

    billing = order.child("billing")
    shipping = order.child("shipping")
    address = shipping if shipping and shipping.text("country") else billing
    meta = _meta(order)
    attribution = {name: _meta_text(meta.get(key)) for name, key in ATTRIBUTION.items()}
    name = " ".join(
        part for part in ((billing.text("first_name"), billing.text("last_name")) if billing else ()) if part
    )
    records: list[Record] = [
        OrderRecord(
            channel=CHANNEL,
            external_id=order_id,
            number=number,
            ordered_at=ordered_at,
            currency=currency,
            subtotal=subtotal,
            total=total,
            financial_status=financial_status,
            fulfillment_status=fulfillment_status,
            source=SourceRef(origin, order_id, order.row, as_received(order.value)),
            lines=tuple(lines),
            discount_total=discount_total,
            shipping_total=shipping_total,
            tax_total=tax_total,
            email=billing.text("email") if billing else None,
            customer_name=name or None,
            cancelled_at=modified_at if status == "cancelled" else None,
            discount_codes=", ".join(c.required_text("code") for c in order.children("coupon_lines")) or None,
            ship_country=address.text("country") if address else None,
            ship_region=address.text("state") if address else None,
            ship_city=address.text("city") if address else None,
            ship_postal_code=address.text("postcode") if address else None,
            utm_source=attribution["utm_source"],
            utm_medium=attribution["utm_medium"],
            utm_campaign=attribution["utm_campaign"],
            utm_content=attribution["utm_content"],
            utm_term=attribution["utm_term"],
            referrer=attribution["referrer"],
            landing_page=attribution["landing_page"],
        )
    ]
    for refund in refunds:
        refund_id = refund.required_text("id")
        # The order's refund summary is {id, reason, total<0} without a date (the docs' example even
        # says 'refund' for 'reason'); the full refund resource has a positive amount and its date.
        refund_amount = refund.money("amount")
        if refund_amount is None:
            refund_amount = -refund.required_money("total")
        refunded_at = _instant(refund, "date_created", context) or modified_at
        records.append(
            RefundRecord(
                order_channel=CHANNEL,
                order_number=number,
                external_id=refund_id,
                refunded_at=refunded_at,
                amount=abs(refund_amount),
                currency=currency,
                source=SourceRef(
                    origin, f"{order_id}:refund:{refund_id}", order.row, as_received(refund.value)
                ),
                reason=refund.text("reason") or refund.text("refund"),
            )
        )
    records.extend(_shipments(order, meta, number, currency, ordered_at, origin, context))
    return records


def _instant(node: Node, key: str, context: ParseContext, *, required: bool = False) -> datetime | None:
    """The `<key>_gmt` field as UTC; the site-local `<key>` in the store's timezone only if it is absent."""
    gmt = node.instant(f"{key}_gmt", timezone=GMT)
    if gmt is not None:
        return gmt
    local = node.instant(key, timezone=context.timezone, required=required)
    if local is not None:
        context.warn(
            f"{node.file}: {node.path or 'order'} has no {key}_gmt; read {key} in the store's timezone"
        )
    return local


def _meta(order: Node) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for entry in order.children("meta_data"):
        key = entry.text("key")
        if key:
            meta[key] = entry.raw("value")
    return meta


def _meta_text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    # Attribution writes '(none)' when the visit had no such parameter.
    return None if not text or text == "(none)" else text


def _shipments(
    order: Node,
    meta: dict[str, Any],
    number: str,
    currency: str,
    ordered_at: datetime,
    origin: str,
    context: ParseContext,
) -> Iterator[ShipmentRecord]:
    items = meta.get(TRACKING_META)
    if not isinstance(items, list):
        return
    order_id = order.required_text("id")
    for index, item in enumerate(items):
        entry = Node(item, file=order.file, row=order.row, path=f"meta_data[{TRACKING_META}][{index}]")
        tracking_number = entry.text("tracking_number")
        if not tracking_number:
            continue
        shipped_at = entry.unix_instant("date_shipped") or ordered_at
        yield ShipmentRecord(
            order_channel=CHANNEL,
            order_number=number,
            carrier=(entry.text("custom_tracking_provider") or entry.text("tracking_provider") or "unknown"),
            tracking_number=tracking_number,
            # The extension only records that a label exists; carriers' tracking moves it on.
            status="label_created",
            shipped_at=shipped_at,
            source=SourceRef(
                origin, f"{order_id}:shipment:{tracking_number}", order.row, as_received(entry.value)
            ),
            currency=currency,
        )
