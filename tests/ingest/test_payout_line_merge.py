"""Payout lines from files that hold only part of a payout (lines_are_complete=False) merge by their
natural key instead of replacing the stored lines; complete records keep replacing them. On SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from sasame import models as m
from sasame.connectors.records import PayoutLineRecord, PayoutRecord, SourceRef
from sasame.db import transaction
from sasame.ingest.upsert import Upserter

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def line(key: str, amount: str, hour: int, origin: str = "test.transactions") -> PayoutLineRecord:
    return PayoutLineRecord(
        kind="principal" if Decimal(amount) > 0 else "fee",
        amount=Decimal(amount),
        currency="USD",
        occurred_at=datetime(2026, 3, 1, hour, tzinfo=UTC),
        source=SourceRef(origin, key, 2),
    )


def payout(
    external_id: str,
    lines: tuple[PayoutLineRecord, ...],
    *,
    amount: str | None = None,
    status: str = "paid",
    complete: bool = False,
    deposit: bool = False,
    origin: str = "test.transactions",
) -> PayoutRecord:
    total = Decimal(amount) if amount is not None else sum((x.amount for x in lines), Decimal(0))
    return PayoutRecord(
        provider="test_payments",
        external_id=external_id,
        period_start=datetime(2026, 3, 1, tzinfo=UTC),
        period_end=datetime(2026, 3, 2, tzinfo=UTC),
        paid_on=date(2026, 3, 3),
        amount=total,
        currency="USD",
        status=status,
        lines=lines,
        lines_are_complete=complete,
        amount_is_deposit=deposit,
        source=SourceRef(origin, f"payout:{external_id}"),
    )


def write(engine, *records: PayoutRecord) -> dict[str, dict[str, int]]:
    with transaction(engine) as session:
        upserter = Upserter(session, now=NOW, timezone=ZoneInfo("UTC"), source_file=None)
        upserter.payouts(list(records))
        return upserter.outcome.as_json()


def stored(engine) -> list[tuple[str, str, Decimal, int, list[Decimal]]]:
    with transaction(engine) as session:
        result = []
        for p in session.scalars(select(m.Payout).order_by(m.Payout.external_id)):
            amounts = sorted(
                session.scalars(select(m.PayoutLine.amount).where(m.PayoutLine.payout_id == p.id))
            )
            result.append((p.external_id, p.status, p.amount, p.period_start.hour, amounts))
        return result


def test_halves_of_a_payout_merge_and_the_amount_is_the_sum_of_all_lines(engine):
    first = payout("P1", (line("a", "10.00", 1), line("a:fee", "-0.59", 1)))
    second = payout("P1", (line("b", "20.00", 5), line("b:fee", "-0.88", 5)))
    assert write(engine, first)["payout"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert write(engine, second)["payout"] == {"created": 0, "updated": 1, "unchanged": 0}
    everything = [Decimal("-0.88"), Decimal("-0.59"), Decimal("10.00"), Decimal("20.00")]
    assert stored(engine) == [("P1", "paid", Decimal("28.53"), 0, everything)]
    # Either half again, or both: nothing changes and nothing is duplicated.
    assert write(engine, first)["payout"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert write(engine, second, first)["payout"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert stored(engine) == [("P1", "paid", Decimal("28.53"), 0, everything)]


def test_a_deposit_without_lines_keeps_the_lines_and_its_amount_stands(engine):
    write(engine, payout("P1", (line("a", "10.00", 1),)))
    deposit = payout("P1", (), amount="30.00", deposit=True, origin="test.payouts")
    assert write(engine, deposit)["payout"] == {"created": 0, "updated": 1, "unchanged": 0}
    assert stored(engine) == [("P1", "paid", Decimal("30.00"), 0, [Decimal("10.00")])]
    # The rest of the transactions arrive later: the deposit's amount is kept, the lines merge.
    write(engine, payout("P1", (line("b", "20.00", 5),)))
    assert stored(engine) == [("P1", "paid", Decimal("30.00"), 0, [Decimal("10.00"), Decimal("20.00")])]
    assert write(engine, deposit)["payout"] == {"created": 0, "updated": 0, "unchanged": 1}


def test_a_line_moves_from_a_pending_forecast_to_the_payout_that_paid_it(engine):
    write(engine, payout("pending", (line("a", "10.00", 1),), status="pending"))
    outcome = write(engine, payout("P1", (line("a", "10.00", 1), line("b", "5.00", 2))))
    assert outcome["payout"] == {"created": 1, "updated": 1, "unchanged": 0}  # the forecast is gone
    assert stored(engine) == [("P1", "paid", Decimal("15.00"), 0, [Decimal("5.00"), Decimal("10.00")])]


def test_complete_records_still_replace_their_lines(engine):
    write(engine, payout("S1", (line("x", "1.00", 1), line("y", "2.00", 2)), complete=True, deposit=True))
    write(engine, payout("S1", (line("x", "1.00", 1),), complete=True, deposit=True))
    assert stored(engine) == [("S1", "paid", Decimal("1.00"), 0, [Decimal("1.00")])]  # its own period
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(m.PayoutLine)) == 1
