"""Supplier lead times learned from purchase-order history, falling back to the quoted ones.

A lead time is the number of business days from the day a PO was placed (in the store's timezone)
to the day its first goods arrived: the first receipt is what refills the shelf, and a short-shipped
remainder weeks later says more about the supplier's fill than about its speed. A PO is on time when
that first receipt came no later than the PO's expected day.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.business.service import store_settings
from sasame.core.clock import business_day

MINIMUM_OBSERVATIONS = 3
"""Fewer received POs than this and the quoted lead time is used instead of the learned one."""
QUOTED_SPREAD = 0.25
"""Without history, assume a lead time varies by a quarter of the quoted one (one standard deviation)."""


@dataclass(frozen=True)
class LeadTime:
    """What a supplier's lead time is, in days, and where the figure comes from."""

    supplier_id: int
    supplier: str
    quoted_days: int
    observations: int
    mean_days: float
    sd_days: float
    on_time_rate: float | None
    """Share of received POs whose first receipt came by the expected day; None without history."""
    source: str
    """'history' when learned from at least MINIMUM_OBSERVATIONS received POs, else 'quoted'."""

    def as_dict(self) -> dict[str, object]:
        return {
            "supplier": self.supplier,
            "quoted_days": self.quoted_days,
            "observations": self.observations,
            "mean_days": round(self.mean_days, 2),
            "sd_days": round(self.sd_days, 2),
            "on_time_rate": None if self.on_time_rate is None else round(self.on_time_rate, 4),
            "source": self.source,
        }


@dataclass(frozen=True)
class Delivery:
    """One received PO: when it was placed, expected and first received (business days)."""

    supplier_id: int
    ordered_on: date
    expected_on: date
    received_on: date

    @property
    def days(self) -> int:
        return (self.received_on - self.ordered_on).days


def summarise(supplier_id: int, supplier: str, quoted_days: int, deliveries: Iterable[Delivery]) -> LeadTime:
    """Mean, sample standard deviation and on-time rate of a supplier's deliveries (or the quote)."""
    observed = list(deliveries)
    days = [d.days for d in observed]
    if len(days) >= MINIMUM_OBSERVATIONS:
        mean = sum(days) / len(days)
        sd = math.sqrt(sum((x - mean) ** 2 for x in days) / (len(days) - 1))
        on_time = sum(1 for d in observed if d.received_on <= d.expected_on) / len(observed)
        return LeadTime(supplier_id, supplier, quoted_days, len(days), mean, sd, on_time, "history")
    on_time_rate = (
        sum(1 for d in observed if d.received_on <= d.expected_on) / len(observed) if observed else None
    )
    return LeadTime(
        supplier_id,
        supplier,
        quoted_days,
        len(days),
        float(quoted_days),
        QUOTED_SPREAD * quoted_days,
        on_time_rate,
        "quoted",
    )


def deliveries(session: Session, timezone: str) -> list[Delivery]:
    """Every PO that has received goods, with the day of its first receipt.

    The first receipt comes from the PO's receipt movements; a PO marked received without any
    movement uses its `received_on`."""
    first_receipt = dict(
        session.execute(
            select(m.PurchaseOrderLine.purchase_order_id, func.min(m.StockMovement.moved_at))
            .join(m.StockMovement, m.StockMovement.purchase_order_line_id == m.PurchaseOrderLine.id)
            .where(m.StockMovement.kind == "receipt", m.StockMovement.quantity > 0)
            .group_by(m.PurchaseOrderLine.purchase_order_id)
        ).all()
    )
    rows = session.execute(
        select(
            m.PurchaseOrder.id,
            m.PurchaseOrder.supplier_id,
            m.PurchaseOrder.ordered_at,
            m.PurchaseOrder.expected_on,
            m.PurchaseOrder.received_on,
        ).where(m.PurchaseOrder.status != "cancelled")
    ).all()
    found = []
    for po_id, supplier_id, ordered_at, expected_on, received_on in rows:
        arrived: datetime | None = first_receipt.get(po_id)
        day = business_day(arrived, timezone) if arrived is not None else received_on
        if day is None:
            continue
        found.append(Delivery(supplier_id, business_day(ordered_at, timezone), expected_on, day))
    return found


def lead_times(session: Session) -> dict[int, LeadTime]:
    """Lead time per supplier id, learned from history where there is enough of it."""
    timezone = store_settings(session).timezone
    by_supplier: dict[int, list[Delivery]] = defaultdict(list)
    for delivery in deliveries(session, timezone):
        by_supplier[delivery.supplier_id].append(delivery)
    suppliers = session.execute(
        select(m.Supplier.id, m.Supplier.name, m.Supplier.quoted_lead_time_days).order_by(m.Supplier.name)
    ).all()
    return {
        supplier_id: summarise(supplier_id, name, quoted, by_supplier.get(supplier_id, []))
        for supplier_id, name, quoted in suppliers
    }
