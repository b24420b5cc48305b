"""Ad and email platform exports: Meta Ads Manager and Google Ads ad-level reports by day (one per
month), Klaviyo's campaigns export (one file) and flow performance per day (one per month).

Meta (formats.md §6.2): UTF-8 with a BOM, `Reporting starts`/`Reporting ends` equal on daily rows,
the spend column named with the account currency, purchases as conversions. Google (§6.1): a title
line and a date-range line, the header, then the rows and a `Total: Account` row; thousands
separators in quoted numbers. Klaviyo (§7.1): campaigns with counts as floats and rates as percent
strings, summed over each campaign's life; flows with rates as fractions and no recipients or
unsubscribe counts (those travel as Bounce Rate and Unsub Rate).
"""

from __future__ import annotations

import csv
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from sasame import models as m
from sasame.demo.exports.common import UNITS_PER_UNIT, Store, by_month, money_text, units

META_COLUMNS = (
    "Reporting starts", "Reporting ends", "Campaign name", "Campaign ID", "Ad set name", "Ad set ID",
    "Ad name", "Ad ID", "Ad delivery", "Attribution setting", "Amount spent ({currency})",
    "Impressions", "Link clicks", "Purchases", "Purchases conversion value",
)  # fmt: skip
GOOGLE_COLUMNS = (
    "Day", "Campaign", "Campaign ID", "Ad group", "Ad group ID", "Ad ID", "Ad name", "Currency code",
    "Impr.", "Clicks", "Cost", "Conversions", "Conv. value",
)  # fmt: skip
CAMPAIGN_COLUMNS = (
    "Campaign Name", "Tags", "Subject", "List", "Send Time", "Send Weekday", "Total Recipients",
    "Unique Placed Order", "Placed Order Rate", "Revenue", "Unique Opens", "Open Rate", "Total Opens",
    "Unique Clicks", "Click Rate", "Total Clicks", "Unsubscribes", "Spam Complaints",
    "Spam Complaints Rate", "Successful Deliveries", "Bounces", "Bounce Rate", "Campaign ID",
    "Campaign Channel",
)  # fmt: skip
FLOW_COLUMNS = (
    "Day", "Flow ID", "Flow Name", "Flow Message ID", "Flow Message Name", "Flow Message Channel",
    "Status", "Delivered", "Unique Opens", "Open Rate", "Unique Clicks", "Click Rate", "Placed Order",
    "Placed Order Rate", "Revenue", "Revenue per Recipient", "Unsub Rate", "Complaint Rate",
    "Bounce Rate", "Tags",
)  # fmt: skip
RATE_PLACES = Decimal("1e-12")
"""Fractions with enough places that count = rate × base comes back exactly after rounding."""


def _ad_days(connection: Connection, platform: str) -> list[Any]:
    return list(
        connection.execute(
            select(
                m.AdSpendDay.spend_date,
                m.AdCampaign.external_id.label("campaign_id"),
                m.AdCampaign.name.label("campaign"),
                m.AdSet.external_id.label("ad_set_id"),
                m.AdSet.name.label("ad_set"),
                m.Ad.external_id.label("ad_id"),
                m.Ad.name.label("ad"),
                units(m.AdSpendDay.spend).label("spend"),
                m.AdSpendDay.currency,
                m.AdSpendDay.impressions,
                m.AdSpendDay.clicks,
                m.AdSpendDay.conversions,
                units(m.AdSpendDay.conversion_value).label("value"),
            )
            .join(m.Ad, m.Ad.id == m.AdSpendDay.ad_id)
            .join(m.AdSet, m.AdSet.id == m.Ad.ad_set_id)
            .join(m.AdCampaign, m.AdCampaign.id == m.AdSet.campaign_id)
            .where(m.AdCampaign.platform == platform)
            .order_by(
                m.AdSpendDay.spend_date, m.AdCampaign.external_id, m.AdSet.external_id, m.Ad.external_id
            )
        )
    )


def write_meta(connection: Connection, store: Store, folder: Path) -> list[Path]:
    """Write Meta Ads Manager ad-level exports broken down by day, one per month."""
    paths = []
    for month, days in by_month(_ad_days(connection, "meta"), lambda d: d.spend_date).items():
        path = folder / f"Sasame-Ads-{month}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        currency = days[0].currency
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow([name.format(currency=currency) for name in META_COLUMNS])
            writer.writerows(
                [
                    d.spend_date.isoformat(),
                    d.spend_date.isoformat(),
                    d.campaign,
                    d.campaign_id,
                    d.ad_set,
                    d.ad_set_id,
                    d.ad,
                    d.ad_id,
                    "active" if d.spend else "inactive",
                    "7-day click or 1-day view",
                    money_text(d.spend),
                    str(d.impressions),
                    str(d.clicks),
                    str(d.conversions),
                    money_text(d.value),
                ]
                for d in days
            )
        paths.append(path)
    return paths


def write_google(connection: Connection, store: Store, folder: Path) -> list[Path]:
    """Write Google Ads ad reports segmented by day, one per month."""
    paths = []
    for month, days in by_month(_ad_days(connection, "google"), lambda d: d.spend_date).items():
        path = folder / f"Ad report {month}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        first, last = days[0].spend_date, days[-1].spend_date
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["Ad report"])
            writer.writerow([f"{first:%B} {first.day}, {first.year} - {last:%B} {last.day}, {last.year}"])
            writer.writerow(GOOGLE_COLUMNS)
            writer.writerows(
                [
                    d.spend_date.isoformat(),
                    d.campaign,
                    d.campaign_id,
                    d.ad_set,
                    d.ad_set_id,
                    d.ad_id,
                    d.ad,
                    d.currency,
                    f"{d.impressions:,}",
                    f"{d.clicks:,}",
                    money_text(d.spend, grouped=True),
                    f"{d.conversions:,}.00",
                    money_text(d.value, grouped=True),
                ]
                for d in days
            )
            total = sum(d.spend for d in days)
            writer.writerow(
                ["Total: Account", "", "", "", "", "", "", days[0].currency,
                 f"{sum(d.impressions for d in days):,}", f"{sum(d.clicks for d in days):,}",
                 money_text(total, grouped=True), f"{sum(d.conversions for d in days):,}.00",
                 money_text(sum(d.value for d in days), grouped=True)]
            )  # fmt: skip
        paths.append(path)
    return paths


def _fraction(count: int, base: int) -> Decimal:
    if not base:
        return Decimal(0)
    return (Decimal(count) / Decimal(base)).quantize(RATE_PLACES, rounding=ROUND_HALF_EVEN)


def _fraction_text(count: int, base: int) -> str:
    return format(_fraction(count, base).normalize(), "f")


def _percent(count: int, base: int) -> str:
    return f"{_fraction(count, base) * 100:.2f}%"


def _email_days(connection: Connection, kind: str) -> list[Any]:
    return list(
        connection.execute(
            select(
                m.EmailCampaign.id.label("email_id"),
                m.EmailCampaign.external_id,
                m.EmailCampaign.name,
                m.EmailCampaign.flow_name,
                m.EmailCampaign.sent_at,
                m.EmailPerformanceDay.performance_date,
                m.EmailPerformanceDay.recipients,
                m.EmailPerformanceDay.delivered,
                m.EmailPerformanceDay.opens,
                m.EmailPerformanceDay.clicks,
                m.EmailPerformanceDay.unsubscribes,
                m.EmailPerformanceDay.conversions,
                units(m.EmailPerformanceDay.revenue).label("revenue"),
            )
            .join(m.EmailPerformanceDay, m.EmailPerformanceDay.email_campaign_id == m.EmailCampaign.id)
            .where(m.EmailCampaign.platform == "klaviyo", m.EmailCampaign.kind == kind)
            .order_by(m.EmailPerformanceDay.performance_date, m.EmailCampaign.external_id)
        )
    )


def write_klaviyo(connection: Connection, store: Store, folder: Path) -> list[Path]:
    """Write Klaviyo's campaigns export (each campaign summed over its life) and flow exports by month."""
    paths = []
    campaigns: dict[int, dict[str, Any]] = {}
    for day in _email_days(connection, "campaign"):
        summed = campaigns.setdefault(
            day.email_id,
            {"row": day, "recipients": 0, "delivered": 0, "opens": 0, "clicks": 0, "unsubscribes": 0,
             "conversions": 0, "revenue": 0},
        )  # fmt: skip
        for name in ("recipients", "delivered", "opens", "clicks", "unsubscribes", "conversions", "revenue"):
            summed[name] += getattr(day, name)
    if campaigns:
        path = folder / "campaigns.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(CAMPAIGN_COLUMNS)
            ordered = sorted(campaigns.values(), key=lambda c: (c["row"].sent_at, c["row"].external_id))
            for c in ordered:
                row, delivered = c["row"], c["delivered"]
                sent = row.sent_at.astimezone(store.timezone)
                writer.writerow(
                    [
                        row.name,
                        "Newsletter",
                        row.name.split(" | ")[0],
                        "Newsletter, Engaged 90 Days",
                        sent.strftime("%Y-%m-%d %H:%M:%S"),
                        sent.strftime("%A"),
                        f"{c['recipients']}.0",
                        f"{c['conversions']}.0",
                        _percent(c["conversions"], delivered),
                        money_text(c["revenue"]),
                        f"{c['opens']}.0",
                        _percent(c["opens"], delivered),
                        f"{c['opens']}.0",
                        f"{c['clicks']}.0",
                        _percent(c["clicks"], delivered),
                        f"{c['clicks']}.0",
                        f"{c['unsubscribes']}.0",
                        "0.0",
                        "0.00%",
                        f"{delivered}.0",
                        f"{c['recipients'] - delivered}.0",
                        _percent(c["recipients"] - delivered, c["recipients"]),
                        row.external_id,
                        "Email",
                    ]
                )
        paths.append(path)
    flows = _email_days(connection, "flow")
    for month, days in by_month(flows, lambda d: d.performance_date).items():
        path = folder / f"flows_{month}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(FLOW_COLUMNS)
            writer.writerows(_flow_row(day) for day in days)
        paths.append(path)
    return paths


def _flow_row(day: Any) -> list[str]:
    delivered = day.delivered
    per_recipient = (Decimal(day.revenue) / UNITS_PER_UNIT / delivered if delivered else Decimal(0)).quantize(
        Decimal("0.01")
    )
    return [
        f"{day.performance_date:%m/%d/%Y}",
        day.external_id.rsplit("-", 1)[0],
        day.flow_name or "",
        day.external_id,
        day.name,
        "Email",
        "live",
        f"{delivered}.0",
        f"{day.opens}.0",
        _fraction_text(day.opens, delivered),
        f"{day.clicks}.0",
        _fraction_text(day.clicks, delivered),
        f"{day.conversions}.0",
        _fraction_text(day.conversions, delivered),
        money_text(day.revenue),
        str(per_recipient),
        _fraction_text(day.unsubscribes, delivered),
        "0",
        _fraction_text(day.recipients - delivered, day.recipients),
        "",
    ]
