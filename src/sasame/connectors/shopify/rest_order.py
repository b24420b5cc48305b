"""Shopify orders as the REST Admin API and webhooks (`orders/create`, `orders/updated`, …) write them.

formats.md §1.4: money fields are strings, `*_set` fields carry shop and presentment money (shop
money is what the books use), timestamps carry the store's offset. The order's id and name are
the same `Id` and `Name` the orders CSV has, so an order imported from a file and then updated by
a webhook stays one order.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from sasame.connectors.base import ParseContext
from sasame.connectors.payloads import Node, as_received
from sasame.connectors.records import (
    OrderLineRecord,
    OrderRecord,
    Record,
    RefundRecord,
    ShipmentRecord,
    SourceRef,
)

CHANNEL = "shopify"

FINANCIAL_STATUSES = {
    "paid": "paid",
    "pending": "pending",
    "authorized": "pending",
    "partially_paid": "pending",
    "partially_refunded": "partially_refunded",
    "refunded": "refunded",
    "voided": "voided",
    "expired": "voided",
}
"""Shopify's financial statuses in sasame's vocabulary (money not captured yet counts as pending)."""

FULFILLMENT_STATUSES: dict[str | None, str] = {
    None: "unfulfilled",
    "unfulfilled": "unfulfilled",
    "fulfilled": "fulfilled",
    "partial": "partial",
    "restocked": "unfulfilled",
}

SHIPMENT_STATUSES = {
    "label_printed": "label_created",
    "label_purchased": "label_created",
    "confirmed": "label_created",
    "in_transit": "in_transit",
    "out_for_delivery": "out_for_delivery",
    "attempted_delivery": "exception",
    "ready_for_pickup": "available_for_pickup",
    "picked_up": "delivered",
    "delivered": "delivered",
    "failure": "exception",
}
"""Shopify's carrier-derived shipment_status (REST) and displayStatus (GraphQL, lower-cased) in the
one tracking vocabulary; a fulfilment the carrier has said nothing about yet is 'unknown'."""

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")


def utm_values(landing_page: str | None) -> dict[str, str | None]:
    """The UTM parameters of the landing page ('/?utm_source=…' or a full URL)."""
    query = parse_qs(urlsplit(landing_page).query) if landing_page else {}
    return {name: next(iter(query.get(name) or []), None) for name in UTM_FIELDS}


def shop_money(node: Node, key: str) -> Decimal | None:
    """`<key>_set.shop_money.amount` when present, else the plain `<key>` string."""
    money_set = node.child(f"{key}_set")
    shop = money_set.child("shop_money") if money_set else None
    if shop is not None:
        return shop.money("amount")
    return node.money(key)


def rest_order_records(order: Node, context: ParseContext, *, origin: str) -> list[Record]:
    """Map one REST/webhook order to its order, refunds and tracked fulfilments."""
    order_id = order.required_text("id")
    number = order.text("name") or f"#{order.required_text('order_number')}"
    currency = order.required_text("currency").upper()
    ordered_at = order.instant("created_at", required=True)
    assert ordered_at is not None
    lines = []
    for item in order.children("line_items"):
        quantity = item.integer("quantity", required=True)
        assert quantity is not None
        discount = sum(
            (allocation.money_or_zero("amount") for allocation in item.children("discount_allocations")),
            Decimal(0),
        ) or (item.money("total_discount") or Decimal(0))
        lines.append(
            OrderLineRecord(
                title=item.text("name") or item.text("title") or "(untitled item)",
                quantity=quantity,
                unit_price=shop_money(item, "price") or Decimal(0),
                sku=item.text("sku"),
                discount=discount,
                tax=sum((tax.money_or_zero("price") for tax in item.children("tax_lines")), Decimal(0)),
                external_id=item.text("id"),
            )
        )
    subtotal = shop_money(order, "total_line_items_price")
    if subtotal is None:
        subtotal = sum((line.unit_price * line.quantity for line in lines), Decimal(0))
    tax_total = shop_money(order, "total_tax") or Decimal(0)
    if order.raw("taxes_included") is True:
        subtotal -= tax_total  # prices contain the tax: keep subtotal − discounts + shipping + tax = total
    shipping_set = order.child("total_shipping_price_set")
    shipping_total = (
        shipping_set.child("shop_money").money_or_zero("amount")  # type: ignore[union-attr]
        if shipping_set and shipping_set.child("shop_money")
        else sum((line.money_or_zero("price") for line in order.children("shipping_lines")), Decimal(0))
    )
    financial = order.text("financial_status") or "pending"
    cancelled_at = order.instant("cancelled_at")
    fulfillment = FULFILLMENT_STATUSES.get(order.text("fulfillment_status"))
    if fulfillment is None:
        fulfillment = (order.text("fulfillment_status") or "")[:30]
        context.warn(f"{order.file}: order {number}: unknown fulfillment_status {fulfillment!r} kept")
    if cancelled_at is not None and fulfillment != "fulfilled":
        fulfillment = "cancelled"
    address = order.child("shipping_address") or order.child("billing_address")
    customer = order.child("customer")
    name = None
    if customer:
        name = " ".join(p for p in (customer.text("first_name"), customer.text("last_name")) if p) or None
    landing_page = order.text("landing_site")
    utm = utm_values(landing_page)
    records: list[Record] = [
        OrderRecord(
            channel=CHANNEL,
            external_id=order_id,
            number=number,
            ordered_at=ordered_at,
            currency=currency,
            subtotal=subtotal,
            total=shop_money(order, "total_price") or Decimal(0),
            financial_status=FINANCIAL_STATUSES.get(financial, financial[:30]),
            fulfillment_status=fulfillment,
            source=SourceRef(origin, order_id, order.row, as_received(order.value)),
            lines=tuple(lines),
            discount_total=shop_money(order, "total_discounts") or Decimal(0),
            shipping_total=shipping_total,
            tax_total=tax_total,
            email=order.text("email") or order.text("contact_email"),
            customer_name=name,
            accepts_marketing=order.raw("buyer_accepts_marketing") is True,
            cancelled_at=cancelled_at,
            discount_codes=", ".join(c.required_text("code") for c in order.children("discount_codes"))
            or None,
            ship_country=address.text("country_code") if address else None,
            ship_region=address.text("province_code") or address.text("province") if address else None,
            ship_city=address.text("city") if address else None,
            ship_postal_code=address.text("zip") if address else None,
            referrer=order.text("referring_site"),
            landing_page=landing_page,
            utm_source=utm["utm_source"],
            utm_medium=utm["utm_medium"],
            utm_campaign=utm["utm_campaign"],
            utm_content=utm["utm_content"],
            utm_term=utm["utm_term"],
        )
    ]
    for refund in order.children("refunds"):
        records.append(rest_refund_record(refund, number, currency, origin=origin))
    for fulfillment_node in order.children("fulfillments"):
        records.extend(rest_shipment_records(fulfillment_node, number, currency, origin=origin))
    return records


def rest_refund_record(refund: Node, order_number: str, currency: str, *, origin: str) -> RefundRecord:
    """A refund: the money is the successful refund transactions (formats.md §1.4)."""
    refund_id = refund.required_text("id")
    amount = sum(
        (
            transaction.money_or_zero("amount")
            for transaction in refund.children("transactions")
            if transaction.text("kind") == "refund" and transaction.text("status") == "success"
        ),
        Decimal(0),
    )
    shipping = sum(
        (
            -adjustment.money_or_zero("amount")
            for adjustment in refund.children("order_adjustments")
            if adjustment.text("kind") == "shipping_refund"
        ),
        Decimal(0),
    )
    refunded_at = refund.instant("processed_at") or refund.instant("created_at", required=True)
    assert refunded_at is not None
    return RefundRecord(
        order_channel=CHANNEL,
        order_number=order_number,
        external_id=refund_id,
        refunded_at=refunded_at,
        amount=amount,
        currency=currency,
        source=SourceRef(origin, f"refund:{refund_id}", refund.row, as_received(refund.value)),
        shipping_amount=shipping,
        reason=refund.text("note"),
    )


def rest_shipment_records(
    fulfillment: Node, order_number: str, currency: str, *, origin: str
) -> list[ShipmentRecord]:
    """One shipment per tracking number of a fulfilment (one fulfilment may ship several parcels)."""
    if fulfillment.text("status") in ("cancelled", "error", "failure"):
        return []
    numbers = [str(n) for n in fulfillment.raw("tracking_numbers") or [] if n] or (
        [fulfillment.required_text("tracking_number")] if fulfillment.text("tracking_number") else []
    )
    shipped_at = fulfillment.instant("created_at", required=True)
    assert shipped_at is not None
    status = SHIPMENT_STATUSES.get(fulfillment.text("shipment_status") or "", "unknown")
    updated_at = fulfillment.instant("updated_at")
    return [
        ShipmentRecord(
            order_channel=CHANNEL,
            order_number=order_number,
            carrier=fulfillment.text("tracking_company") or "unknown",
            tracking_number=number,
            status=status,
            shipped_at=shipped_at,
            source=SourceRef(
                origin,
                f"fulfillment:{fulfillment.required_text('id')}:{number}",
                fulfillment.row,
                as_received(fulfillment.value),
            ),
            service=fulfillment.text("service"),
            delivered_at=updated_at if status == "delivered" else None,
            currency=currency,
        )
        for number in numbers
    ]
