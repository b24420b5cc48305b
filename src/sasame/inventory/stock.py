"""Stock on hand per variant and location, as goods come in (a purchase order's receipt, a return
put back on the shelf)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sasame import models as m


def add_on_hand(session: Session, variant_id: int, location_id: int, units: int, now: datetime) -> None:
    """Raise the stock level by `units`, creating it (counted now) where the location had none."""
    level = session.scalars(
        select(m.StockLevel).where(
            m.StockLevel.variant_id == variant_id, m.StockLevel.location_id == location_id
        )
    ).first()
    if level is None:
        session.add(
            m.StockLevel(variant_id=variant_id, location_id=location_id, on_hand=units, counted_at=now)
        )
    else:
        level.on_hand += units
