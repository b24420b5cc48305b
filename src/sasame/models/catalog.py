"""What the store sells: products, their variants (SKUs) and bundles of other SKUs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sasame.models.base import Amount, Base, currency_column, pk, source_column


class Product(Base):
    __tablename__ = "product"

    id: Mapped[int] = pk()
    handle: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(100))
    vendor: Mapped[str | None] = mapped_column(String(200), default=None)
    launched_on: Mapped[date | None] = mapped_column(Date, default=None)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    source_record_id: Mapped[int | None] = source_column()


class Variant(Base):
    """A sellable SKU, with its options (size, colour), barcode and list price."""

    __tablename__ = "variant"

    id: Mapped[int] = pk()
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    sku: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    size: Mapped[str | None] = mapped_column(String(40), default=None)
    colour: Mapped[str | None] = mapped_column(String(60), default=None)
    barcode: Mapped[str | None] = mapped_column(String(40), default=None)
    price: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = currency_column()
    weight_grams: Mapped[int | None] = mapped_column(Integer, default=None)
    unit_cost: Mapped[Decimal | None] = mapped_column(Amount, default=None)
    """What one unit costs the store, in the variant's currency, as the platform records it
    (Shopify's 'Cost per item'); None when the platform has none. Supplier prices live in supply."""
    is_bundle: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    launched_on: Mapped[date | None] = mapped_column(Date, default=None)
    discontinued_on: Mapped[date | None] = mapped_column(Date, default=None)
    source_record_id: Mapped[int | None] = source_column()


class BundleComponent(Base):
    """One component SKU of a bundle/kit and how many units of it one bundle holds."""

    __tablename__ = "bundle_component"
    __table_args__ = (UniqueConstraint("bundle_variant_id", "component_variant_id"),)

    id: Mapped[int] = pk()
    bundle_variant_id: Mapped[int] = mapped_column(ForeignKey("variant.id"), index=True)
    component_variant_id: Mapped[int] = mapped_column(ForeignKey("variant.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
