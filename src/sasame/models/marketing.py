"""What the store spends to be found and what it earns back: ads, email, touchpoints."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sasame.models.base import Amount, Base, UTCDateTime, currency_column, pk, source_column

AD_PLATFORMS = ("google", "meta", "amazon_ads")


class AdCampaign(Base):
    __tablename__ = "ad_campaign"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = pk()
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    objective: Mapped[str | None] = mapped_column(String(60), default=None)


class AdSet(Base):
    """An ad set (Meta), ad group (Google) or ad group (Amazon Sponsored Products)."""

    __tablename__ = "ad_set"
    __table_args__ = (UniqueConstraint("campaign_id", "external_id"),)

    id: Mapped[int] = pk()
    campaign_id: Mapped[int] = mapped_column(ForeignKey("ad_campaign.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))


class Ad(Base):
    __tablename__ = "ad"
    __table_args__ = (UniqueConstraint("ad_set_id", "external_id"),)

    id: Mapped[int] = pk()
    ad_set_id: Mapped[int] = mapped_column(ForeignKey("ad_set.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    creative: Mapped[str | None] = mapped_column(String(300), default=None)


class AdSpendDay(Base):
    """One ad's delivery on one day, as the platform reports it (its own attribution)."""

    __tablename__ = "ad_spend_day"
    __table_args__ = (UniqueConstraint("ad_id", "spend_date"),)

    id: Mapped[int] = pk()
    ad_id: Mapped[int] = mapped_column(ForeignKey("ad.id"))
    spend_date: Mapped[date] = mapped_column(Date, index=True)
    spend: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = currency_column()
    impressions: Mapped[int] = mapped_column(Integer)
    clicks: Mapped[int] = mapped_column(Integer)
    conversions: Mapped[int] = mapped_column(Integer)
    conversion_value: Mapped[Decimal] = mapped_column(Amount)
    source_record_id: Mapped[int | None] = source_column()


class EmailCampaign(Base):
    """An email send (kind 'campaign') or an automated flow message (kind 'flow')."""

    __tablename__ = "email_campaign"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = pk()
    platform: Mapped[str] = mapped_column(String(20))
    """klaviyo, mailchimp."""
    external_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(300))
    flow_name: Mapped[str | None] = mapped_column(String(200), default=None)
    """For flow messages: welcome, abandoned_cart, post_purchase, ..."""
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class EmailPerformanceDay(Base):
    __tablename__ = "email_performance_day"
    __table_args__ = (UniqueConstraint("email_campaign_id", "performance_date"),)

    id: Mapped[int] = pk()
    email_campaign_id: Mapped[int] = mapped_column(ForeignKey("email_campaign.id"))
    performance_date: Mapped[date] = mapped_column(Date, index=True)
    recipients: Mapped[int] = mapped_column(Integer)
    delivered: Mapped[int] = mapped_column(Integer)
    opens: Mapped[int] = mapped_column(Integer)
    clicks: Mapped[int] = mapped_column(Integer)
    unsubscribes: Mapped[int] = mapped_column(Integer)
    conversions: Mapped[int] = mapped_column(Integer)
    revenue: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = currency_column()
    source_record_id: Mapped[int | None] = source_column()


class MarketingTouchpoint(Base):
    """One contact of a customer with marketing: an ad click or view, an email open or click, a visit."""

    __tablename__ = "marketing_touchpoint"

    id: Mapped[int] = pk()
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True, default=None)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), index=True, default=None)
    """The order this touch preceded, where known."""
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(20))
    """ad_click, ad_view, email_open, email_click, organic_visit, referral_visit."""
    source: Mapped[str] = mapped_column(String(60))
    medium: Mapped[str | None] = mapped_column(String(60), default=None)
    campaign: Mapped[str | None] = mapped_column(String(200), default=None)
    ad_id: Mapped[int | None] = mapped_column(ForeignKey("ad.id"), default=None)
    email_campaign_id: Mapped[int | None] = mapped_column(ForeignKey("email_campaign.id"), default=None)
    source_record_id: Mapped[int | None] = source_column()
