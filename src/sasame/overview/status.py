"""`sasame status`: what the database holds, per entity group, with its date range and money totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.core.money import round_money

ENTITY_GROUPS: dict[str, tuple[type[m.Base], ...]] = {
    "business": (m.BusinessSetting, m.Channel, m.Location),
    "catalog": (m.Product, m.Variant, m.BundleComponent),
    "suppliers": (m.Supplier, m.SupplierTerm),
    "purchasing": (m.PurchaseOrder, m.PurchaseOrderLine),
    "stock": (m.StockLevel, m.StockMovement),
    "customers": (m.Customer,),
    "orders": (m.Order, m.OrderLine),
    "fulfilment": (m.Shipment, m.TrackingEvent),
    "returns": (m.Return, m.ReturnLine, m.Refund, m.Chargeback),
    "payouts": (m.Payout, m.PayoutLine, m.BankTransaction),
    "advertising": (m.AdCampaign, m.AdSet, m.Ad, m.AdSpendDay),
    "email": (m.EmailCampaign, m.EmailPerformanceDay),
    "touchpoints": (m.MarketingTouchpoint,),
    "support": (m.SupportTicket, m.SupportMessage, m.SupportAction),
    "alerts": (m.Alert,),
    "audit": (m.AuditLog,),
    "sources": (m.SourceFile, m.SourceRecord),
    "ground_truth": (m.GroundTruth,),
    "users": (m.User,),
}
"""Every table of the schema, grouped the way an owner thinks of the business."""

# (label, amount column, currency column): the money an owner expects `status` to add up.
MONEY_TOTALS: tuple[tuple[str, Any, Any], ...] = (
    ("order_total", m.Order.total, m.Order.currency),
    ("refunds", m.Refund.amount, m.Refund.currency),
    ("payouts", m.Payout.amount, m.Payout.currency),
    ("ad_spend", m.AdSpendDay.spend, m.AdSpendDay.currency),
    ("email_revenue", m.EmailPerformanceDay.revenue, m.EmailPerformanceDay.currency),
)


@dataclass
class StoreStatus:
    counts: dict[str, dict[str, int]]
    first_order_date: date | None
    last_order_date: date | None
    money: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    """label → currency → exact total, rounded to the currency's minor unit."""

    def as_json(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "group_totals": {group: sum(tables.values()) for group, tables in self.counts.items()},
            "order_dates": {
                "first": self.first_order_date.isoformat() if self.first_order_date else None,
                "last": self.last_order_date.isoformat() if self.last_order_date else None,
            },
            "money": {
                label: {currency: str(amount) for currency, amount in totals.items()}
                for label, totals in self.money.items()
            },
        }


def store_status(session: Session) -> StoreStatus:
    """Count every table by entity group and total the store's money per currency, exactly."""
    counts = {
        group: {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in group_models
        }
        for group, group_models in ENTITY_GROUPS.items()
    }
    first, last = session.execute(select(func.min(m.Order.order_date), func.max(m.Order.order_date))).one()
    money: dict[str, dict[str, Decimal]] = {}
    for label, amount, currency in MONEY_TOTALS:
        rows = session.execute(select(currency, func.sum(amount)).group_by(currency).order_by(currency))
        money[label] = {code: round_money(total, code) for code, total in rows if total is not None}
    return StoreStatus(counts=counts, first_order_date=first, last_order_date=last, money=money)
