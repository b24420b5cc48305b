"""Turn query results into JSON-ready dicts and page text; money leaves as decimal strings.

Amounts are rounded to the currency's minor unit here, the point where a figure becomes a report
line, and are never turned into floats.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sasame.core.money import round_money
from sasame.ingest.queries import ImportedFiles
from sasame.overview.queries import (
    Headline,
    MarketingOverview,
    OperationsOverview,
    PayoutRow,
    PeriodFigures,
    SalesSeries,
    StockRow,
    SupportOverview,
)

MONEY_LABELS = {
    "order_total": "Order totals",
    "payouts": "Payouts",
    "refunds": "Refunds",
    "bank": "Bank transactions",
    "ad_spend": "Ad spend",
    "email_revenue": "Email revenue",
}
"""Page names of the money totals an import summary carries (ingest.service.money_totals)."""

_SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def money_text(amount: Decimal, currency: str) -> str:
    """Return an amount as a decimal string rounded to the currency's minor unit, e.g. '1234.50'."""
    return str(round_money(amount, currency))


def money_json(amount: Decimal | None, currency: str) -> dict[str, str] | None:
    """Return ``{"amount": "12.34", "currency": "USD"}``: every money value in the API looks so."""
    return None if amount is None else {"amount": money_text(amount, currency), "currency": currency}


def format_money(amount: Decimal | None, currency: str) -> str:
    """Return an amount for a page: '$1,234.50', or '1,234.50 SEK' where no symbol is known."""
    if amount is None:
        return "—"
    rounded = round_money(amount, currency)
    sign = "−" if rounded < 0 else ""
    symbol = _SYMBOLS.get(currency)
    digits = f"{abs(rounded):,}"
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {currency}"


def change_ratio(current: Decimal | int | None, previous: Decimal | int | None) -> Decimal | None:
    """Return the relative change as a fraction rounded to 0.1 %, or None when there is no base."""
    if current is None or previous is None or previous == 0:
        return None
    ratio = (Decimal(current) - Decimal(previous)) / Decimal(previous)
    return ratio.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def format_change(ratio: Decimal | None) -> str:
    if ratio is None:
        return "—"
    percent = (ratio * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"+{percent}%" if percent > 0 else f"{percent}%".replace("-", "−")


def format_count(value: int) -> str:
    return f"{value:,}"


def _window(window: tuple[date, date]) -> dict[str, str]:
    return {"first": window[0].isoformat(), "last_exclusive": window[1].isoformat()}


def _instant(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _ratio_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# --- overview ----------------------------------------------------------------------------------


def _period_json(figures: PeriodFigures, currency: str) -> dict[str, Any]:
    return {
        "orders": figures.orders,
        "revenue": money_json(figures.revenue, currency),
        "average_order_value": money_json(figures.average_order_value, currency),
    }


def headline_json(headline: Headline) -> dict[str, Any]:
    currency = headline.currency
    return {
        "currency": currency,
        "days": headline.days,
        "current_window": _window(headline.current_window),
        "previous_window": _window(headline.previous_window),
        "current": _period_json(headline.current, currency),
        "previous": _period_json(headline.previous, currency),
        "channels": [
            {
                "code": c.channel.code,
                "name": c.channel.name,
                "current": _period_json(c.current, currency),
                "previous": _period_json(c.previous, currency),
            }
            for c in headline.channels
        ],
        "other_currency_orders": headline.other_currency_orders,
    }


def sales_json(series: SalesSeries) -> dict[str, Any]:
    """Return the chart's data: one list per channel aligned with ``periods``, money as strings."""
    currency = series.currency
    return {
        "grain": series.grain,
        "currency": currency,
        "periods": [p.isoformat() for p in series.periods],
        "channels": [
            {
                "code": s.channel.code,
                "name": s.channel.name,
                "orders": s.orders,
                "revenue": [money_text(v, currency) for v in s.revenue],
            }
            for s in series.channels
        ],
        "totals": {
            "orders": series.total_orders,
            "revenue": [money_text(v, currency) for v in series.total_revenue],
        },
    }


# --- areas -------------------------------------------------------------------------------------


def support_json(overview: SupportOverview) -> dict[str, Any]:
    return {
        "open_tickets_by_status": [{"status": s, "tickets": n} for s, n in overview.open_tickets_by_status],
        "closed_tickets": overview.closed_tickets,
        "latest_messages": [
            {
                "ticket_id": m.ticket_id,
                "ticket_status": m.ticket_status,
                "intent": m.intent,
                "direction": m.direction,
                "from_address": m.from_address,
                "subject": m.subject,
                "snippet": m.snippet,
                "sent_at": _instant(m.sent_at),
            }
            for m in overview.latest_messages
        ],
    }


def inventory_json(rows: list[StockRow]) -> dict[str, Any]:
    return {
        "stock": [
            {
                "sku": r.sku,
                "title": r.title,
                "location": r.location_code,
                "on_hand": r.on_hand,
                "reserved": r.reserved,
                "available": r.available,
                "on_order": r.on_order,
                "next_expected_on": r.next_expected_on.isoformat() if r.next_expected_on else None,
            }
            for r in rows
        ]
    }


def finance_json(rows: list[PayoutRow]) -> dict[str, Any]:
    return {
        "payouts": [
            {
                "id": r.id,
                "provider": r.provider,
                "channel": r.channel_name,
                "external_id": r.external_id,
                "paid_on": r.paid_on.isoformat(),
                "status": r.status,
                "amount": money_json(r.amount, r.currency),
                "line_totals": {kind: money_json(v, r.currency) for kind, v in r.line_totals.items()},
                "lines_total": money_json(r.lines_total, r.currency),
                "is_balanced": r.is_balanced,
            }
            for r in rows
        ]
    }


def marketing_json(overview: MarketingOverview) -> dict[str, Any]:
    return {
        "window": _window(overview.window),
        "ad_platforms": [
            {
                "platform": r.platform,
                "spend": money_json(r.spend, r.currency),
                "reported_conversion_value": money_json(r.conversion_value, r.currency),
                "reported_roas": _ratio_text(
                    None
                    if r.reported_roas is None
                    else r.reported_roas.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                ),
                "impressions": r.impressions,
                "clicks": r.clicks,
                "conversions": r.conversions,
            }
            for r in overview.ad_platforms
        ],
        "email": [
            {
                "kind": r.kind,
                "name": r.name,
                "platform": r.platform,
                "recipients": r.recipients,
                "conversions": r.conversions,
                "revenue": money_json(r.revenue, r.currency),
            }
            for r in overview.email
        ],
    }


def operations_json(overview: OperationsOverview) -> dict[str, Any]:
    return {
        "late_order_count": overview.late_order_count,
        "late_orders": [
            {
                "id": o.id,
                "number": o.number,
                "channel": o.channel_name,
                "ordered_at": _instant(o.ordered_at),
                "age_days": o.age_days,
                "fulfillment_status": o.fulfillment_status,
                "total": money_json(o.total, o.currency),
            }
            for o in overview.late_orders
        ],
        "open_alerts": [
            {
                "id": a.id,
                "kind": a.kind,
                "severity": a.severity,
                "subject": a.subject,
                "detail": a.detail,
                "raised_at": _instant(a.raised_at),
            }
            for a in overview.open_alerts
        ],
    }


# --- imports -----------------------------------------------------------------------------------


def money_label(label: str) -> str:
    return MONEY_LABELS.get(label, label.replace("_", " ").capitalize())


def imported_files_json(files: ImportedFiles) -> dict[str, Any]:
    return {
        "total": files.total,
        "page": files.page,
        "per_page": files.per_page,
        "files": [
            {
                "id": f.id,
                "name": f.name,
                "format": f.format,
                "format_title": f.format_title,
                "size_bytes": f.size_bytes,
                "imported_at": _instant(f.imported_at),
                "source_records": f.source_records,
            }
            for f in files.rows
        ],
    }


def import_result_json(
    file: str, summary: dict[str, Any] | None, error: str | None, format_titles: dict[str, str]
) -> dict[str, Any]:
    """One uploaded file's outcome: the `sasame import --json` summary, or the reason it was refused."""
    if summary is None:
        return {"file": file, "status": "failed", "error": error}
    return {
        "status": "imported",
        "error": None,
        **summary,
        "file": file,
        "format_title": format_titles.get(summary["format"], summary["format"]),
    }
