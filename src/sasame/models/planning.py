"""What the inventory engine decided: each plan run, its forecasts and its reorder suggestions.

The dashboard and the CLI read the latest run from here instead of re-forecasting on every request;
earlier runs stay, so a forecast made weeks ago can be set against what really sold.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sasame.models.base import Amount, Base, UTCDateTime, currency_column, pk


class InventoryPlan(Base):
    """One run of the replenishment plan, with the lists that need no table of their own."""

    __tablename__ = "inventory_plan"

    id: Mapped[int] = pk()
    made_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    plan_date: Mapped[date] = mapped_column(Date)
    """The store's business day the plan was made for ('today')."""
    currency: Mapped[str] = currency_column()
    history_days: Mapped[int] = mapped_column(Integer)
    horizon_days: Mapped[int] = mapped_column(Integer)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Counts, totals, seconds taken, lead times per supplier and the plan's settings."""
    lists: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Stockout risks, slow movers and dead stock, markdowns and FBA transfers, as shown."""
    backtest: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    """The latest backtest result (the `sasame inventory backtest --json` document), when one was run."""


class InventoryForecast(Base):
    """One SKU's forecast for one future business day, made by one plan run."""

    __tablename__ = "inventory_forecast"
    __table_args__ = (Index("ix_inventory_forecast_plan_variant", "plan_id", "variant_id"),)

    id: Mapped[int] = pk()
    plan_id: Mapped[int] = mapped_column(ForeignKey("inventory_plan.id", ondelete="CASCADE"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variant.id"), index=True)
    forecast_date: Mapped[date] = mapped_column(Date)
    mean_units: Mapped[float] = mapped_column(Float)
    low_units: Mapped[float] = mapped_column(Float)
    high_units: Mapped[float] = mapped_column(Float)
    level: Mapped[int] = mapped_column(Integer)
    """Coverage of the [low, high] interval in percent."""
    model: Mapped[str] = mapped_column(String(40))
    demand_class: Mapped[str] = mapped_column(String(20))


class ReorderSuggestion(Base):
    """What the plan says to buy for one SKU: how much, from whom, by when, and why."""

    __tablename__ = "reorder_suggestion"

    id: Mapped[int] = pk()
    plan_id: Mapped[int] = mapped_column(ForeignKey("inventory_plan.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variant.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_cost: Mapped[Decimal] = mapped_column(Amount)
    cost: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = currency_column()
    order_by: Mapped[date] = mapped_column(Date)
    expected_on: Mapped[date] = mapped_column(Date)
    stockout_on: Mapped[date | None] = mapped_column(Date, default=None)
    """The business day stock runs out if nothing is ordered; None if not within the horizon."""
    inventory_position: Mapped[int] = mapped_column(Integer)
    reorder_point: Mapped[float] = mapped_column(Float)
    order_up_to: Mapped[float] = mapped_column(Float)
    safety_stock: Mapped[float] = mapped_column(Float)
    service_level: Mapped[float] = mapped_column(Float)
    daily_demand: Mapped[float] = mapped_column(Float)
    lead_time_days: Mapped[float] = mapped_column(Float)
    is_funded: Mapped[bool] = mapped_column(default=True)
    """False when an optional cash budget left this line out."""
