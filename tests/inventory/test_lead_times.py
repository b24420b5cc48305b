"""Supplier lead times learned from a small PO history, and the quoted fallback."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tiny_store import build

from sasame.inventory.lead_times import Delivery, lead_times, summarise


def test_lead_times_from_first_receipts_in_the_store_timezone(engine: Engine):
    build(engine)
    with Session(engine) as session:
        learned = {lt.supplier: lt for lt in lead_times(session).values()}
    acme = learned["Acme"]
    # 10, 14 and 12 days: PO-3 was placed at 23:30 New York time (already the 2nd in UTC) and first
    # received on the 13th; the rest of it came a week later and does not count.
    assert (acme.observations, acme.mean_days, acme.sd_days) == (3, 12.0, 2.0)
    assert acme.on_time_rate == 1 / 3
    assert acme.source == "history"


def test_too_little_history_falls_back_to_the_quote(engine: Engine):
    build(engine)
    with Session(engine) as session:
        slowboat = next(lt for lt in lead_times(session).values() if lt.supplier == "Slowboat")
    assert slowboat.source == "quoted"
    assert (slowboat.observations, slowboat.mean_days, slowboat.sd_days) == (1, 30.0, 7.5)
    assert slowboat.on_time_rate == 0.0  # its one PO came 9 days late


def test_summary_of_deliveries_without_any():
    nothing = summarise(1, "New Co", 20, [])
    assert nothing.as_dict() == {
        "supplier": "New Co",
        "quoted_days": 20,
        "observations": 0,
        "mean_days": 20.0,
        "sd_days": 5.0,
        "on_time_rate": None,
        "source": "quoted",
    }
    three = summarise(
        2,
        "Even",
        7,
        [
            Delivery(2, date(2025, 1, day), date(2025, 1, day + 7), date(2025, 1, day + 7))
            for day in (1, 2, 3)
        ],
    )
    assert (three.mean_days, three.sd_days, three.on_time_rate) == (7.0, 0.0, 1.0)
