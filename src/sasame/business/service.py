"""The store's own settings (name, currency, timezone), with the defaults used before `sasame init`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.core.clock import zone
from sasame.core.errors import ConfigError


@dataclass(frozen=True)
class StoreSettings:
    name: str
    currency: str
    timezone: str


DEFAULT_SETTINGS = StoreSettings(name="My store", currency="USD", timezone="UTC")


def store_settings(session: Session) -> StoreSettings:
    """Return the business settings row, or the defaults when the database has none yet."""
    row = session.scalars(select(m.BusinessSetting).order_by(m.BusinessSetting.id).limit(1)).first()
    if row is None:
        return DEFAULT_SETTINGS
    return StoreSettings(name=row.name, currency=row.currency, timezone=row.timezone)


def configure_business(
    session: Session, *, name: str | None, currency: str | None, timezone: str | None, now: datetime
) -> StoreSettings:
    """Create the settings row or change the given fields; a bad currency or zone is a ConfigError."""
    if currency is not None:
        currency = currency.upper()
        if len(currency) != 3 or not currency.isalpha():
            raise ConfigError(f"--currency: {currency!r} is not a three-letter ISO 4217 code such as USD")
    if timezone is not None:
        zone(timezone)
    row = session.scalars(select(m.BusinessSetting).order_by(m.BusinessSetting.id).limit(1)).first()
    if row is None:
        row = m.BusinessSetting(
            name=name or DEFAULT_SETTINGS.name,
            currency=currency or DEFAULT_SETTINGS.currency,
            timezone=timezone or DEFAULT_SETTINGS.timezone,
            created_at=now,
        )
        session.add(row)
    else:
        row.name = name or row.name
        row.currency = currency or row.currency
        row.timezone = timezone or row.timezone
    session.flush()
    return StoreSettings(name=row.name, currency=row.currency, timezone=row.timezone)
