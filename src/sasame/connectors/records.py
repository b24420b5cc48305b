"""Canonical records: what every connector yields, whatever the platform's format.

Plain frozen dataclasses with exact values: money is Decimal with its currency, instants are aware
UTC datetimes, business days are dates. Each record carries a SourceRef, the file row(s) or API
object it came from, so ingest can keep lineage and import idempotently by natural key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

_R = TypeVar("_R")


@dataclass(frozen=True)
class SourceRef:
    """Where a record came from: the format, the platform's natural key, and the raw row or object."""

    origin: str
    """The format or stream, e.g. 'shopify.orders_csv' or 'shopify.graphql.orders'."""
    natural_key: str
    """The platform's id of the object (order id, settlement id + line, FITID); unique per origin."""
    row_number: int | None = None
    """First file row (1 = the header line) the record was read from; None for API objects."""
    payload: dict[str, Any] | None = None
    """The raw row(s) or object as received, kept for drill-down."""


@dataclass(frozen=True)
class OrderLineRecord:
    title: str
    quantity: int
    unit_price: Decimal
    """Unit price before discounts."""
    sku: str | None = None
    discount: Decimal = Decimal(0)
    """Discount allocated to this line in total."""
    tax: Decimal = Decimal(0)
    external_id: str | None = None


@dataclass(frozen=True)
class OrderRecord:
    channel: str
    """Channel code the order belongs to: shopify, amazon, etsy, woocommerce, wholesale."""
    external_id: str
    number: str
    ordered_at: datetime
    currency: str
    subtotal: Decimal
    total: Decimal
    financial_status: str
    fulfillment_status: str
    source: SourceRef
    lines: tuple[OrderLineRecord, ...] | None = ()
    """The order's lines; None when this export does not carry them (the stored lines are kept)."""
    discount_total: Decimal = Decimal(0)
    shipping_total: Decimal = Decimal(0)
    tax_total: Decimal = Decimal(0)
    email: str | None = None
    customer_name: str | None = None
    accepts_marketing: bool = False
    cancelled_at: datetime | None = None
    discount_codes: str | None = None
    ship_country: str | None = None
    ship_region: str | None = None
    ship_city: str | None = None
    ship_postal_code: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_content: str | None = None
    utm_term: str | None = None
    referrer: str | None = None
    landing_page: str | None = None
    keeps_stored_order: bool = False
    """True when this export's order-level values are only derived (Etsy Sold Order Items): an order
    another export stored keeps that export's values, and only its lines change."""


@dataclass(frozen=True)
class VariantRecord:
    sku: str
    title: str
    price: Decimal
    currency: str
    size: str | None = None
    colour: str | None = None
    barcode: str | None = None
    weight_grams: int | None = None
    unit_cost: Decimal | None = None
    """The platform's cost per item, where it has one (Shopify 'Cost per item')."""
    is_active: bool = True


@dataclass(frozen=True)
class ProductRecord:
    handle: str
    title: str
    category: str
    source: SourceRef
    variants: tuple[VariantRecord, ...] = ()
    vendor: str | None = None
    is_active: bool = True


@dataclass(frozen=True)
class PayoutLineRecord:
    kind: str
    """One of sasame.models.payouts.PAYOUT_LINE_KINDS; unknown fee types are kind 'fee' or 'other'."""
    amount: Decimal
    """Signed: money to the seller positive, fees and refunds negative."""
    currency: str
    occurred_at: datetime
    source: SourceRef
    fee_type: str | None = None
    order_channel: str | None = None
    order_number: str | None = None
    """The order it belongs to as the platform names it ('#1001', an Amazon order id), if any."""
    description: str | None = None


@dataclass(frozen=True)
class PayoutRecord:
    provider: str
    """shopify_payments, amazon, etsy, paypal, stripe, ..."""
    external_id: str
    period_start: datetime
    period_end: datetime
    paid_on: date
    amount: Decimal
    """The net deposit."""
    currency: str
    status: str
    source: SourceRef
    lines: tuple[PayoutLineRecord, ...] = ()
    channel: str | None = None
    lines_are_complete: bool = True
    """True when `lines` are all of the payout's lines: the stored lines are replaced by them (when
    there are any). False when the file may hold only some of them (a transactions export cut by
    date, a deposit summary with none): each line is upserted by its SourceRef natural key (moved
    from another payout if it was stored under one), lines the record does not name are kept, and
    the payout's period is the span of all its stored lines."""
    amount_is_deposit: bool = True
    """True when `amount` is the deposit itself (a payouts summary, a settlement). False when it is
    only what this file's lines add up to: the payout's amount is then the sum of all its stored
    lines, unless a record of another source (the deposit) wrote the payout, whose amount is kept."""


@dataclass(frozen=True)
class RefundRecord:
    order_channel: str
    order_number: str
    external_id: str
    refunded_at: datetime
    amount: Decimal
    """Total given back, positive."""
    currency: str
    source: SourceRef
    shipping_amount: Decimal = Decimal(0)
    tax_amount: Decimal = Decimal(0)
    reason: str | None = None
    parts_from_order: bool = False
    """The source gives only the total (a payments export): the shipping and tax given back are
    taken from the order when it is written — all of them for a refund of the whole order, the tax
    in the order's proportion for a part of it."""
    order_may_be_missing: bool = False
    """A payments export also lists refunds of orders not imported (yet): those are left out with a
    warning rather than failing the file; importing the file again after the orders brings them in."""


@dataclass(frozen=True)
class BankTransactionRecord:
    account: str
    external_id: str
    """FITID for OFX, else a digest of the row's content and its occurrence number."""
    posted_on: date
    amount: Decimal
    currency: str
    description: str
    source: SourceRef


@dataclass(frozen=True)
class AdSpendRecord:
    platform: str
    """google, meta, amazon_ads."""
    campaign_external_id: str
    campaign_name: str
    ad_set_external_id: str
    ad_set_name: str
    ad_external_id: str
    ad_name: str
    spend_date: date
    spend: Decimal
    currency: str
    impressions: int
    clicks: int
    conversions: int
    conversion_value: Decimal
    source: SourceRef
    creative: str | None = None


@dataclass(frozen=True)
class EmailPerformanceRecord:
    platform: str
    """klaviyo, mailchimp."""
    external_id: str
    kind: str
    """campaign or flow."""
    name: str
    performance_date: date
    recipients: int
    delivered: int
    opens: int
    clicks: int
    unsubscribes: int
    conversions: int
    revenue: Decimal
    currency: str
    source: SourceRef
    flow_name: str | None = None
    sent_at: datetime | None = None
    sales_unknown: bool = False
    """The source does not report orders and revenue (a Mailchimp single-campaign report of a store
    without e-commerce tracking): its 0s never replace the figures another export stored."""


@dataclass(frozen=True)
class TrackingEventRecord:
    occurred_at: datetime
    status: str
    """One of sasame.models.fulfilment.TRACKING_STATUSES."""
    description: str
    city: str | None = None


@dataclass(frozen=True)
class ShipmentRecord:
    order_channel: str
    order_number: str
    carrier: str
    tracking_number: str
    status: str
    shipped_at: datetime
    source: SourceRef
    service: str | None = None
    estimated_delivery_at: datetime | None = None
    delivered_at: datetime | None = None
    label_cost: Decimal = Decimal(0)
    currency: str = "USD"
    events: tuple[TrackingEventRecord, ...] = field(default=())


@dataclass(frozen=True)
class OrderColumns:
    """Many orders of one channel as columns, for the biggest exports: the values their
    OrderRecords would hold, without an object per order and line (see ingest's fast path).

    `orders` holds, one item per order, the fields of OrderRecord that the order table stores
    (external_id, number, ordered_at, currency, the money fields, statuses, email, customer_name,
    accepts_marketing, the address, campaign and discount fields); `lines` holds the OrderLineRecord
    fields of every line (title, quantity, unit_price, sku, discount) plus `order`, the index of its
    order, lines of one order together and in their order. Money is in stored units (1/10,000,
    integer arrays), instants are UTC `datetime64[us]` arrays (NaT for none); text is None when
    empty. `row_numbers` and `payloads` are each order's SourceRef row number and payload, the
    payload already JSON-encoded with sorted keys (as the JSON column stores it).
    """

    channel: str
    origin: str
    orders: dict[str, Any]
    lines: dict[str, Any]
    row_numbers: Any
    payloads: list[str]

    def __len__(self) -> int:
        return len(self.row_numbers)


def record_factory(cls: type[_R]) -> Callable[..., _R]:
    """A keyword-only constructor for a frozen record class, for parsers that build hundreds of
    thousands of records (a 300k-row export): the same object as `cls(**values)` (fields, defaults,
    equality, hash, immutability), without the generated frozen `__init__`, which sets every field
    through `object.__setattr__` one at a time and costs several times more.

    Every field without a default must be given (a missing one is an error, as with `cls`); default
    factories are not supported (no record on this path has one).
    """
    defaults: dict[str, Any] = {}
    required: set[str] = set()
    for item in fields(cls):  # type: ignore[arg-type]
        if item.default_factory is not MISSING:
            raise TypeError(f"{cls.__name__}.{item.name} has a default factory")
        if item.default is MISSING:
            required.add(item.name)
        else:
            defaults[item.name] = item.default
    known = required | set(defaults)
    new = object.__new__

    def make(**values: Any) -> _R:
        record = new(cls)
        attributes = record.__dict__
        attributes.update(defaults)
        attributes.update(values)
        if attributes.keys() != known:
            missing, unknown = sorted(required - values.keys()), sorted(values.keys() - known)
            raise TypeError(f"{cls.__name__}: missing field(s) {missing}, unknown field(s) {unknown}")
        return record

    make.__name__ = make.__qualname__ = f"make_{cls.__name__}"
    return make


def as_plain(value: Any) -> Any:
    """A record as JSON-ready data (money as exact strings, dates ISO), for golden files and dumps."""
    if is_dataclass(value) and not isinstance(value, type):
        plain = {"record": type(value).__name__} if not isinstance(value, SourceRef) else {}
        plain.update({f.name: as_plain(getattr(value, f.name)) for f in fields(value)})
        return plain
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [as_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): as_plain(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class StockLevelRecord:
    """Units on hand and committed for one SKU at one location, as a platform counts them now."""

    sku: str
    location_code: str
    """A stable code for the platform's location, e.g. 'shopify-655441491'."""
    location_name: str
    on_hand: int
    reserved: int
    """Units promised to open orders (Shopify's 'committed')."""
    counted_at: datetime
    source: SourceRef


Record = (
    OrderRecord
    | ProductRecord
    | PayoutRecord
    | RefundRecord
    | BankTransactionRecord
    | AdSpendRecord
    | EmailPerformanceRecord
    | ShipmentRecord
    | StockLevelRecord
)
