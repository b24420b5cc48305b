"""Amazon settlements through the real import path, on SQLite and PostgreSQL: exact counts and
money, idempotence, V1 and V2 of one settlement being one payout, and a corrupted cell."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from connector_support import import_into, refused_unchanged
from sqlalchemy import func, select

from sasame import models as m
from sasame.connectors.records import OrderRecord, SourceRef
from sasame.db import transaction
from sasame.ingest.service import import_file
from sasame.ingest.upsert import Upserter

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def state(engine) -> tuple[int, int, Decimal, dict[str, Decimal]]:
    """Payouts, payout lines, the sum of all lines, and line totals by kind."""
    with transaction(engine) as session:
        by_kind = session.execute(
            select(m.PayoutLine.kind, func.sum(m.PayoutLine.amount)).group_by(m.PayoutLine.kind)
        ).all()
        return (
            session.scalar(select(func.count()).select_from(m.Payout)),
            session.scalar(select(func.count()).select_from(m.PayoutLine)),
            session.scalar(select(func.coalesce(func.sum(m.PayoutLine.amount), 0))),
            {kind: Decimal(total) for kind, total in by_kind},
        )


def test_v2_settlement_imports_once_and_again_unchanged(engine):
    path = FIXTURES / "settlement_v2_us.txt"
    first = import_into(engine, path, NOW)
    assert first.format == "amazon.settlement_v2"
    assert first.rows_read == 20
    assert first.records == {
        "channel": {"created": 1, "updated": 0, "unchanged": 0},
        "payout": {"created": 1, "updated": 0, "unchanged": 0},
    }
    assert first.money == {"payouts": {"USD": Decimal("17.25")}}
    assert len(first.warnings) == 2
    assert state(engine) == (
        1,
        19,
        Decimal("17.25"),
        {
            "principal": Decimal("57.99"),
            "shipping": Decimal("5.99"),
            "tax": Decimal("0.00"),
            "fee": Decimal("-35.69"),
            "refund": Decimal("-19.99"),
            "reserve": Decimal("10.00"),
            "other": Decimal("-1.05"),
        },
    )
    again = import_into(engine, path, NOW)
    assert again.records == {"payout": {"created": 0, "updated": 0, "unchanged": 1}}
    assert state(engine)[:3] == (1, 19, Decimal("17.25"))


def test_a_redownload_and_the_other_settlements_add_no_duplicates(engine, tmp_path):
    import_into(engine, FIXTURES / "settlement_v1_ca_36.txt", NOW)
    # The same settlement downloaded again (another name, Unix line ends) is the same payout.
    again = tmp_path / "50011020300.txt"
    again.write_bytes((FIXTURES / "settlement_v1_ca_36.txt").read_bytes().replace(b"\r\n", b"\n"))
    second = import_into(engine, again, NOW)
    assert second.records == {"payout": {"created": 0, "updated": 0, "unchanged": 1}}
    with transaction(engine) as session:
        third = import_file(session, FIXTURES / "settlement_v1_ca_33.txt", now=NOW)
        fourth = import_file(session, FIXTURES / "settlement_v2_de.txt", now=NOW)
    assert third.records["payout"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert fourth.money == {"payouts": {"EUR": Decimal("41.94")}}
    payouts, lines, _, _ = state(engine)
    assert (payouts, lines) == (3, 15 + 6 + 6)
    with transaction(engine) as session:
        amounts = dict(session.execute(select(m.Payout.external_id, m.Payout.amount)).all())
    assert amounts == {
        "50011020300": Decimal("12.19"),
        "50011020301": Decimal("72.52"),
        "20987654321": Decimal("41.94"),
    }


def test_lines_link_to_the_amazon_orders_already_imported(engine):
    # Order ids stay strings ('111-2223334-5556667'); payout lines find their order by them.
    order = OrderRecord(
        channel="amazon",
        external_id="111-2223334-5556667",
        number="111-2223334-5556667",
        ordered_at=datetime(2026, 3, 1, 18, tzinfo=UTC),
        currency="USD",
        subtotal=Decimal("39.98"),
        total=Decimal("45.97"),
        financial_status="paid",
        fulfillment_status="fulfilled",
        source=SourceRef("test", "111-2223334-5556667"),
    )
    with transaction(engine) as session:
        Upserter(session, now=NOW, timezone=ZoneInfo("UTC"), source_file=None).orders([order])
    with transaction(engine) as session:
        import_file(session, FIXTURES / "settlement_v2_us.txt", now=NOW)
        linked = session.execute(
            select(func.count(), func.sum(m.PayoutLine.amount)).where(m.PayoutLine.order_id.is_not(None))
        ).one()
    assert (linked[0], Decimal(linked[1])) == (10, Decimal("8.35"))


def corrupted(tmp_path: Path) -> Path:
    text = (FIXTURES / "settlement_v2_us.txt").read_bytes().decode("cp1252")
    path = tmp_path / "settlement.txt"
    path.write_bytes(text.replace("\t-4.75\t", "\t-4.7S\t").encode("cp1252"))
    return path


def test_a_corrupted_cell_imports_nothing_and_says_where(engine, tmp_path):
    import_into(engine, FIXTURES / "settlement_v2_de.txt", NOW)
    bad = corrupted(tmp_path)
    assert (
        refused_unchanged(engine, bad, NOW, state)
        == f"{bad}, row 12, column 'amount': '-4.7S' is not an amount"
    )


def test_a_settlement_whose_deposit_is_still_ahead_is_in_transit_until_it_lands(engine):
    # Amazon publishes the report two days before the 2026-03-17 deposit reaches the bank.
    path = FIXTURES / "settlement_v2_us.txt"
    import_into(engine, path, datetime(2026, 3, 16, 12, tzinfo=UTC))
    with transaction(engine) as session:
        assert session.scalars(select(m.Payout.status)).all() == ["in_transit"]
    later = import_into(engine, path, datetime(2026, 3, 18, 12, tzinfo=UTC))
    assert later.records == {"payout": {"created": 0, "updated": 1, "unchanged": 0}}
    with transaction(engine) as session:
        assert session.scalars(select(m.Payout.status)).all() == ["paid"]
