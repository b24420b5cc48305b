"""Units on their way between two locations: shipped out by a transfer and not yet arrived."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tiny_store import build, local

from sasame import models as m
from sasame.inventory.queries import in_transit


def test_transfers_out_less_their_arrivals_per_sku(engine: Engine):
    build(engine)
    with Session(engine) as session, session.begin():
        variant = dict(session.execute(select(m.Variant.sku, m.Variant.id)).all())
        location = dict(session.execute(select(m.Location.code, m.Location.id)).all())

        def transfer(sku: str, kind: str, quantity: int, place: str, day: int) -> None:
            session.add(
                m.StockMovement(
                    variant_id=variant[sku],
                    location_id=location[place],
                    kind=kind,
                    quantity=quantity,
                    currency="USD",
                    moved_at=local(date(2025, 3, day)),
                )
            )

        # MUG: 6 sent to FBA, 2 arrived so far; TEE-S: 3 sent and all 3 arrived; TEE-M: none sent.
        transfer("MUG", "transfer_out", -6, "warehouse", 5)
        transfer("MUG", "transfer_in", 2, "fba", 8)
        transfer("TEE-S", "transfer_out", -3, "warehouse", 5)
        transfer("TEE-S", "transfer_in", 3, "fba", 9)
    with Session(engine) as session:
        assert in_transit(session) == {"MUG": 4}
