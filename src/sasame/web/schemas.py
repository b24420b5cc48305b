"""The shapes of the JSON API, so /api/openapi.json documents every field a client gets.

Presenters build plain dicts; routes declare these as response models, so FastAPI checks each
answer against its documented shape.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class Money(BaseModel):
    amount: str = Field(
        description="Exact decimal string rounded to the currency's minor unit", examples=["1234.50"]
    )
    currency: str = Field(description="ISO 4217 code", examples=["USD"])


class Window(BaseModel):
    first: str = Field(description="First business day (ISO date)")
    last_exclusive: str = Field(description="Business day after the last one (ISO date)")


class Health(BaseModel):
    status: str


class Store(BaseModel):
    name: str
    currency: str
    timezone: str = Field(description="IANA timezone business days are counted in")


class PeriodFigures(BaseModel):
    orders: int = Field(description="Orders not cancelled, in any currency")
    revenue: Money = Field(description="Sum of order totals in the store currency")
    average_order_value: Money | None


class ChannelFigures(BaseModel):
    code: str
    name: str
    current: PeriodFigures
    previous: PeriodFigures


class Headline(BaseModel):
    currency: str
    days: int
    current_window: Window
    previous_window: Window
    current: PeriodFigures
    previous: PeriodFigures
    channels: list[ChannelFigures]
    other_currency_orders: dict[str, int] = Field(
        description="Orders in the current window in other currencies, counted but not in revenue"
    )


class ChannelSeries(BaseModel):
    code: str
    name: str
    orders: list[int]
    revenue: list[str] = Field(description="Decimal strings in the series currency, one per period")


class SeriesTotals(BaseModel):
    orders: list[int]
    revenue: list[str]


class Sales(BaseModel):
    grain: str
    currency: str
    periods: list[str] = Field(description="First day of each period (ISO date); weeks start on Monday")
    channels: list[ChannelSeries]
    totals: SeriesTotals


class TicketCount(BaseModel):
    status: str
    tickets: int


class Message(BaseModel):
    ticket_id: int
    ticket_status: str
    intent: str | None
    direction: str
    from_address: str
    subject: str
    snippet: str
    sent_at: str


class Support(BaseModel):
    open_tickets_by_status: list[TicketCount]
    closed_tickets: int
    latest_messages: list[Message]


class StockRow(BaseModel):
    sku: str
    title: str
    location: str
    on_hand: int
    reserved: int
    available: int
    on_order: int = Field(description="Units not yet received on sent or partly received purchase orders")
    next_expected_on: str | None


class Inventory(BaseModel):
    stock: list[StockRow]


class PayoutRow(BaseModel):
    id: int
    provider: str
    channel: str | None
    external_id: str
    paid_on: str
    status: str
    amount: Money
    line_totals: dict[str, Money]
    lines_total: Money
    is_balanced: bool


class Finance(BaseModel):
    payouts: list[PayoutRow]


class AdPlatform(BaseModel):
    platform: str
    spend: Money
    reported_conversion_value: Money = Field(description="The platform's own attribution")
    reported_roas: str | None
    impressions: int
    clicks: int
    conversions: int


class EmailRow(BaseModel):
    kind: str
    name: str
    platform: str
    recipients: int
    conversions: int
    revenue: Money


class Marketing(BaseModel):
    window: Window
    ad_platforms: list[AdPlatform]
    email: list[EmailRow]


class LateOrder(BaseModel):
    id: int
    number: str
    channel: str
    ordered_at: str
    age_days: int
    fulfillment_status: str
    total: Money


class AlertRow(BaseModel):
    id: int
    kind: str
    severity: str
    subject: str
    detail: str
    raised_at: str


class Operations(BaseModel):
    late_order_count: int
    late_orders: list[LateOrder]
    open_alerts: list[AlertRow]


class ImportedFile(BaseModel):
    id: int
    name: str = Field(description="The file's name as uploaded or given to `sasame import`")
    format: str = Field(examples=["shopify.orders_csv"])
    format_title: str = Field(examples=["Shopify orders export (CSV)"])
    size_bytes: int
    imported_at: str = Field(description="UTC instant of its first import (ISO 8601)")
    source_records: int = Field(description="Raw rows kept for drill-down that point to this file")


class ImportedFiles(BaseModel):
    total: int
    page: int
    per_page: int
    files: list[ImportedFile] = Field(description="Newest first")


class RecordCounts(BaseModel):
    created: int
    updated: int
    unchanged: int


class ImportResult(BaseModel):
    file: str
    status: str = Field(description="'imported', or 'failed' when nothing of the file was written")
    error: str | None = Field(description="One line naming file, row and column; null when imported")
    format: str | None = None
    format_title: str | None = None
    rows_read: int | None = None
    records: dict[str, RecordCounts] | None = Field(default=None, description="Per entity, e.g. 'order'")
    money: dict[str, dict[str, str]] | None = Field(
        default=None,
        description="Totals per kind (order_total, payouts, refunds, bank, ad_spend, email_revenue) "
        "and currency, as exact decimal strings",
    )
    warnings: list[str] | None = None


class ImportResults(BaseModel):
    results: list[ImportResult] = Field(description="One per uploaded file, in upload order")
