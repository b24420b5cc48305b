"""The demo store's support inbox: realistic customer emails about real orders, with true labels.

Every order-related email is written about an order whose *current* state makes it plausible
(where-is-my-order about parcels still on the road, returns about delivered orders, cancellations
about recent orders, some of them already shipped), so a support engine answering from live data
can be scored exactly. Each message's label is kept in the ground truth (kind ``email_label``,
key = Message-ID): the intent, the order it is about, whether the order number is written in it,
and the facts a correct answer must contain.

Texts are composed from many interchangeable fragments (greetings, openers, asks, details,
sign-offs, signatures) in several styles (polite, terse, angry, chatty, formal, from a phone),
with typos, missing order numbers, several order-number formats, replies that quote earlier mail,
and a second ask in some, so that a classifier has to read rather than match a template.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, Connection, func, select, type_coerce

from sasame.core.money import SCALE
from sasame.demo.context import DemoContext
from sasame.demo.store_answers import store_answer_facts, write_store_answers
from sasame.ingest.bulk import next_id, reset_sequences, table_of, write_rows
from sasame.models import (
    BusinessSetting,
    Channel,
    Customer,
    Order,
    OrderLine,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Refund,
    Return,
    Shipment,
    StockLevel,
    SupportMessage,
    SupportTicket,
    TrackingEvent,
    Variant,
)

RETURN_WINDOW_DAYS = 30
"""The demo store's return policy, stated in the labels so eligibility is unambiguous."""

INTENT_MIX = {
    "order_status": 0.25,
    "return_request": 0.12,
    "exchange_request": 0.06,
    "change_order": 0.03,
    "cancel_order": 0.05,
    "change_address": 0.03,
    "product_question": 0.09,
    "wrong_item": 0.03,
    "damaged_item": 0.03,
    "refund_status": 0.06,
    "payment_issue": 0.02,
    "discount_question": 0.03,
    "shipping_question": 0.04,
    "account": 0.02,
    "complaint": 0.03,
    "praise": 0.03,
    "spam": 0.05,
    "other": 0.03,
}
"""Where-is-my-order and returns dominate, as in real shops' inboxes."""

ESCALATE = {"wrong_item", "damaged_item", "complaint"}
"""Intents a human must handle (issue 5: always escalated)."""

HEX = "0123456789abcdef"
SIZES = ("XXS", "XS", "S", "M", "L", "XL", "XXL", "3XL")
IN_TRANSIT = {
    "label_created",
    "in_transit",
    "out_for_delivery",
    "exception",
    "available_for_pickup",
    "unknown",
    "returned_to_sender",
}
MARKETPLACES = {"amazon", "etsy"}
# The address Amazon relays buyer-seller messages from (the buyer's own address stays hidden).
AMAZON_RELAY_DOMAIN = "marketplace.amazon.com"
CARRIER_NAMES = {
    "usps": "USPS",
    "ups": "UPS",
    "fedex": "FedEx",
    "amazon_logistics": "Amazon Logistics",
    "dhl": "DHL",
}
"""How people (and the shop's emails) write the carriers the shipment table stores as codes."""


def carrier_name(code: str | None) -> str:
    """Return the carrier as a person writes it ('usps' -> 'USPS')."""
    if not code:
        return "the carrier"
    return CARRIER_NAMES.get(code.lower(), code)


# --------------------------------------------------------------------------------------------
# What the store knows
# --------------------------------------------------------------------------------------------


@dataclass
class Item:
    variant_id: int | None
    sku: str | None
    title: str
    product_id: int | None
    product: str
    size: str | None
    colour: str | None


@dataclass
class StoreOrder:
    """One order with everything its state and the emails about it need."""

    id: int
    number: str
    kind: str
    customer_id: int | None
    email: str | None
    name: str | None
    ordered_at: datetime
    fulfillment_status: str
    financial_status: str
    cancelled_at: datetime | None
    total_units: int
    discount_codes: str | None
    city: str | None
    items: list[Item] = field(default_factory=list)
    carrier: str | None = None
    tracking_number: str | None = None
    shipped_at: datetime | None = None
    estimated_delivery_at: datetime | None = None
    delivered_at: datetime | None = None
    tracking_status: str | None = None
    last_event: str | None = None
    last_event_at: datetime | None = None
    returns: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[datetime, str, str]] = field(default_factory=list)
    """Every tracking event up to the reading instant (at, status, description), oldest first, so
    the support history can tell where a parcel was on any earlier day."""

    @property
    def is_shipped(self) -> bool:
        return self.shipped_at is not None

    @property
    def is_delivered(self) -> bool:
        return self.delivered_at is not None


@dataclass
class Catalog:
    variants: list[Item]
    on_hand: dict[int, int]
    next_arrival: dict[int, date]
    by_product: dict[int, list[Item]]


@dataclass
class Store:
    name: str
    support_address: str
    domain: str
    catalog: Catalog
    orders: list[StoreOrder]
    customers: list[tuple[int, str, str | None]]
    """(id, email, name) of customers with an email, for messages not about an order."""
    handles: dict[int, str] = field(default_factory=dict)
    """Product id -> handle, to label the owner's per-product answers."""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower()) or "shop"


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


SAMPLED_ORDERS = 12_000
"""Older orders read at most (a deterministic id-stride sample): the inbox is capped at 2,000
emails, so a 100x store needs no more candidates than a typical one, and reading stays fast."""
RECENT_DAYS = 12
"""Orders this recent are all read: parcels on the road and unshipped orders live here."""


def _count_orders(connection: Connection, since: datetime, until: datetime) -> int:
    order, channel = table_of(Order), table_of(Channel)
    return int(
        connection.execute(
            select(func.count())
            .select_from(order.join(channel, channel.c.id == order.c.channel_id))
            .where(order.c.ordered_at >= since, order.c.ordered_at < until, channel.c.kind != "wholesale")
        ).scalar_one()
    )


def _read_store(ctx: DemoContext, since: datetime) -> Store:
    recent_from = ctx.now - timedelta(days=RECENT_DAYS)
    stride = max(1, _count_orders(ctx.connection, since, recent_from) // SAMPLED_ORDERS)
    return _read_store_header(ctx, _read_orders(ctx.connection, since, ctx.now, recent_from, stride))


def _read_store_header(ctx: DemoContext, orders: list[StoreOrder]) -> Store:
    """Return the store (name, addresses, catalog, customers) around orders read by the caller."""
    connection = ctx.connection
    name = connection.execute(select(table_of(BusinessSetting).c.name)).scalar() or "Our Store"
    domain = f"{_slug(name)}.com"
    catalog = _read_catalog(connection, ctx.end)
    customer = table_of(Customer)
    n_customers = int(connection.execute(select(func.count()).select_from(customer)).scalar_one())
    customers = [
        (cid, email, cname)
        for cid, email, cname in connection.execute(
            select(customer.c.id, customer.c.email, customer.c.name)
            .where(customer.c.email.is_not(None), customer.c.id % max(1, n_customers // 5000) == 0)
            .order_by(customer.c.id)
        )
    ]
    product = table_of(Product)
    handles = {
        int(pid): str(handle) for pid, handle in connection.execute(select(product.c.id, product.c.handle))
    }
    return Store(name, f"support@{domain}", domain, catalog, orders, customers, handles)


def _read_catalog(connection: Connection, today: date) -> Catalog:
    variant, product = table_of(Variant), table_of(Product)
    rows = connection.execute(
        select(
            variant.c.id,
            variant.c.sku,
            variant.c.title,
            product.c.id,
            product.c.title,
            variant.c.size,
            variant.c.colour,
        )
        .join(product, product.c.id == variant.c.product_id)
        .where(variant.c.is_active.is_(True), variant.c.is_bundle.is_(False))
        .order_by(variant.c.id)
    ).all()
    variants = [Item(*row) for row in rows]
    stock = table_of(StockLevel)
    on_hand = {
        vid: int(units)
        for vid, units in connection.execute(
            select(stock.c.variant_id, func.sum(stock.c.on_hand)).group_by(stock.c.variant_id)
        )
    }
    po, line = table_of(PurchaseOrder), table_of(PurchaseOrderLine)
    next_arrival: dict[int, date] = {}
    for vid, expected in connection.execute(
        select(line.c.variant_id, po.c.expected_on)
        .join(po, po.c.id == line.c.purchase_order_id)
        .where(
            po.c.status.in_(("sent", "partial")),
            po.c.expected_on >= today,
            line.c.quantity_received < line.c.quantity_ordered,
        )
        .order_by(po.c.expected_on, line.c.id)
    ):
        next_arrival.setdefault(vid, expected)
    by_product: dict[int, list[Item]] = defaultdict(list)
    for item in variants:
        if item.product_id is not None:
            by_product[item.product_id].append(item)
    return Catalog(variants, on_hand, next_arrival, dict(by_product))


def _read_orders(
    connection: Connection,
    since: datetime,
    now: datetime,
    recent_from: datetime,
    stride: int,
    until: datetime | None = None,
) -> list[StoreOrder]:
    """Read the orders placed in [since, until or now) as they stand at ``now``.

    Orders placed since ``recent_from`` are all read, older ones one in ``stride`` (by id).
    """
    order, channel, customer = table_of(Order), table_of(Channel), table_of(Customer)
    window = (
        (order.c.ordered_at >= since)
        & (order.c.ordered_at < (until or now))
        & (channel.c.kind != "wholesale")
        & ((order.c.ordered_at >= recent_from) | (order.c.id % stride == 0))
    )
    rows = connection.execute(
        select(
            order.c.id,
            order.c.number,
            channel.c.kind,
            order.c.customer_id,
            func.coalesce(order.c.email, customer.c.email),
            customer.c.name,
            order.c.ordered_at,
            order.c.fulfillment_status,
            order.c.financial_status,
            order.c.cancelled_at,
            type_coerce(order.c.total, BigInteger),
            order.c.discount_codes,
            order.c.ship_city,
        )
        .join(channel, channel.c.id == order.c.channel_id)
        .outerjoin(customer, customer.c.id == order.c.customer_id)
        .where(window)
        .order_by(order.c.id)
    ).all()
    orders = {row[0]: StoreOrder(*row) for row in rows}  # type: ignore[call-arg]
    for o in orders.values():
        o.ordered_at = _aware(o.ordered_at)  # type: ignore[assignment]
        o.cancelled_at = _aware(o.cancelled_at)
    in_window = select(order.c.id).join(channel, channel.c.id == order.c.channel_id).where(window)

    line, variant, product = table_of(OrderLine), table_of(Variant), table_of(Product)
    for order_id, vid, sku, title, pid, ptitle, size, colour in connection.execute(
        select(
            line.c.order_id,
            line.c.variant_id,
            line.c.sku,
            line.c.title,
            product.c.id,
            product.c.title,
            variant.c.size,
            variant.c.colour,
        )
        .outerjoin(variant, variant.c.id == line.c.variant_id)
        .outerjoin(product, product.c.id == variant.c.product_id)
        .where(line.c.order_id.in_(in_window))
        .order_by(line.c.id)
    ):
        orders[order_id].items.append(Item(vid, sku, title, pid, ptitle or title, size, colour))

    shipment, event = table_of(Shipment), table_of(TrackingEvent)
    latest: dict[int, int] = {}
    for sid, order_id, carrier, tracking, status, shipped, estimated, delivered in connection.execute(
        select(
            shipment.c.id,
            shipment.c.order_id,
            shipment.c.carrier,
            shipment.c.tracking_number,
            shipment.c.status,
            shipment.c.shipped_at,
            shipment.c.estimated_delivery_at,
            shipment.c.delivered_at,
        )
        .where(shipment.c.order_id.in_(in_window), shipment.c.shipped_at <= now)
        .order_by(shipment.c.shipped_at, shipment.c.id)
    ):
        o = orders[order_id]
        delivered = _aware(delivered)
        o.carrier, o.tracking_number, o.tracking_status = carrier, tracking, status
        o.shipped_at, o.estimated_delivery_at = _aware(shipped), _aware(estimated)
        # The state is the state *now*: a delivery recorded for later has not happened yet.
        o.delivered_at = delivered if delivered is not None and delivered <= now else None
        if o.delivered_at is None and status == "delivered":
            o.tracking_status = "in_transit"
        latest[sid] = order_id
    if latest:
        shipment_ids = select(shipment.c.id).where(shipment.c.order_id.in_(in_window))
        for sid, status, description, occurred in connection.execute(
            select(event.c.shipment_id, event.c.status, event.c.description, event.c.occurred_at)
            .where(event.c.shipment_id.in_(shipment_ids), event.c.occurred_at <= now)
            .order_by(event.c.occurred_at, event.c.id)
        ):
            if sid in latest:
                o = orders[latest[sid]]
                o.tracking_status, o.last_event, o.last_event_at = status, description, _aware(occurred)
                o.events.append((o.last_event_at, status, description))  # type: ignore[arg-type]
                if status == "delivered" and o.delivered_at is None:
                    o.delivered_at = _aware(occurred)

    returned, refund = table_of(Return), table_of(Refund)
    for order_id, return_id, rma, status, reason, requested, received, tracking, label in connection.execute(
        select(
            returned.c.order_id,
            returned.c.id,
            returned.c.rma_number,
            returned.c.status,
            returned.c.reason,
            returned.c.requested_at,
            returned.c.received_at,
            returned.c.return_tracking_number,
            type_coerce(returned.c.label_cost, BigInteger),
        )
        .where(returned.c.order_id.in_(in_window), returned.c.requested_at <= now)
        .order_by(returned.c.id)
    ):
        orders[order_id].returns.append(
            {
                "id": return_id,
                "rma_number": rma,
                "status": status,
                "reason": reason,
                "requested_at": _aware(requested),
                "received_at": _aware(received),
                "return_tracking_number": tracking,
                "label_cost_units": int(label or 0),
            }
        )
    for order_id, amount, refunded, return_id in connection.execute(
        select(
            refund.c.order_id,
            type_coerce(refund.c.amount, BigInteger),
            refund.c.refunded_at,
            refund.c.return_id,
        )
        .where(refund.c.order_id.in_(in_window), refund.c.refunded_at <= now)
        .order_by(refund.c.id)
    ):
        orders[order_id].refunds.append(
            {"amount_units": int(amount), "refunded_at": _aware(refunded), "return_id": return_id}
        )
    return list(orders.values())


# --------------------------------------------------------------------------------------------
# Text fragments
# --------------------------------------------------------------------------------------------

GREETINGS = [
    "Hi",
    "Hello",
    "Hi there",
    "Hey",
    "Hi {shop}",
    "Hello {shop} team",
    "Hi team",
    "Good morning",
    "Good afternoon",
    "Hey guys",
    "Hiya",
    "Dear customer service",
    "Hello,",
    "hi",
    "hey there",
    "Hi support",
    "Dear {shop}",
    "Morning",
    "Hi folks",
]
FORMAL_GREETINGS = [
    "Dear Sir or Madam,",
    "To whom it may concern,",
    "Dear Customer Service Team,",
    "Dear {shop} team,",
    "Good day,",
]
OPENERS = [
    "I hope you're well.",
    "Hope you are doing well!",
    "I hope this email finds you well.",
    "Sorry to bother you.",
    "Quick question.",
    "I need some help please.",
    "Hoping you can help.",
    "I'm writing about my recent order.",
    "Just reaching out about something.",
    "Hope all is good.",
    "I have a question.",
    "Thanks in advance for your help.",
    "I was hoping you could help me with something.",
]
CHATTY = [
    "It's a birthday present for my sister so I'm a bit anxious.",
    "I've bought from you a few times before and always been happy.",
    "My friend recommended your shop.",
    "We're going on holiday on Saturday.",
    "I saw you on Instagram and couldn't resist.",
    "It was meant to be a gift.",
    "I'm usually a {size} in most brands.",
    "Long time customer here!",
]
CLOSINGS = [
    "Please let me know.",
    "Let me know what you think.",
    "Looking forward to hearing from you.",
    "Thanks for your help!",
    "Appreciate any help.",
    "Hope to hear back soon.",
    "Please get back to me asap.",
    "Any help would be great.",
    "Thank you in advance.",
    "Let me know if you need anything else from me.",
    "",
]
SIGNOFFS = [
    "Thanks",
    "Thank you",
    "Thanks!",
    "Thanks in advance",
    "Best",
    "Best regards",
    "Kind regards",
    "Regards",
    "Cheers",
    "Many thanks",
    "thx",
    "Thank you so much",
    "Appreciate it",
    "Warm regards",
    "All the best",
    "ty",
    "Thanks so much!!",
]
ANGRY_LINES = [
    "This is ridiculous.",
    "I am extremely disappointed.",
    "This is the third time I'm writing!!",
    "Nobody has answered my last email.",
    "I want this sorted TODAY.",
    "If I don't hear back I will file a chargeback with my bank.",
    "I'll be leaving a review about this.",
    "Honestly this is unacceptable.",
    "I'm really not happy about this.",
    "Seriously??",
    "Absolutely terrible service so far.",
]
PHONE_SIGNATURES = [
    "Sent from my iPhone",
    "Sent from my iPad",
    "Sent from my Galaxy",
    "Get Outlook for iOS",
    "Sent from Yahoo Mail for iPhone",
    "Sent from my Pixel",
]
COMMON_TYPOS = {
    "received": "recieved",
    "receive": "recieve",
    "definitely": "definately",
    "address": "adress",
    "package": "pakage",
    "tomorrow": "tommorow",
    "because": "becuase",
    "please": "pls",
    "thanks": "thx",
    "you": "u",
    "order": "oder",
    "really": "realy",
    "arrived": "arived",
    "wondering": "wondring",
    "necessary": "neccessary",
    "until": "untill",
    "already": "allready",
    "which": "wich",
    "their": "there",
    "weird": "wierd",
    "separate": "seperate",
    "cancel": "cancell",
    "exchange": "exhange",
    "shipping": "shiping",
    "tracking": "traking",
    "something": "somthing",
    "your": "ur",
    "delivered": "deliverd",
    "possible": "posible",
    "week": "weeek",
}

# Asks per intent. {ref} is an order reference phrase ("order #1043", or a description when the
# customer gives no number); {item} a product as the customer would name it.
ASKS: dict[str, list[str]] = {
    "order_status": [
        "Where is {ref}? I ordered it {day} and still nothing.",
        "Can you tell me where {ref} is?",
        "I haven't received {ref} yet. Can you check what's going on?",
        "Any update on {ref}?",
        "what's the status of {ref}",
        "I ordered the {item} {day} and it still hasn't arrived. When will it get here?",
        "The tracking for {ref} hasn't moved in days. Is it lost?",
        "Could you let me know when {ref} will be delivered?",
        "Just checking on {ref} - it's been {wait} and I haven't got it.",
        "has {ref} shipped yet?",
        "Is there any way to find out where {ref} is?",
        "My {item} was supposed to arrive by now. Where is it?",
        "I still haven't got my parcel ({ref}). Can you look into it please?",
        "When can I expect {ref}?",
        "wheres my order?? {ref}",
        "I need the {item} by the weekend, will {ref} arrive in time?",
        "The {carrier} tracking just says in transit for {ref}. Any idea when it'll actually arrive?",
    ],
    "return_request": [
        "I'd like to return the {item} from {ref}.",
        "How do I return {ref}? It doesn't fit.",
        "I need to send back the {item}, it's too {fit}.",
        "Can I return the {item}? Didn't like the colour in person.",
        "I want to return {ref} please. Can you send me a return label?",
        "What's your return process? I'd like to send back the {item}.",
        "The {item} is too {fit} for me so I'd like a refund please. ({ref})",
        "i want to return this {short}, how do i do it",
        "Is it possible to return the {item}? I've only tried it on, tags still attached.",
        "Please can I have a return label for {ref}, the {short} doesn't suit me.",
        "I would like to return part of {ref} - the {item}.",
        "Unfortunately the {short} is not for me. How can I get my money back?",
    ],
    "exchange_request": [
        "Can I exchange the {item} for a size {other}?",
        "I need to swap {item} for a {other} please.",
        "The {short} is too {fit}, could I exchange it for {other}?",
        "Is it possible to exchange {ref} for a different size? I need {other}.",
        "I'd like to exchange the {item} from {ref} for the {other} one.",
        "can i swap my {short} for a {other}? it's too {fit}",
        "Could you send me a {other} instead of the {size} I got? Happy to send the {size} back.",
        "I love the {short} but need it in {other}. How does an exchange work?",
    ],
    "change_order": [
        "I just placed {ref} and picked the wrong size - can you change the {item} to {other}?",
        "Can I change {ref}? I'd like the {short} in {other} instead of {size}.",
        "Is it too late to change my order? I need {other} not {size} ({ref}).",
        "oops I ordered the wrong size, can you swap it to {other} before it ships? {ref}",
        "Could you please switch the {item} in {ref} to {other}?",
        "I'd like to add another {short} to {ref} if it hasn't gone out yet, and change the size to {other}.",
    ],
    "cancel_order": [
        "Please cancel {ref}.",
        "I'd like to cancel {ref}, I ordered by mistake.",
        "Can you cancel {ref} please? I found something else.",
        "cancel my order pls {ref}",
        "I need to cancel {ref} - I ordered the same thing twice.",
        "Is it possible to cancel {ref} before it ships?",
        "I changed my mind about the {item}, please cancel {ref} and refund me.",
        "Hi, I placed {ref} {day} but I no longer need it. Please cancel.",
    ],
    "change_address": [
        "I put the wrong address on {ref}. Can you change it to {address}?",
        "Can you update the shipping address for {ref}? New address: {address}",
        "I'm moving this week - please send {ref} to {address} instead.",
        "I made a typo in my address on {ref}, it should be {address}.",
        "Please change the delivery address on {ref} to my work: {address}",
        "can u ship {ref} to {address} instead, wrong address sorry",
    ],
    "product_question": [
        "Does the {product} come in {size}?",
        "Is the {product} in {colour} going to be restocked?",
        "When will the {product} in {size} be back in stock?",
        "What is the {product} made of? Is it see-through at all?",
        "I'm 5'6\" and about 140 lbs - would you recommend S or M in the {product}?",
        "Does the {product} run small or true to size?",
        "Is the {product} machine washable?",
        "Do you have the {product} in {colour}, size {size}?",
        "do you still make the {product} in {colour}?",
        "How long is the {product}? I'm quite tall.",
        "Is the {product} available in {size}? The site won't let me add it to cart.",
        "Will the {product} shrink in the wash?",
    ],
    "wrong_item": [
        "I received the wrong item in {ref}. I ordered the {item} but got a {wrong} one.",
        "You sent me the wrong size! I ordered {size} and got {other}.",
        "The parcel for {ref} had someone else's order in it.",
        "I got a {wrong} {short} instead of {colour}. Please fix this.",
        "Wrong item in my package ({ref}) - the label says {size} but it's clearly a {other}.",
        "my order came today but its not what i ordered, i got the wrong {short}",
        "I think there's been a mix-up with {ref}: the {item} is missing and there's a {wrong} one instead.",
    ],
    "damaged_item": [
        "My {item} arrived damaged - there's a hole in it.",
        "The {short} from {ref} came ripped.",
        "The box was crushed and the {short} inside is stained.",
        "I received {ref} today but the {short} has a big tear along the seam.",
        "The zip on my {short} broke the first time I used it.",
        "The {item} arrived with a stain on the front. Really disappointed.",
        "Parcel arrived soaking wet and the {short} is ruined.",
        "{ref} arrived but the {short} is damaged, photos attached.",
    ],
    "refund_status": [
        "I returned {ref} a while ago and still haven't had my refund.",
        "When will I get my refund for {ref}?",
        "Has my return for {ref} been received?",
        "I sent back the {item} last week - any update on the refund?",
        "It's been {wait} since I posted my return and no refund yet. {ref}",
        "Can you confirm my refund for {ref} went through? I can't see it on my card.",
        "where is my refund?? {ref}",
        "Just checking if you got my return ({ref}) and when the refund will be.",
    ],
    "payment_issue": [
        "I was charged twice for {ref}.",
        "My card keeps getting declined at checkout, can you help?",
        "There are two charges on my card for the same order. {ref}",
        "PayPal says my payment is pending but I got an order confirmation. Is {ref} paid?",
        "I was charged more than the total at checkout for {ref}.",
        "checkout keeps failing with my visa, tried 3 times",
        "Apple Pay isn't working on your site.",
    ],
    "discount_question": [
        "My discount code {code} isn't working.",
        "I forgot to use my code {code} on {ref}, can you apply it?",
        "I bought the {item} {day} and now it's on sale. Can I get the difference back?",
        "Do you offer a student discount?",
        "The {code} code says it's expired but the email said it runs till Sunday.",
        "Is there a discount for first orders? I signed up but never got the code.",
        "The 20% off didn't apply to {ref}, can you refund the difference?",
        "do you have any promo codes at the moment?",
    ],
    "shipping_question": [
        "Do you ship to {country}?",
        "How long does shipping to {country} usually take?",
        "Do you offer express shipping? I need it by Friday.",
        "Can you ship to a PO box?",
        "How much is shipping to {country}?",
        "Do you have free shipping over a certain amount?",
        "Which carrier do you use for {country}?",
        "do u ship international? im in {country}",
        "If I order today will it arrive before Christmas?",
    ],
    "account": [
        "I can't log in to my account, the password reset email never arrives.",
        "Please unsubscribe me from your emails.",
        "Please delete my account and all my data.",
        "How do I change the email address on my account?",
        "I have two accounts, can you merge them?",
        "stop emailing me",
        "I want to update my phone number on my account.",
        "Under GDPR I'd like a copy of the personal data you hold about me.",
    ],
    "complaint": [
        "I'm really unhappy with how long {ref} is taking. It's been {wait}!",
        "The quality of the {item} is not what I expected for the price.",
        "Your customer service is awful, I've been waiting for a reply for days.",
        "I've ordered from you before but this time the experience was terrible.",
        "The {short} shrank after one wash and now it's unwearable. Very disappointed.",
        "So much plastic packaging for one {short}, not very eco for an 'eco' brand.",
        "{ref} still hasn't arrived and nobody seems to care.",
        "The colour of the {item} looks nothing like the photos.",
    ],
    "praise": [
        "Just wanted to say I love my {item}!",
        "Received {ref} today - the quality is amazing.",
        "Thank you for the quick delivery and the lovely note in the parcel!",
        "The {short} fits perfectly, I'll definitely order again.",
        "Great service, thanks for sorting my issue so fast.",
        "obsessed with my new {short} 😍",
        "Best {short} I've ever owned. Thank you!",
        "Just a quick thank you - everything arrived perfectly.",
    ],
}
DETAILS: dict[str, list[str]] = {
    "order_status": [
        "The tracking number is {tracking}.",
        "Tracking says {status_words}.",
        "I've checked with my neighbours and nothing.",
        "It's been {wait} now.",
        "I paid for shipping so I expected it sooner.",
        "I'm at home all day so it's not a missed delivery.",
    ],
    "return_request": [
        "It's unworn with the tags on.",
        "I received it {delivered_day}.",
        "Do I need to pay for the return?",
        "Can I get a refund rather than store credit?",
        "I still have the original packaging.",
    ],
    "exchange_request": [
        "It's unworn.",
        "I got it {delivered_day}.",
        "Happy to pay the difference if needed.",
    ],
    "change_order": ["I only ordered a few minutes ago.", "Sorry for the hassle!"],
    "cancel_order": [
        "I haven't received a shipping email yet.",
        "Please confirm once it's cancelled.",
        "Please refund to the original card.",
    ],
    "change_address": ["Sorry about that!", "The rest of the address is the same."],
    "wrong_item": [
        "I can send photos.",
        "I need the right one quite urgently.",
        "The packing slip says {size} but the item says {other}.",
    ],
    "damaged_item": [
        "I've attached photos.",
        "I'd like a replacement please.",
        "Can you send a new one?",
        "The outer box was fine so it must have happened before packing.",
    ],
    "refund_status": [
        "The tracking shows you received it.",
        "I used the label you sent.",
        "I'd really like this sorted.",
    ],
    "complaint": [
        "I expected better.",
        "I've been a customer for years.",
        "Please pass this on to a manager.",
    ],
}
SUBJECTS: dict[str, list[str]] = {
    "order_status": [
        "Where is my order?",
        "Order status",
        "Order {num}",
        "Delivery",
        "Still waiting",
        "Tracking",
        "Has my order shipped?",
        "order {num} not arrived",
        "WHERE IS MY ORDER",
    ],
    "return_request": [
        "Return",
        "Return request",
        "Returning an item",
        "Return for order {num}",
        "Refund please",
        "Doesn't fit",
        "return",
    ],
    "exchange_request": [
        "Exchange",
        "Size exchange",
        "Wrong size - exchange?",
        "Exchange order {num}",
        "Swap size",
    ],
    "change_order": ["Change my order", "Wrong size ordered", "Order {num} change", "Edit order"],
    "cancel_order": [
        "Cancel order",
        "Cancellation",
        "Please cancel {num}",
        "cancel",
        "Cancel my order please",
    ],
    "change_address": [
        "Wrong address",
        "Change of address",
        "Address change for {num}",
        "Update shipping address",
    ],
    "product_question": [
        "Question about {product}",
        "Sizing question",
        "Restock?",
        "{product}",
        "Question",
        "Availability",
    ],
    "wrong_item": [
        "Wrong item received",
        "Wrong size sent",
        "Order {num} - wrong item",
        "This isn't what I ordered",
    ],
    "damaged_item": ["Damaged item", "Item arrived damaged", "Order {num} damaged", "Broken", "Faulty item"],
    "refund_status": [
        "Refund",
        "Where is my refund?",
        "Refund status",
        "Return received?",
        "Refund for {num}",
    ],
    "payment_issue": ["Charged twice", "Payment problem", "Card declined", "Double charge", "Payment"],
    "discount_question": ["Discount code", "Promo code not working", "Price adjustment", "Discount?", "Code"],
    "shipping_question": [
        "Shipping question",
        "International shipping",
        "Shipping to {country}",
        "Delivery times",
    ],
    "account": ["Account", "Can't log in", "Unsubscribe", "Delete my account", "Password reset"],
    "complaint": ["Complaint", "Very disappointed", "Not happy", "Terrible experience", "Unacceptable"],
    "praise": ["Thank you!", "Love it", "Thanks", "Happy customer", "Just a quick thanks"],
}
GENERIC_SUBJECTS = ["", "Question", "Help", "Hello", "Hi", "(no subject)", "Help please", "Urgent", "Inquiry"]
ADDRESSES = [
    "412 Maple Ave, Apt 3B, Springfield, IL 62704",
    "88 Harbour St, Unit 5, Portland, ME 04101",
    "1501 W 12th St, Austin, TX 78703",
    "27 Elm Court, Madison, WI 53703",
    "930 Pine Street, Suite 210, Seattle, WA 98101",
    "6 Birch Lane, Boulder, CO 80302",
    "2200 Ocean Ave #4, Santa Monica, CA 90405",
    "15 Chestnut Rd, Brookline, MA 02445",
]
COUNTRIES = [
    "Canada",
    "the UK",
    "Australia",
    "Germany",
    "Ireland",
    "New Zealand",
    "Mexico",
    "France",
    "the Netherlands",
    "Japan",
]
CODES = ["WELCOME10", "SPRING15", "FREESHIP", "BFCM30", "THANKYOU20", "VIP15", "SUMMER20", "LOYAL10"]
WRONG_COLOURS = ["black", "navy", "grey", "white", "green", "pink", "red"]
FIRST_NAMES = [
    "Sarah",
    "Mike",
    "Jess",
    "Tom",
    "Aisha",
    "Carlos",
    "Mei",
    "Olga",
    "Dan",
    "Priya",
    "Lena",
    "Marcus",
    "Hannah",
    "Kofi",
    "Yuki",
    "Rachel",
    "Ben",
    "Fatima",
    "Luca",
    "Emily",
]
LAST_NAMES = ["Johnson", "Lee", "Martinez", "Patel", "Nowak", "Brown", "Cohen", "Silva", "Kowalski", "Ward"]
MAIL_DOMAINS = [
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "icloud.com",
    "aol.com",
    "protonmail.com",
]

SPAM = [
    (
        "Boost your Google ranking",
        "Hello,\n\nI was checking your website {domain} and noticed it is not ranking on the "
        "first page of Google for many keywords. Our SEO team can get you to page 1 in 30 days, "
        "guaranteed.\n\n"
        "Shall I send you a free audit and price list?\n\nRegards,\nAlex\nSEO Consultant",
    ),
    (
        "Guest post opportunity",
        "Hi there,\n\nI'm reaching out to see if you accept guest posts on {domain}. "
        "We can offer $50 per article with a do-follow link.\n\nThanks,\nNina",
    ),
    (
        "URGENT: Your store will be suspended",
        "Dear Merchant,\n\nWe detected unusual activity on your store account. "
        "Your store will be suspended within 24 hours unless you verify your payment details here:\n"
        "http://shopify-merchant-verify.support-center.co/login\n\nShopify Billing Team",
    ),
    (
        "Action required: verify your Amazon seller account",
        "Dear Seller,\n\nYour account has been flagged. "
        "To avoid deactivation, please confirm your identity within 48 hours: http://sellercentral-amazon.verify-id.net\n\n"
        "Amazon Seller Performance",
    ),
    (
        "Re: invoice #88412 overdue",
        "Hello,\n\nPlease find attached the overdue invoice. Kindly process payment today "
        "to avoid late fees.\n\nDownload: http://docs-share.biz/inv88412.zip\n\nAccounts Department",
    ),
    (
        "Increase your sales by 300%",
        "Hi {shop},\n\nWe build high-converting Shopify stores. Our clients see 3x sales "
        "in the first month. Let me know if you want a free redesign mockup.\n\n"
        "Best,\nRaj | Web Design Studio",
    ),
    (
        "Collaboration ✨",
        "Hey babe! 💕 I'm an influencer with 2k followers and I LOVE your brand. I'd promote your "
        "products to my audience in exchange for free products + $300. DM me!\nxoxo",
    ),
    (
        "B2B leads for e-commerce",
        "Hi,\n\nWould you be interested in a verified list of 25,000 boutique owners in "
        "the US with emails and phone numbers? Special price this week.\n\nRegards,\nData Team",
    ),
    (
        "Your website has errors",
        "Hello Business Owner,\n\nI found 17 critical errors on {domain} that are "
        "costing you customers. Reply YES and I'll send the report.\n\nThanks,\nKevin",
    ),
    (
        "Congratulations! You won",
        "Dear winner,\n\nYour email was selected in our annual promotion. "
        "To claim $1,000,000 reply with your full name and bank details.\n\nMr. James Morgan",
    ),
]
SPAM_SENDERS = [
    "alex@rank-boosters.net",
    "nina.outreach@contentlinks.io",
    "billing@shopify-merchant-verify.co",
    "seller-performance@amazon-seller-alerts.info",
    "accounts@docs-share.biz",
    "raj@webstudio-pro.co",
    "glow.with.kayla@gmail.com",
    "sales@b2bleadsdata.com",
    "kevin.audit@siteaudit-pro.net",
    "james.morgan.claims@outlook.com",
]
OTHER = [
    (
        "Wholesale inquiry",
        "Hi,\n\nI own a small boutique in {city2} and I love your products. Do you do wholesale? "
        "Could you send me your line sheet and minimums?\n\nThanks,\n{name}\n{company}",
    ),
    (
        "Press request",
        "Hello,\n\nI'm a writer at {magazine} putting together a gift guide for next month. "
        "Would you be able to send high-res images and prices for your bestsellers?\n\nBest,\n{name}",
    ),
    (
        "Job application",
        "Hi there,\n\nI'd love to work with you - do you have any part-time roles in the warehouse "
        "or customer service? My CV is attached.\n\nKind regards,\n{name}",
    ),
    (
        "Do you have a shop?",
        "Hi, do you have a physical store I can visit? I'd like to see the colours in person. {name}",
    ),
    (
        "Collaboration",
        "Hi {shop} team,\n\nI run a small sustainable living blog and would love to feature your "
        "brand in a post about ethical basics. No fee, just a genuine write-up. Interested?\n\n{name}",
    ),
    (
        "Donation request",
        "Hello,\n\nOur school is holding a charity raffle in {city2} next month. Would you "
        "consider donating a gift card or a product as a prize?\n\nMany thanks,\n{name}\nPTA volunteer",
    ),
    (
        "Supplier introduction",
        "Dear {shop},\n\nWe are a certified organic cotton mill and would like to "
        "introduce our fabrics. Can I send samples to your design team?\n\nBest regards,\n{name}\n{company}",
    ),
]
COMPANIES = ["Willow & Co Boutique", "Northside Goods", "Fern Lifestyle Store", "Greenweave Textiles Ltd"]
MAGAZINES = ["The Everyday Edit", "Green Living Weekly", "Modern Maker Magazine"]
CITIES = ["Austin", "Denver", "Asheville", "Portland", "Savannah", "Burlington"]


# --------------------------------------------------------------------------------------------
# Composition
# --------------------------------------------------------------------------------------------


class Writer:
    """Composes messy, human emails from fragments with one seeded generator."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def pick(self, options: Sequence[Any]) -> Any:
        return options[int(self.rng.integers(0, len(options)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def typos(self, text: str, rate: float) -> str:
        """Misspell some template words; placeholders and numbers are never touched."""

        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            if not self.chance(rate):
                return word
            lower = word.lower()
            if lower in COMMON_TYPOS:
                return COMMON_TYPOS[lower]
            if len(word) < 4:
                return word
            i = int(self.rng.integers(1, len(word) - 1))
            kind = int(self.rng.integers(0, 3))
            if kind == 0:
                return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            if kind == 1:
                return word[:i] + word[i + 1 :]
            return word[:i] + word[i] + word[i:]

        # Split on placeholders so {ref} and friends survive intact.
        pieces = re.split(r"(\{[a-z_0-9]+\})", text)
        return "".join(p if p.startswith("{") else re.sub(r"[A-Za-z']+", fix, p) for p in pieces)


@dataclass
class Draft:
    """One email being written, with the facts its label will carry."""

    intent: str
    order: StoreOrder | None
    sender: str
    sender_name: str | None
    customer_id: int | None
    sent_at: datetime
    facts: dict[str, Any]
    slots: dict[str, str]
    secondary: str | None = None
    product_item: Item | None = None


def _first_name(name: str | None) -> str | None:
    return name.split()[0] if name else None


def _short(product: str) -> str:
    """Return how a customer names a product: 'Art Print A3' -> 'art print'."""
    words = [w for w in re.split(r"\s+", product) if w and not any(ch.isdigit() for ch in w) and w != "No."]
    words = words or product.split()
    if len(words) <= 2:
        return " ".join(words).lower()
    return f"{words[0]} {words[-1]}".lower()


def _number_forms(order: StoreOrder) -> tuple[list[str], list[str]]:
    """Return (noun phrases, bare forms) a customer might use for this order's number."""
    number = order.number.strip()
    digits = number.lstrip("#")
    if order.kind == "amazon":
        return (
            [f"order {digits}", f"Amazon order {digits}", f"order #{digits}", f"my order {digits}"],
            [digits],
        )
    if order.kind == "etsy":
        return (
            [f"order {digits}", f"Etsy order #{digits}", f"receipt {digits}", f"my Etsy order {digits}"],
            [digits, f"#{digits}"],
        )
    return (
        [
            f"order #{digits}",
            f"order {digits}",
            f"my order {digits}",
            f"order no. {digits}",
            f"order number {digits}",
            f"order # {digits}",
            f"#{digits}",
            f"ORDER {digits}",
        ],
        [f"#{digits}", digits, f"#{digits}"],
    )


def _ref_pattern(order: StoreOrder) -> re.Pattern[str]:
    digits = re.escape(order.number.strip().lstrip("#"))
    return re.compile(rf"(?<![\d-]){digits}(?![\d-])")


def _day_phrase(day: date, when: date, writer: Writer) -> str:
    delta = (when - day).days
    if delta <= 0:
        return "today"
    if delta == 1:
        return writer.pick(["yesterday", "yesterday"])
    if delta < 7:
        return writer.pick([f"on {day.strftime('%A')}", f"{delta} days ago", f"on {day.strftime('%A')}"])
    if delta < 14:
        return writer.pick(
            [
                "last week",
                f"on {day.strftime('%b')} {day.day}",
                f"on the {_ordinal(day.day)}",
                f"on {day.month}/{day.day}",
            ]
        )
    return writer.pick(
        [
            f"on {day.strftime('%B')} {day.day}",
            f"{delta // 7} weeks ago",
            f"on {day.month}/{day.day}",
            "a few weeks ago",
        ]
    )


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _wait_phrase(days: float) -> str:
    whole = max(int(days), 1)
    if whole < 7:
        return f"{whole} days"
    if whole < 14:
        return "over a week"
    return f"{whole // 7} weeks"


def _item_phrase(item: Item, writer: Writer) -> str:
    base = writer.pick([item.product, _short(item.product), item.product.lower()])
    options = [base]
    if item.colour:
        options.append(f"{base} in {item.colour.lower()}")
    if item.size:
        options.append(f"{base} (size {item.size})")
    if item.colour and item.size:
        options.append(f"{item.colour.lower()} {_short(item.product)} in {item.size}")
    return str(writer.pick(options))


def _message_id(sender: str, sent_at: datetime, writer: Writer) -> str:
    """Return a Message-ID shaped like the sender's mail client makes them."""
    domain = sender.rsplit("@", 1)[-1].lower()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

    def token(n: int, chars: str = alphabet) -> str:
        return "".join(chars[int(i)] for i in writer.rng.integers(0, len(chars), n))

    stamp = int(sent_at.timestamp())
    if domain == "gmail.com":
        return f"<CA{token(2)}{token(42)}@mail.gmail.com>"
    if domain in ("outlook.com", "hotmail.com"):
        return (
            f"<{token(4, upper)}PR{int(writer.rng.integers(10, 20))}MB{token(4, upper)}{token(20, upper)}"
            f"@{token(4, upper)}PR{int(writer.rng.integers(10, 20))}MB{int(writer.rng.integers(1000, 9999))}."
            "namprd11.prod.outlook.com>"
        )
    if domain in ("icloud.com", "me.com"):
        hexes = "0123456789ABCDEF"
        groups = "-".join(token(n, hexes) for n in (8, 4, 4, 4, 12))
        return f"<{groups}@icloud.com>"
    if domain == "yahoo.com":
        return (
            f"<{int(writer.rng.integers(10**8, 10**9))}.{int(writer.rng.integers(10**6, 10**7))}."
            f"{stamp}{int(writer.rng.integers(100, 999))}@mail.yahoo.com>"
        )
    if domain == AMAZON_RELAY_DOMAIN:
        return f"<0100{token(12, HEX)}-{token(8, HEX)}-{token(4, HEX)}-000000@email.amazonses.com>"
    return f"<{stamp}.{token(16, '0123456789abcdef')}@{domain}>"


def _quote_attribution(author: str, address: str, at: datetime, writer: Writer, tz: Any) -> str:
    local = at.astimezone(tz)
    hour = local.strftime("%I").lstrip("0")
    clock = f"{hour}:{local.strftime('%M %p')}"
    style = int(writer.rng.integers(0, 3))
    if style == 0:
        return (
            f"On {local.strftime('%a, %b')} {local.day}, {local.year} at {clock} {author} <{address}> wrote:"
        )
    if style == 1:
        return (
            f"On {local.strftime('%b')} {local.day}, {local.year}, at {local.strftime('%H:%M')}, "
            f"{author} <{address}> wrote:"
        )
    return f"On {local.strftime('%a')}, {local.day} {local.strftime('%b')} {local.year}, {author} wrote:"


def _quoted(text: str) -> str:
    return "\n".join(">" if not line else f"> {line}" for line in text.splitlines())


# --------------------------------------------------------------------------------------------
# Choosing what each email is about
# --------------------------------------------------------------------------------------------


@dataclass
class Pools:
    in_transit: list[StoreOrder]
    unshipped_old: list[StoreOrder]
    delivered: list[StoreOrder]
    recent_unshipped: list[StoreOrder]
    recent_shipped: list[StoreOrder]
    with_return: list[StoreOrder]
    late: list[StoreOrder]
    any_recent: list[StoreOrder]


def _pools(orders: list[StoreOrder], now: datetime) -> Pools:
    live = [o for o in orders if o.cancelled_at is None and o.fulfillment_status != "cancelled" and o.items]
    day = timedelta(days=1)
    in_transit = [o for o in live if o.is_shipped and not o.is_delivered and now - o.ordered_at < 30 * day]
    return Pools(
        in_transit=in_transit,
        unshipped_old=[o for o in live if not o.is_shipped and 3 * day < now - o.ordered_at < 14 * day],
        delivered=[
            o
            for o in live
            if o.delivered_at is not None
            and not o.returns
            and not o.refunds
            and now - o.delivered_at < 45 * day
        ],
        recent_unshipped=[o for o in live if not o.is_shipped and now - o.ordered_at < 3 * day],
        recent_shipped=[o for o in live if o.is_shipped and now - o.ordered_at < 6 * day],
        with_return=[o for o in live if o.returns or o.refunds],
        late=[o for o in in_transit if o.estimated_delivery_at is not None and o.estimated_delivery_at < now],
        any_recent=[o for o in live if now - o.ordered_at < 35 * day],
    )


def _sender_of(order: StoreOrder, writer: Writer) -> tuple[str, str | None]:
    # Marketplaces often hide the buyer's name; the customer still signs with one.
    name = (order.name or "").strip() or f"{writer.pick(FIRST_NAMES)} {writer.pick(LAST_NAMES)}"
    if order.kind == "amazon" and not order.email:
        relay = "".join(writer.pick("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(14))
        return f"{relay}@{AMAZON_RELAY_DOMAIN}", name
    if order.email:
        return order.email, name
    return _stranger_address(name, writer), name


def _stranger_address(name: str, writer: Writer) -> str:
    first, *rest = name.lower().split()
    last = rest[-1] if rest else "x"
    local = writer.pick(
        [
            f"{first}.{last}",
            f"{first}{last}{int(writer.rng.integers(1, 99))}",
            f"{first[0]}{last}",
            f"{first}_{last}",
        ]
    )
    return f"{re.sub(r'[^a-z0-9._]', '', local)}@{writer.pick(MAIL_DOMAINS)}"


def _order_facts(order: StoreOrder, now: datetime) -> dict[str, Any]:
    return {
        "order_number": order.number,
        "channel": order.kind,
        "fulfillment_status": order.fulfillment_status,
        "financial_status": order.financial_status,
        "is_shipped": order.is_shipped,
        "is_delivered": order.is_delivered,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "tracking_status": order.tracking_status if order.is_shipped else None,
        "last_tracking_event": order.last_event,
        "shipped_on": order.shipped_at.date().isoformat() if order.shipped_at else None,
        "estimated_delivery_on": order.estimated_delivery_at.date().isoformat()
        if order.estimated_delivery_at
        else None,
        "delivered_on": order.delivered_at.date().isoformat() if order.delivered_at else None,
        "is_late": bool(
            order.estimated_delivery_at and not order.is_delivered and order.estimated_delivery_at < now
        ),
    }


def _uniform_time(low: datetime, high: datetime, writer: Writer) -> datetime:
    span = max((high - low).total_seconds(), 60.0)
    return low + timedelta(seconds=float(writer.rng.random()) * span)


class Planner:
    """Decides, for each email, which order it is about and the facts that order makes true."""

    def __init__(
        self, store: Store, pools: Pools, ctx: DemoContext, cutoff: datetime, writer: Writer
    ) -> None:
        self.store, self.pools, self.ctx, self.cutoff, self.writer = store, pools, ctx, cutoff, writer
        self.used: set[int] = set()
        self.shuffled: dict[int, list[StoreOrder]] = {}
        self.cursor: dict[int, int] = {}
        self.now = ctx.now

    def take(self, *candidates: list[StoreOrder]) -> StoreOrder | None:
        """Pick an order not yet written about from the first non-exhausted pool."""
        for pool in candidates:
            # Each pool is shuffled once and consumed from a cursor: O(1) per email on any store.
            key = id(pool)
            if key not in self.shuffled:
                self.shuffled[key] = [pool[int(i)] for i in self.writer.rng.permutation(len(pool))]
                self.cursor[key] = 0
            shuffled = self.shuffled[key]
            while self.cursor[key] < len(shuffled):
                order = shuffled[self.cursor[key]]
                self.cursor[key] += 1
                if order.id not in self.used:
                    self.used.add(order.id)
                    return order
        return None

    def take_matching(
        self, pool: list[StoreOrder], wanted: Callable[[StoreOrder], bool]
    ) -> StoreOrder | None:
        """Pick the next order not yet written about that ``wanted`` accepts; the others stay for
        later drafts (the cursor only moves past orders already used)."""
        key = id(pool)
        if key not in self.shuffled:
            self.shuffled[key] = [pool[int(i)] for i in self.writer.rng.permutation(len(pool))]
            self.cursor[key] = 0
        shuffled = self.shuffled[key]
        while self.cursor[key] < len(shuffled) and shuffled[self.cursor[key]].id in self.used:
            self.cursor[key] += 1
        for order in shuffled[self.cursor[key] :]:
            if order.id not in self.used and wanted(order):
                self.used.add(order.id)
                return order
        return None

    def _has_alternative(self, item: Item) -> bool:
        siblings = self.store.catalog.by_product.get(item.product_id or -1, [])
        return any(v.variant_id != item.variant_id for v in siblings)

    def _offers_alternatives(self, order: StoreOrder) -> bool:
        return any(self._has_alternative(item) for item in order.items)

    def when(self, after: datetime, days_back: float = 21) -> datetime:
        low = max(after + timedelta(minutes=20), self.cutoff - timedelta(days=days_back))
        return _uniform_time(min(low, self.cutoff - timedelta(minutes=5)), self.cutoff, self.writer)

    def plan(self, intent: str) -> Draft | None:
        w, now = self.writer, self.now
        p = self.pools
        order: StoreOrder | None = None
        facts: dict[str, Any] = {}
        slots: dict[str, str] = {}
        item: Item | None = None
        sent_at: datetime

        if intent == "order_status":
            order = (
                self.take(p.late, p.in_transit, p.unshipped_old)
                if w.chance(0.35)
                else self.take(p.in_transit, p.unshipped_old, p.late)
                if w.chance(0.85)
                else self.take(p.unshipped_old, p.in_transit)
            )
            if order is None:
                return None
            sent_at = self.when(order.shipped_at or order.ordered_at + timedelta(days=2), days_back=6)
            facts = _order_facts(order, now)
        elif intent in ("return_request", "exchange_request", "wrong_item", "damaged_item", "praise"):
            # An exchange is for another size or colour of the same product: people ask it about an
            # item that comes in others, not about a one-size coaster set.
            order = (
                self.take_matching(p.delivered, self._offers_alternatives)
                if intent == "exchange_request"
                else self.take(p.delivered)
            )
            if order is None:
                return None
            assert order.delivered_at is not None
            sent_at = self.when(order.delivered_at + timedelta(hours=3), days_back=14)
            item = self._pick_item(
                order,
                need_size=intent in ("exchange_request", "wrong_item"),
                need_alternative=intent == "exchange_request",
            )
            days = (now - order.delivered_at).days
            facts = _order_facts(order, now) | {
                "item_sku": item.sku,
                "item_title": item.title,
                "days_since_delivery": days,
                "return_window_days": RETURN_WINDOW_DAYS,
                "return_eligible": days <= RETURN_WINDOW_DAYS,
            }
            if intent == "exchange_request":
                facts |= self._alternative(item, slots)
            if intent == "wrong_item":
                self._alternative(item, slots)
                facts |= {"ordered_sku": item.sku, "ordered_size": item.size, "ordered_colour": item.colour}
        elif intent in ("cancel_order", "change_address", "change_order"):
            shipped_too = w.chance(0.35)
            pools = (
                (p.recent_shipped, p.recent_unshipped)
                if shipped_too
                else (p.recent_unshipped, p.recent_shipped)
            )
            if intent == "change_order":
                # Changing an item's size or colour needs an item that comes in another one.
                order = self.take_matching(pools[0], self._offers_alternatives) or self.take_matching(
                    pools[1], self._offers_alternatives
                )
            else:
                order = self.take(*pools)
            if order is None:
                return None
            sent_at = self.when(order.ordered_at + timedelta(minutes=10), days_back=3)
            facts = _order_facts(order, now) | {"can_modify": not order.is_shipped}
            item = self._pick_item(
                order, need_size=intent == "change_order", need_alternative=intent == "change_order"
            )
            if intent == "change_address":
                address = str(w.pick(ADDRESSES))
                slots["address"] = address
                facts["new_address"] = address
            if intent == "change_order":
                facts |= {"item_sku": item.sku} | self._alternative(item, slots)
        elif intent == "refund_status":
            order = self.take(p.with_return)
            if order is None:
                return None
            requested = order.returns[0]["requested_at"] if order.returns else order.refunds[0]["refunded_at"]
            sent_at = self.when(requested + timedelta(days=2), days_back=20)
            refunded = sum(r["amount_units"] for r in order.refunds)
            last_refund = max((r["refunded_at"] for r in order.refunds), default=None)
            first_return = order.returns[0] if order.returns else {}
            facts = _order_facts(order, now) | {
                "rma_number": first_return.get("rma_number"),
                "return_status": first_return.get("status"),
                "return_received": first_return.get("received_at") is not None,
                "is_refunded": bool(order.refunds),
                "refund_amount": str((Decimal(refunded) / SCALE).quantize(Decimal("0.01")))
                if refunded
                else None,
                "refunded_on": last_refund.date().isoformat() if last_refund else None,
            }
            item = order.items[0]
        elif intent == "complaint":
            about_order = w.chance(0.75)
            order = self.take(p.late, p.in_transit, p.delivered) if about_order else None
            sent_at = self.when(
                order.ordered_at + timedelta(days=3) if order else self.cutoff - timedelta(days=21)
            )
            facts = _order_facts(order, now) if order else {}
            item = order.items[0] if order else None
        elif intent in ("payment_issue", "discount_question"):
            order = self.take(p.any_recent) if w.chance(0.55) else None
            sent_at = self.when(
                order.ordered_at + timedelta(minutes=30) if order else self.cutoff - timedelta(days=21)
            )
            if order:
                facts = {
                    "order_number": order.number,
                    "financial_status": order.financial_status,
                    "discount_codes": order.discount_codes,
                }
                item = order.items[0]
            code = (order.discount_codes or "").split(",")[0].strip() if order else ""
            slots["code"] = code or str(w.pick(CODES))
            if intent == "discount_question":
                facts["code_mentioned"] = slots["code"]
        else:
            sent_at = _uniform_time(self.cutoff - timedelta(days=21), self.cutoff, w)

        if order is not None:
            sender, name = _sender_of(order, w)
            customer_id = order.customer_id
        elif intent in ("spam", "other") or w.chance(0.35) or not self.store.customers:
            name = f"{w.pick(FIRST_NAMES)} {w.pick(LAST_NAMES)}"
            sender, customer_id = _stranger_address(name, w), None
        else:
            customer_id, sender, name = self.store.customers[
                int(w.rng.integers(0, len(self.store.customers)))
            ]
        draft = Draft(intent, order, sender, name, customer_id, sent_at, facts, slots)
        if intent == "product_question":
            self._product_question(draft)
        if item is not None:
            draft.product_item = item
        return draft

    def _pick_item(self, order: StoreOrder, need_size: bool, need_alternative: bool = False) -> Item:
        sized = [i for i in order.items if i.size] if need_size else []
        if need_alternative:
            sized = [i for i in sized if self._has_alternative(i)] or [
                i for i in order.items if self._has_alternative(i)
            ]
        options = sized or order.items
        return options[int(self.writer.rng.integers(0, len(options)))]

    def _alternative(self, item: Item, slots: dict[str, str]) -> dict[str, Any]:
        """Choose the size (or colour) the customer wants instead, and its availability."""
        catalog = self.store.catalog
        siblings = catalog.by_product.get(item.product_id or -1, [])
        wanted: Item | None = None
        if item.size and item.size in SIZES:
            step = 1 if self.writer.chance(0.55) else -1
            index = SIZES.index(item.size) + step
            for candidate in (index, SIZES.index(item.size) - step):
                if 0 <= candidate < len(SIZES):
                    wanted = next(
                        (v for v in siblings if v.size == SIZES[candidate] and v.colour == item.colour), None
                    )
                    if wanted:
                        break
        if wanted is None:
            others = [v for v in siblings if v.variant_id != item.variant_id]
            wanted = others[int(self.writer.rng.integers(0, len(others)))] if others else None
        if wanted is None:
            slots["other"] = "a different size"
            slots["fit"] = "small"
            return {"wanted_sku": None, "wanted_in_stock": None}
        larger = bool(
            item.size
            and wanted.size
            and item.size in SIZES
            and wanted.size in SIZES
            and SIZES.index(wanted.size) > SIZES.index(item.size)
        )
        slots["other"] = (
            wanted.size if wanted.size and wanted.size != item.size else (wanted.colour or "").lower()
        )
        slots["fit"] = "small" if larger else "big"
        on_hand = catalog.on_hand.get(wanted.variant_id or -1, 0)
        arrival = catalog.next_arrival.get(wanted.variant_id or -1)
        return {
            "wanted_sku": wanted.sku,
            "wanted_size": wanted.size,
            "wanted_colour": wanted.colour,
            "wanted_in_stock": on_hand > 0,
            "wanted_on_hand": on_hand,
            "wanted_next_arrival_on": arrival.isoformat() if arrival and on_hand <= 0 else None,
        }

    def _product_question(self, draft: Draft) -> None:
        catalog = self.store.catalog
        if not catalog.variants:
            draft.intent = "other"
            return
        # Ask about sold-out variants more often than their share: that is when people write.
        sold_out = [v for v in catalog.variants if catalog.on_hand.get(v.variant_id or -1, 0) <= 0]
        pool = sold_out if sold_out and self.writer.chance(0.45) else catalog.variants
        item = pool[int(self.writer.rng.integers(0, len(pool)))]
        on_hand = catalog.on_hand.get(item.variant_id or -1, 0)
        arrival = catalog.next_arrival.get(item.variant_id or -1)
        draft.product_item = item
        draft.facts = {
            "product": item.product,
            "sku": item.sku,
            "size": item.size,
            "colour": item.colour,
            "in_stock": on_hand > 0,
            "on_hand": on_hand,
            "next_arrival_on": arrival.isoformat() if arrival and on_hand <= 0 else None,
        }


# --------------------------------------------------------------------------------------------
# Writing one email
# --------------------------------------------------------------------------------------------


@dataclass
class Written:
    subject: str
    body: str
    new_text: str
    quote: str
    in_reply_to: str | None
    style: str


def _order_ref(
    draft: Draft, writer: Writer, mode: str, when: date, avoid_day: bool = False
) -> tuple[str, str]:
    """Return the ({ref} phrase, bare number) for the order, or a description when mode is 'none'."""
    order = draft.order
    if order is None:
        return "my order", ""
    phrases, bare = _number_forms(order)
    if mode in ("body", "line"):
        return str(writer.pick(phrases)), str(writer.pick(bare))
    item = draft.product_item or order.items[0]
    day = _day_phrase(order.ordered_at.date(), when, writer)
    dated = [
        f"the order I placed {day}",
        f"the {_short(item.product)} I ordered {day}",
        f"my order from {day.removeprefix('on ')}",
    ]
    plain = [
        "my order",
        "my recent order",
        f"my {_short(item.product)} order",
        "my parcel",
        f"my order of the {item.product.lower()}",
    ]
    description = writer.pick(plain if avoid_day else plain + dated)
    return str(description), str(writer.pick(bare))


def _fill(template: str, slots: dict[str, str]) -> str:
    return re.sub(r"\{([a-z_0-9]+)\}", lambda m: slots.get(m.group(1), m.group(0)), template)


def _compose(draft: Draft, store: Store, ctx: DemoContext, writer: Writer) -> Written:
    w = writer
    intent = draft.intent
    when = draft.sent_at.astimezone(ctx.timezone).date()
    style = str(
        w.pick(
            ["polite", "polite", "polite", "terse", "terse", "angry", "chatty", "formal", "phone", "phone"]
        )
    )
    if intent in ("praise",):
        style = str(w.pick(["polite", "chatty", "phone", "terse"]))
    if intent in ("complaint",) and w.chance(0.6):
        style = "angry"
    if intent == "order_status" and draft.facts.get("is_late") and w.chance(0.4):
        style = "angry"

    order = draft.order
    # Where the order number appears: in a sentence, on its own line, only in the subject, nowhere.
    mode = "none"
    if order is not None:
        mode = str(w.pick(["body"] * 9 + ["line"] * 3 + ["subject"] * 2 + ["none"] * 6))
        if order.kind == "amazon" and w.chance(0.5):
            mode = "subject"  # Amazon's buyer-seller messages put the order id in the subject
    item = draft.product_item or (order.items[0] if order and order.items else None)
    slots = {
        "shop": store.name,
        "domain": store.domain,
        "item": _item_phrase(item, w) if item else "the item",
        "short": _short(item.product) if item else "item",
        "product": item.product if item else "product",
        "size": (item.size if item and item.size else str(w.pick(["M", "S", "L"]))),
        "colour": (item.colour.lower() if item and item.colour else str(w.pick(WRONG_COLOURS))),
        "wrong": str(w.pick(WRONG_COLOURS)),
        "country": str(w.pick(COUNTRIES)),
        "code": str(w.pick(CODES)),
        "fit": str(w.pick(["small", "big", "tight", "long"])),
        "other": str(w.pick(["M", "L", "S"])),
        "day": _day_phrase(order.ordered_at.date(), when, w) if order else "last week",
        "wait": _wait_phrase((draft.sent_at - order.ordered_at).total_seconds() / 86400)
        if order
        else "a week",
        "carrier": carrier_name(order.carrier) if order else "the carrier",
        "tracking": order.tracking_number or "" if order else "",
        "status_words": (order.last_event or "in transit").lower() if order else "in transit",
        "delivered_day": _day_phrase(order.delivered_at.date(), when, w)
        if order and order.delivered_at
        else "last week",
    } | draft.slots
    if slots["colour"] and item and item.colour and slots["wrong"] == item.colour.lower():
        slots["wrong"] = "white" if slots["wrong"] != "white" else "black"

    typo_rate = {"terse": 0.08, "phone": 0.07, "angry": 0.04}.get(style, 0.015)
    lower = style in ("terse", "phone") and w.chance(0.6)

    def say(template: str, shout: bool = True) -> str:
        text = w.typos(template, typo_rate)
        if lower:
            text = text.lower()
        if shout and style == "angry" and w.chance(0.3):
            text = text.rstrip(".?!") + w.pick(["!!", "!!!", "??", "?!"])
        return _fill(text, slots)

    # The ask, avoiding templates that need an order when there is none or tracking when unknown.
    asks = ASKS.get(intent, ["I have a question."])
    if order is None:
        asks = [a for a in asks if "{ref}" not in a and "{day}" not in a and "{wait}" not in a] or asks
    if not slots["tracking"]:
        asks = [a for a in asks if "{carrier}" not in a] or asks
    if intent == "order_status" and order is not None and not order.is_shipped:
        asks = [a for a in asks if "tracking" not in a.lower() and "{carrier}" not in a] or asks
    if intent == "product_question" and item is not None:
        asks = [
            a
            for a in asks
            if ("{size}" not in a or item.size)
            and ("{colour}" not in a or item.colour)
            and (item.size or "S or M" not in a)
        ] or asks
    if intent in ("exchange_request", "change_order") and item is not None:
        # "instead of the M I got" needs an item that has a size; "the wrong size" or "too small"
        # needs a size to be what the customer wants changed, not the colour.
        by_size = slots["other"] in SIZES
        asks = [
            a
            for a in asks
            if ("{size}" not in a or item.size) and (by_size or ("size" not in a and "{fit}" not in a))
        ] or asks
    ask_template = str(w.pick(asks))
    ref, bare = _order_ref(draft, w, mode, when, avoid_day="{day}" in ask_template)
    slots |= {"ref": ref, "num": bare}
    if mode in ("line", "subject") and "{ref}" in ask_template:
        # The number is given elsewhere (its own line, the subject): the sentence just says "my order".
        ask_template = ask_template.replace(" ({ref})", "").replace("({ref})", "")
        slots["ref"] = (
            "my order" if mode == "line" else _order_ref(draft, w, "none", when, "{day}" in ask_template)[0]
        )
    _facts_from_text(draft, ask_template, slots)
    asked_item = draft.product_item if intent == "product_question" else None
    handle = store.handles.get(asked_item.product_id or -1) if asked_item is not None else None
    draft.facts |= store_answer_facts(ask_template, handle)

    lines: list[str] = []
    if style not in ("terse",) or w.chance(0.3):
        greeting = str(w.pick(FORMAL_GREETINGS if style == "formal" else GREETINGS))
        if not greeting.endswith(","):
            greeting += str(w.pick([",", "", "!", ","]))
        lines.append(say(greeting, shout=False))
        lines.append("")
    body: list[str] = []
    if style in ("polite", "formal", "chatty") and w.chance(0.45):
        body.append(say(str(w.pick(OPENERS))))
    if style == "chatty" and w.chance(0.7):
        body.append(say(str(w.pick(CHATTY))))
    body.append(say(ask_template))
    details = DETAILS.get(intent, [])
    if details and style != "terse" and w.chance(0.5):
        detail = str(w.pick(details))
        if ("{tracking}" not in detail or slots["tracking"]) and (
            "{status_words}" not in detail or (order and order.last_event)
        ):
            body.append(say(detail))
    if style == "angry":
        body.append(say(str(w.pick(ANGRY_LINES))))
        if w.chance(0.4):
            body.append(say(str(w.pick(ANGRY_LINES))))
    if draft.secondary:
        secondary_text = _secondary_text(draft.secondary, w)
        draft.facts |= store_answer_facts(secondary_text, None)
        body.append(say(secondary_text))
    lines.append(" ".join(body) if w.chance(0.6) else "\n\n".join(body))
    if mode == "line":
        lines.append("")
        lines.append(
            str(w.pick(["Order: ", "Order #: ", "Order number: ", "order no ", "Ref: "]))
            + (slots["num"] if order and order.kind == "shopify" else order.number if order else "")
        )
    closing = str(w.pick(CLOSINGS)) if style in ("polite", "formal", "chatty") else ""
    if closing:
        lines += ["", say(closing, shout=False)]
    name = draft.sender_name
    signoff_name = str(w.pick([_first_name(name) or "", name or "", (_first_name(name) or "")[:1], ""]))
    if style != "terse" or w.chance(0.4):
        signoff = str(w.pick(SIGNOFFS))
        lines += ["", f"{say(signoff, shout=False)}{',' if w.chance(0.6) else ''}"]
        if signoff_name:
            lines.append(signoff_name)
    elif signoff_name and w.chance(0.5):
        lines.append(f"- {signoff_name}")
    if style == "phone" or (style != "formal" and w.chance(0.08)):
        lines += ["", str(w.pick(PHONE_SIGNATURES))]
    elif style == "formal" and name and w.chance(0.6):
        lines += [
            "",
            "--",
            name,
            f"+1 ({int(w.rng.integers(200, 999))}) {int(w.rng.integers(200, 999))}-"
            f"{int(w.rng.integers(1000, 9999))}",
        ]
    new_text = "\n".join(lines).strip("\n")

    # Subject; replies to the shop's own notification keep its subject and quote it.
    subject_templates = SUBJECTS.get(intent, GENERIC_SUBJECTS)
    subject = str(w.pick(subject_templates if w.chance(0.75) else GENERIC_SUBJECTS))
    if "{num}" in subject and (order is None or mode == "none"):
        subject = str(w.pick([s for s in subject_templates if "{num}" not in s] or GENERIC_SUBJECTS))
    # Amazon's Buyer-Seller Messaging writes the subject of a message sent about an order itself and
    # always names the order in it, whatever the buyer types: a relayed message is never without it.
    amazon_relay = (
        order is not None and order.kind == "amazon" and draft.sender.endswith("@" + AMAZON_RELAY_DOMAIN)
    )
    if mode == "subject" and order is not None and not amazon_relay:
        subject = (
            f"{subject} - order {order.number.lstrip('#')}"
            if order.kind != "amazon"
            else f"Inquiry from Amazon customer {name or ''} (Order: {order.number})"
        ).strip()
    if lower:
        subject = subject.lower()
    subject = _fill(subject, slots)
    if amazon_relay and order is not None:
        subject = f"Inquiry from Amazon customer {name or ''} (Order: {order.number})"

    quote, in_reply_to = "", None
    if (
        order is not None
        and order.kind not in MARKETPLACES
        and intent
        in ("order_status", "cancel_order", "change_address", "return_request", "complaint", "change_order")
        and w.chance(0.22)
    ):
        quote, subject, in_reply_to = _notification_quote(order, store, ctx, draft, w)
    body_text = new_text + ("\n\n" + quote if quote else "")
    return Written(subject, body_text, new_text, quote, in_reply_to, style)


def _facts_from_text(draft: Draft, template: str, slots: dict[str, str]) -> None:
    """Keep only the facts the chosen wording actually asks about."""
    if draft.intent == "discount_question":
        draft.facts.pop("code_mentioned", None)
        if "{code}" in template:
            draft.facts["code_mentioned"] = slots["code"]
    elif draft.intent == "shipping_question":
        draft.facts = {"country": slots["country"]} if "{country}" in template else {}
    elif draft.intent == "product_question":
        lowered = template.lower()
        if "{size}" in template or "{colour}" in template or "stock" in lowered or "still make" in lowered:
            topic = "availability"
        elif "s or m" in lowered or "run small" in lowered or "how long" in lowered:
            topic = "sizing"
        else:
            topic = "material_or_care"
        draft.facts["topic"] = topic
        if topic == "availability" and "{size}" not in template:
            draft.facts["size"] = None
        if topic == "availability" and "{colour}" not in template:
            draft.facts["colour"] = None


def _secondary_text(intent: str, writer: Writer) -> str:
    return str(
        writer.pick(
            {
                "discount_question": [
                    "Also, my discount code didn't work at checkout.",
                    "Also is there a code for next time?",
                ],
                "product_question": [
                    "Also, do you have the same one in a size up?",
                    "Also - does this come in other colours?",
                ],
                "shipping_question": [
                    "Also do you ship to Canada? My sister wants one.",
                    "And how long is express shipping?",
                ],
                "account": ["Also please take me off the newsletter.", "Also I can't log in to my account."],
                "praise": ["Otherwise love your stuff!", "Everything else was great btw."],
            }[intent]
        )
    )


def _notification_quote(
    order: StoreOrder, store: Store, ctx: DemoContext, draft: Draft, w: Writer
) -> tuple[str, str, str]:
    """Return (quoted block, subject, In-Reply-To) of the shop's order email the customer answers."""
    first = _first_name(draft.sender_name) or "there"
    number = order.number if order.number.startswith("#") or order.kind != "shopify" else f"#{order.number}"
    if order.is_shipped and order.shipped_at and order.shipped_at < draft.sent_at:
        at = order.shipped_at
        subject = str(
            w.pick(
                [
                    f"Your order {number} is on its way",
                    f"A shipment from order {number} is on the way",
                    f"Order {number} has shipped",
                ]
            )
        )
        text = (
            f"Hi {first},\n\nGood news - your order {number} is on its way.\n\n"
            f"Carrier: {carrier_name(order.carrier)}\nTracking number: {order.tracking_number}\n\n"
            f"Thanks for shopping with {store.name}!"
        )
    else:
        at = order.ordered_at + timedelta(minutes=2)
        subject = str(
            w.pick(
                [
                    f"Order {number} confirmed",
                    f"Thank you for your order {number}",
                    f"Your {store.name} order {number}",
                ]
            )
        )
        lines = "\n".join(f"{i.title} x 1" for i in order.items[:3])
        text = (
            f"Hi {first},\n\nThanks for your order! We'll let you know when it ships.\n\n"
            f"Order {number}\n{lines}"
        )
    attribution = _quote_attribution(store.name, store.support_address, at, w, ctx.timezone)
    in_reply_to = f"<{int(at.timestamp())}.{order.id}.notification@{store.domain}>"
    return f"{attribution}\n{_quoted(text)}", f"Re: {subject}", in_reply_to


def _follow_up(first: Written, draft: Draft, w: Writer, ctx: DemoContext) -> tuple[str, str]:
    """Return (new text, whole body) of a customer's chaser that quotes their own first email."""
    nudge = str(
        w.pick(
            [
                "Any update on this?",
                "Hello?? Still waiting for a reply.",
                "Following up on my email below.",
                "Hi, just following up - can someone please get back to me?",
                "Is anyone there? I need an answer please.",
                "bump",
                "Any news?? it's been days",
            ]
        )
    )
    new_text = f"{nudge}\n\n{_first_name(draft.sender_name) or ''}".strip()
    attribution = _quote_attribution(
        draft.sender_name or draft.sender, draft.sender, draft.sent_at, w, ctx.timezone
    )
    return new_text, f"{new_text}\n\n{attribution}\n{_quoted(first.new_text)}"


# --------------------------------------------------------------------------------------------
# The step
# --------------------------------------------------------------------------------------------


def inbox_size(weekly_orders: float) -> int:
    """About one email per order per week of recent volume, capped for huge stores."""
    return int(min(2000, max(40, round(weekly_orders))))


def generate_inbox(ctx: DemoContext) -> None:
    """Write the recent inbound customer emails as tickets and messages, and their true labels."""
    rng = ctx.rng("inbox")
    writer = Writer(rng)
    end_start = datetime.combine(ctx.end, time(0), tzinfo=ctx.timezone).astimezone(UTC)
    # Mail arrives up to the generation instant (this morning's mail included), never after.
    cutoff = min(ctx.now, end_start + timedelta(days=1))
    since = cutoff - timedelta(days=60)
    store = _read_store(ctx, since)
    total = inbox_size(_count_orders(ctx.connection, cutoff - timedelta(days=56), cutoff) / 8)
    pools = _pools(store.orders, ctx.now)
    planner = Planner(store, pools, ctx, cutoff, writer)

    intents = list(INTENT_MIX)
    weights = np.array([INTENT_MIX[i] for i in intents])
    drafts: list[Draft] = []
    attempts = 0
    while len(drafts) < total and attempts < total * 4:
        attempts += 1
        intent = intents[int(rng.choice(len(intents), p=weights / weights.sum()))]
        draft = planner.plan(intent)
        if draft is None:
            continue  # no order in the store fits this intent any more: draw another intent
        if draft.intent in ("order_status", "return_request", "praise", "change_address") and writer.chance(
            0.12
        ):
            draft.secondary = str(
                writer.pick(
                    {
                        "order_status": ["discount_question", "product_question", "account"],
                        "return_request": ["product_question", "shipping_question"],
                        "praise": ["product_question"],
                        "change_address": ["product_question"],
                    }[draft.intent]
                )
            )
        drafts.append(draft)
    drafts.sort(key=lambda d: (d.sent_at, d.sender))

    tickets: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    ticket_id = next_id(ctx.connection, SupportTicket)
    for draft in drafts:
        written = (
            _spam_or_other(draft, store, writer)
            if draft.intent in ("spam", "other")
            else _compose(draft, store, ctx, writer)
        )
        message_id = _message_id(draft.sender, draft.sent_at, writer)
        tickets.append(
            {
                "id": ticket_id,
                "thread_key": message_id,
                "customer_id": draft.customer_id,
                "subject": written.subject[:500],
                "status": "open",
                "opened_at": draft.sent_at,
            }
        )
        thread = [(message_id, written.in_reply_to, written.subject, written.body, draft.sent_at, written)]
        # Some customers chase when nobody has answered yet.
        if draft.intent not in ("spam", "other", "praise") and writer.chance(0.08):
            later = draft.sent_at + timedelta(hours=float(writer.rng.uniform(6, 72)))
            if later < cutoff:
                new_text, body = _follow_up(written, draft, writer, ctx)
                subject = (
                    written.subject if written.subject.lower().startswith("re:") else f"Re: {written.subject}"
                )
                chaser = Written(subject, body, new_text, body[len(new_text) :], message_id, written.style)
                thread.append(
                    (_message_id(draft.sender, later, writer), message_id, subject, body, later, chaser)
                )
        for position, (mid, reply_to, subject, body, at, part) in enumerate(thread):
            messages.append(
                {
                    "ticket_id": ticket_id,
                    "message_id": mid,
                    "in_reply_to": reply_to,
                    "direction": "inbound",
                    "from_address": draft.sender,
                    "to_address": store.support_address,
                    "subject": subject[:500],
                    "body": body,
                    "sent_at": at,
                }
            )
            ctx.truth.append(
                ("email_label", mid, _label(draft, part, subject, body, mid, message_id, position > 0, store))
            )
        ticket_id += 1

    write_rows(ctx.connection, SupportTicket, _columns(tickets))
    # The owner fills in the store's answers once (shipping options, code rules, product care...).
    write_store_answers(ctx.connection, ctx.now)
    write_rows(ctx.connection, SupportMessage, _columns(messages))
    reset_sequences(ctx.connection, [SupportTicket])
    counts: dict[str, int] = defaultdict(int)
    for draft in drafts:
        counts[draft.intent] += 1
    ctx.truth.append(
        (
            "inbox_summary",
            "inbox",
            {
                "support_address": store.support_address,
                "return_window_days": RETURN_WINDOW_DAYS,
                "tickets": len(tickets),
                "messages": len(messages),
                "intents": dict(sorted(counts.items())),
            },
        )
    )


def _columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    if not rows:
        return {}
    return {key: [row[key] for row in rows] for key in rows[0]}


def _label(
    draft: Draft,
    written: Written,
    subject: str,
    body: str,
    message_id: str,
    thread_key: str,
    is_follow_up: bool,
    store: Store,
) -> dict[str, Any]:
    order = draft.order
    in_subject = in_body = in_quote = False
    if order is not None:
        pattern = _ref_pattern(order)
        new_text = written.new_text
        quote = body[len(new_text) :]
        in_subject = bool(pattern.search(subject))
        in_body = bool(pattern.search(new_text))
        in_quote = bool(pattern.search(quote))
    sentiment = (
        "positive"
        if draft.intent == "praise"
        else "negative"
        if written.style == "angry" or draft.intent in ("complaint", "damaged_item", "wrong_item")
        else "neutral"
    )
    return {
        "intent": draft.intent,
        "secondary_intent": draft.secondary,
        "order_id": order.id if order else None,
        "order_number": order.number if order else None,
        "order_ref_in_text": in_subject or in_body,
        "order_ref_in_subject": in_subject,
        "order_ref_in_quote": in_quote,
        "customer_id": draft.customer_id,
        "from": draft.sender,
        "thread_key": thread_key,
        "is_follow_up": is_follow_up,
        "quotes_earlier_mail": bool(written.quote) or is_follow_up,
        "style": written.style,
        "sentiment": sentiment,
        "must_escalate": draft.intent in ESCALATE,
        "facts": draft.facts,
    }


def _spam_or_other(draft: Draft, store: Store, writer: Writer) -> Written:
    if draft.intent == "spam":
        index = int(writer.rng.integers(0, len(SPAM)))
        subject, body = SPAM[index]
        draft.sender = SPAM_SENDERS[index]
        draft.sender_name = None
        draft.customer_id = None
        draft.facts = {
            "kind": "phishing"
            if "verify" in body or "bank details" in body or ".zip" in body
            else "solicitation"
        }
    else:
        index = int(writer.rng.integers(0, len(OTHER)))
        subject, body = OTHER[index]
        draft.facts = {"topic": subject.lower(), **store_answer_facts(body, None)}
    slots = {
        "shop": store.name,
        "domain": store.domain,
        "name": draft.sender_name or "",
        "city2": str(writer.pick(CITIES)),
        "company": str(writer.pick(COMPANIES)),
        "magazine": str(writer.pick(MAGAZINES)),
    }
    text = _fill(body, slots)
    return Written(subject, text, text, "", None, "spam" if draft.intent == "spam" else "formal")
