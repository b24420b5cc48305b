"""Shopify Admin GraphQL: the queries sasame runs and how their answers become canonical records.

Orders carry their refunds and fulfilments (an order's updatedAt moves when either changes), so
one incremental orders stream keeps all three current. Money is `MoneyBag.shopMoney.amount`, a
decimal string in the shop's currency; ids are read as `legacyResourceId`, the same numeric id the
orders CSV and the REST webhooks use, so all three paths update the same order.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sasame.connectors.base import ParseContext
from sasame.connectors.payloads import Node, as_received
from sasame.connectors.records import (
    OrderLineRecord,
    OrderRecord,
    ProductRecord,
    Record,
    RefundRecord,
    ShipmentRecord,
    SourceRef,
    StockLevelRecord,
    VariantRecord,
)
from sasame.connectors.shopify.rest_order import (
    CHANNEL,
    FINANCIAL_STATUSES,
    SHIPMENT_STATUSES,
    utm_values,
)

MONEY = "shopMoney { amount currencyCode }"

SHOP_QUERY = "query Shop { shop { name currencyCode ianaTimezone } }"

ORDERS_QUERY = f"""
query Orders($after: String, $query: String) {{
  orders(first: 50, after: $after, query: $query, sortKey: UPDATED_AT) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      id legacyResourceId name createdAt processedAt updatedAt cancelledAt
      email currencyCode taxesIncluded customerAcceptsMarketing
      displayFinancialStatus displayFulfillmentStatus
      discountCodes landingPageUrl referrerUrl sourceName
      customer {{ firstName lastName }}
      shippingAddress {{ countryCodeV2 provinceCode city zip }}
      billingAddress {{ countryCodeV2 provinceCode city zip }}
      subtotalPriceSet {{ {MONEY} }}
      totalDiscountsSet {{ {MONEY} }}
      totalShippingPriceSet {{ {MONEY} }}
      totalTaxSet {{ {MONEY} }}
      totalPriceSet {{ {MONEY} }}
      customerJourneySummary {{
        firstVisit {{ landingPage referrerUrl utmParameters {{ source medium campaign content term }} }}
      }}
      lineItems(first: 100) {{
        pageInfo {{ hasNextPage }}
        nodes {{
          id name sku quantity
          originalUnitPriceSet {{ {MONEY} }}
          totalDiscountSet {{ {MONEY} }}
          taxLines {{ priceSet {{ {MONEY} }} }}
        }}
      }}
      refunds {{ id legacyResourceId createdAt note totalRefundedSet {{ {MONEY} }} }}
      fulfillments {{
        id legacyResourceId name status displayStatus createdAt updatedAt deliveredAt estimatedDeliveryAt
        trackingInfo {{ company number url }}
      }}
    }}
  }}
}}
"""

PRODUCTS_QUERY = """
query Products($after: String, $query: String) {
  products(first: 50, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id legacyResourceId handle title productType vendor status updatedAt
      variants(first: 100) {
        nodes {
          id sku title price barcode
          selectedOptions { name value }
          inventoryItem { unitCost { amount currencyCode } measurement { weight { unit value } } }
        }
      }
    }
  }
}
"""

INVENTORY_QUERY = """
query Inventory($after: String) {
  inventoryItems(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id sku tracked
      inventoryLevels(first: 50) {
        nodes {
          updatedAt
          location { legacyResourceId name }
          quantities(names: ["on_hand", "committed"]) { name quantity }
        }
      }
    }
  }
}
"""

FULFILLMENT_STATUSES = {
    "FULFILLED": "fulfilled",
    "PARTIALLY_FULFILLED": "partial",
    "UNFULFILLED": "unfulfilled",
    "IN_PROGRESS": "unfulfilled",
    "ON_HOLD": "unfulfilled",
    "OPEN": "unfulfilled",
    "PENDING_FULFILLMENT": "unfulfilled",
    "SCHEDULED": "unfulfilled",
    "REQUEST_DECLINED": "unfulfilled",
    "RESTOCKED": "unfulfilled",
}
GRAMS_PER = {
    "GRAMS": Decimal(1),
    "KILOGRAMS": Decimal(1000),
    "OUNCES": Decimal("28.349523125"),
    "POUNDS": Decimal("453.59237"),
}
SIZE_OPTIONS = frozenset({"size", "größe", "taille", "talla"})
COLOUR_OPTIONS = frozenset({"color", "colour", "farbe", "couleur"})


def shop_amount(node: Node, key: str) -> Decimal:
    """`<key> { shopMoney { amount } }` as an exact Decimal (0 when absent)."""
    money_bag = node.child(key)
    shop = money_bag.child("shopMoney") if money_bag else None
    return shop.money_or_zero("amount") if shop else Decimal(0)


def order_records(order: Node, context: ParseContext, *, origin: str) -> list[Record]:
    order_id = order.required_text("legacyResourceId")
    number = order.required_text("name")
    currency = order.required_text("currencyCode")
    ordered_at = order.instant("createdAt", required=True)
    assert ordered_at is not None
    line_items = order.child("lineItems")
    if line_items and (line_items.child("pageInfo") or Node({}, file="", row=None)).raw("hasNextPage"):
        context.warn(f"Shopify order {number} has more than 100 lines; only the first 100 were read")
    lines = []
    for item in line_items.children("nodes") if line_items else []:
        quantity = item.integer("quantity", required=True)
        assert quantity is not None
        lines.append(
            OrderLineRecord(
                title=item.text("name") or "(untitled item)",
                quantity=quantity,
                unit_price=shop_amount(item, "originalUnitPriceSet"),
                sku=item.text("sku"),
                discount=shop_amount(item, "totalDiscountSet"),
                tax=sum((shop_amount(tax, "priceSet") for tax in item.children("taxLines")), Decimal(0)),
                external_id=item.text("id"),
            )
        )
    discount = shop_amount(order, "totalDiscountsSet")
    tax = shop_amount(order, "totalTaxSet")
    # subtotalPriceSet is after discounts; sasame's subtotal is before them, and without tax.
    subtotal = shop_amount(order, "subtotalPriceSet") + discount
    if order.raw("taxesIncluded") is True:
        subtotal -= tax
    financial = (order.text("displayFinancialStatus") or "PENDING").lower()
    fulfillment = FULFILLMENT_STATUSES.get(order.text("displayFulfillmentStatus") or "UNFULFILLED")
    if fulfillment is None:
        fulfillment = "unfulfilled"
        context.warn(
            f"Shopify order {number}: unknown fulfilment status {order.text('displayFulfillmentStatus')!r}"
        )
    cancelled_at = order.instant("cancelledAt")
    if cancelled_at is not None and fulfillment != "fulfilled":
        fulfillment = "cancelled"
    address = order.child("shippingAddress") or order.child("billingAddress")
    customer = order.child("customer")
    name = (
        " ".join(p for p in (customer.text("firstName"), customer.text("lastName")) if p) if customer else ""
    )
    journey = order.child("customerJourneySummary")
    visit = journey.child("firstVisit") if journey else None
    landing_page = (visit.text("landingPage") if visit else None) or order.text("landingPageUrl")
    utm = utm_values(landing_page)
    parameters = visit.child("utmParameters") if visit else None
    if parameters:
        for field in ("source", "medium", "campaign", "content", "term"):
            utm[f"utm_{field}"] = parameters.text(field) or utm[f"utm_{field}"]
    records: list[Record] = [
        OrderRecord(
            channel=CHANNEL,
            external_id=order_id,
            number=number,
            ordered_at=ordered_at,
            currency=currency,
            subtotal=subtotal,
            total=shop_amount(order, "totalPriceSet"),
            financial_status=FINANCIAL_STATUSES.get(financial, financial[:30]),
            fulfillment_status=fulfillment,
            source=SourceRef(origin, order_id, None, as_received(order.value)),
            lines=tuple(lines),
            discount_total=discount,
            shipping_total=shop_amount(order, "totalShippingPriceSet"),
            tax_total=tax,
            email=order.text("email"),
            customer_name=name or None,
            accepts_marketing=order.raw("customerAcceptsMarketing") is True,
            cancelled_at=cancelled_at,
            discount_codes=", ".join(str(code) for code in order.raw("discountCodes") or []) or None,
            ship_country=address.text("countryCodeV2") if address else None,
            ship_region=address.text("provinceCode") if address else None,
            ship_city=address.text("city") if address else None,
            ship_postal_code=address.text("zip") if address else None,
            referrer=(visit.text("referrerUrl") if visit else None) or order.text("referrerUrl"),
            landing_page=landing_page,
            utm_source=utm["utm_source"],
            utm_medium=utm["utm_medium"],
            utm_campaign=utm["utm_campaign"],
            utm_content=utm["utm_content"],
            utm_term=utm["utm_term"],
        )
    ]
    for refund in order.children("refunds"):
        refund_id = refund.required_text("legacyResourceId")
        refunded_at = refund.instant("createdAt", required=True)
        assert refunded_at is not None
        records.append(
            RefundRecord(
                order_channel=CHANNEL,
                order_number=number,
                external_id=refund_id,
                refunded_at=refunded_at,
                amount=shop_amount(refund, "totalRefundedSet"),
                currency=currency,
                source=SourceRef(origin, f"refund:{refund_id}", None, as_received(refund.value)),
                reason=refund.text("note"),
            )
        )
    for fulfillment_node in order.children("fulfillments"):
        records.extend(_shipments(fulfillment_node, number, currency, origin))
    return records


def _shipments(fulfillment: Node, number: str, currency: str, origin: str) -> list[ShipmentRecord]:
    if fulfillment.text("status") in ("CANCELLED", "ERROR", "FAILURE"):
        return []
    shipped_at = fulfillment.instant("createdAt", required=True)
    assert shipped_at is not None
    status = SHIPMENT_STATUSES.get((fulfillment.text("displayStatus") or "").lower(), "unknown")
    fulfillment_id = fulfillment.required_text("legacyResourceId")
    return [
        ShipmentRecord(
            order_channel=CHANNEL,
            order_number=number,
            carrier=tracking.text("company") or "unknown",
            tracking_number=tracking.required_text("number"),
            status=status,
            shipped_at=shipped_at,
            source=SourceRef(
                origin,
                f"fulfillment:{fulfillment_id}:{tracking.required_text('number')}",
                None,
                as_received(fulfillment.value),
            ),
            estimated_delivery_at=fulfillment.instant("estimatedDeliveryAt"),
            delivered_at=fulfillment.instant("deliveredAt"),
            currency=currency,
        )
        for tracking in fulfillment.children("trackingInfo")
        if tracking.text("number")
    ]


def product_record(product: Node, currency: str, context: ParseContext, *, origin: str) -> ProductRecord:
    variants = []
    for variant in product.child("variants").children("nodes") if product.child("variants") else []:  # type: ignore[union-attr]
        sku = variant.text("sku")
        if not sku:
            context.warn(
                f"Shopify product {product.text('handle')}: "
                f"a variant ({variant.text('title')}) has no SKU and was skipped"
            )
            continue
        options = {
            (option.text("name") or "").lower(): option.text("value")
            for option in variant.children("selectedOptions")
        }
        item = variant.child("inventoryItem")
        cost = item.child("unitCost") if item else None
        measurement = item.child("measurement") if item else None
        weight = measurement.child("weight") if measurement else None
        grams = None
        if weight and weight.money("value") is not None and weight.text("unit") in GRAMS_PER:
            grams = int(
                (weight.required_money("value") * GRAMS_PER[weight.required_text("unit")]).to_integral_value()
            )
        title = variant.text("title") or ""
        variants.append(
            VariantRecord(
                sku=sku,
                title=title if title != "Default Title" else product.required_text("title"),
                price=variant.required_money("price"),
                currency=currency,
                size=next((v for k, v in options.items() if k in SIZE_OPTIONS), None),
                colour=next((v for k, v in options.items() if k in COLOUR_OPTIONS), None),
                barcode=variant.text("barcode"),
                weight_grams=grams,
                unit_cost=cost.money("amount") if cost else None,
                is_active=product.text("status") == "ACTIVE",
            )
        )
    handle = product.required_text("handle")
    return ProductRecord(
        handle=handle,
        title=product.required_text("title"),
        category=product.text("productType") or "Uncategorised",
        source=SourceRef(origin, product.required_text("legacyResourceId"), None, as_received(product.value)),
        variants=tuple(variants),
        vendor=product.text("vendor"),
        is_active=product.text("status") == "ACTIVE",
    )


def stock_level_records(item: Node, now: datetime, *, origin: str) -> list[StockLevelRecord]:
    sku = item.text("sku")
    levels = item.child("inventoryLevels")
    if not sku or levels is None or item.raw("tracked") is False:
        return []  # untracked items have no counts worth keeping
    records = []
    for level in levels.children("nodes"):
        location = level.child("location")
        if location is None:
            continue
        quantities = {q.text("name"): q.integer("quantity") or 0 for q in level.children("quantities")}
        location_id = location.required_text("legacyResourceId")
        records.append(
            StockLevelRecord(
                sku=sku,
                location_code=f"shopify-{location_id}",
                location_name=location.text("name") or f"Shopify location {location_id}",
                on_hand=quantities.get("on_hand", 0),
                reserved=quantities.get("committed", 0),
                counted_at=level.instant("updatedAt") or now,
                source=SourceRef(origin, f"{sku}@{location_id}", None, as_received(level.value)),
            )
        )
    return records
