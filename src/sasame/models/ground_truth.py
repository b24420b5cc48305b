"""What the demo generator really generated, kept so tests and engines can check fidelity against it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sasame.models.base import Base, pk


class GroundTruth(Base):
    """A fact known to the generator: an email's true label, a SKU's latent demand, a creative's true ROAS."""

    __tablename__ = "ground_truth"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = pk()
    kind: Mapped[str] = mapped_column(String(60), index=True)
    key: Mapped[str] = mapped_column(String(300))
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
