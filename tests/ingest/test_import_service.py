"""The import path itself, with a tiny format registered for the test: detection by content,
idempotence, corrected re-exports, one transaction per file, lineage to the file row."""

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sasame import connectors
from sasame import models as m
from sasame.connectors.base import FileFormat, ParseContext, header_line
from sasame.connectors.files import SourceFile
from sasame.connectors.records import OrderLineRecord, OrderRecord, SourceRef
from sasame.core.errors import InputError
from sasame.db import transaction
from sasame.ingest.service import import_file

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


class TinyOrders(FileFormat):
    name = "test.tiny_orders"
    title = "Tiny orders (test)"

    def detect(self, file: SourceFile) -> bool:
        return header_line(file)[:3] == ["Order", "Placed", "Total"]

    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[OrderRecord]:
        table = file.table()
        context.rows_read = len(table.rows)
        for row in table.rows:
            total = row.required_money("Total")
            yield OrderRecord(
                channel="shopify",
                external_id=row.required_text("Order"),
                number=f"#{row.required_text('Order')}",
                ordered_at=row.instant("Placed", formats=["%Y-%m-%d %H:%M:%S %z"], required=True),
                currency="USD",
                subtotal=total,
                total=total,
                financial_status="paid",
                fulfillment_status="unfulfilled",
                email=row.text("Email"),
                # Qty read with int(), unbounded on purpose: the import's own net must catch what
                # a parser forgot to bound (see the too-large-number test).
                lines=(OrderLineRecord(title="Tee", quantity=int(row.text("Qty") or 1), unit_price=total),),
                source=SourceRef(self.name, row.required_text("Order"), row.number, dict(row.values)),
            )


@pytest.fixture(autouse=True)
def tiny_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connectors, "REGISTRY", [TinyOrders()])
    monkeypatch.setattr("sasame.ingest.service.REGISTRY", [TinyOrders()])


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("Order,Placed,Total,Email,Qty\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def counts(engine) -> tuple[int, int, int, Decimal]:
    with transaction(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(m.Order)),
            session.scalar(select(func.count()).select_from(m.OrderLine)),
            session.scalar(select(func.count()).select_from(m.Customer)),
            session.scalar(select(func.coalesce(func.sum(m.Order.total), 0))),
        )


ROWS = [
    "1001,2026-03-01 09:00:00 -0500,19.99,Ann@Example.com,2",
    "1002,2026-03-01 23:30:00 -0500,5.01,bo@example.com,1",
]


def test_import_is_idempotent_and_updates_corrections(engine, tmp_path):
    path = write(tmp_path / "export.csv", ROWS)
    with transaction(engine) as session:
        first = import_file(session, path, now=NOW)
    assert first.format == "test.tiny_orders"
    assert first.rows_read == 2
    assert first.records["order"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert first.money == {"order_total": {"USD": Decimal("25.00")}}
    with transaction(engine) as session:
        again = import_file(session, path, now=NOW)
    assert again.records["order"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert counts(engine) == (2, 2, 2, Decimal("25.00"))

    corrected = write(tmp_path / "corrected.csv", [ROWS[0].replace("19.99", "21.00"), ROWS[1]])
    with transaction(engine) as session:
        third = import_file(session, corrected, now=NOW)
    assert third.records["order"] == {"created": 0, "updated": 1, "unchanged": 1}
    assert counts(engine) == (2, 2, 2, Decimal("26.01"))


def test_order_keeps_lineage_and_business_day(engine, tmp_path):
    path = write(tmp_path / "export.csv", ROWS)
    with transaction(engine) as session:
        session.add(m.BusinessSetting(name="S", currency="USD", timezone="America/New_York", created_at=NOW))
    with transaction(engine) as session:
        import_file(session, path, now=NOW)
    with transaction(engine) as session:
        order = session.scalar(select(m.Order).where(m.Order.number == "#1002"))
        source = session.get(m.SourceRecord, order.source_record_id)
        kept = session.get(m.SourceFile, source.source_file_id)
    assert order.order_date.isoformat() == "2026-03-01"  # 23:30 in New York, 04:30 UTC next day
    assert order.email == "bo@example.com"
    assert (source.origin, source.natural_key, source.row_number) == ("test.tiny_orders", "1002", 3)
    assert kept.name == "export.csv" and kept.format == "test.tiny_orders"


def test_a_bad_cell_imports_nothing_and_names_file_row_column(engine, tmp_path):
    good = write(tmp_path / "good.csv", ROWS[:1])
    with transaction(engine) as session:
        import_file(session, good, now=NOW)
    before = counts(engine)
    bad = write(tmp_path / "bad.csv", [ROWS[1], "1003,2026-03-02 10:00:00 -0500,12.x5,c@example.com,1"])
    with pytest.raises(InputError) as caught, transaction(engine) as session:
        import_file(session, bad, now=NOW)
    assert str(caught.value) == f"{bad}, row 3, column 'Total': '12.x5' is not an amount"
    assert counts(engine) == before


def test_a_number_too_large_for_the_database_is_an_input_error(engine, tmp_path):
    # A 29-digit quantity no parser bounded: SQLite's driver refuses it while binding (OverflowError),
    # PostgreSQL with an out-of-range error; either way one line naming the file, nothing written.
    good = write(tmp_path / "good.csv", ROWS[:1])
    with transaction(engine) as session:
        import_file(session, good, now=NOW)
    before = counts(engine)
    bad = write(
        tmp_path / "bad.csv", [ROWS[1], "1003,2026-03-02 10:00:00 -0500,12.05,c@example.com," + "9" * 29]
    )
    with pytest.raises(InputError) as caught, transaction(engine) as session:
        import_file(session, bad, now=NOW)
    assert str(caught.value).startswith(f"{bad}: holds a ")
    assert "the database" in str(caught.value) and "\n" not in str(caught.value)
    assert counts(engine) == before


def test_unrecognised_content_is_refused_whatever_the_name(engine, tmp_path):
    path = tmp_path / "orders_export.csv"
    path.write_text("Something,Else\n1,2\n")
    with pytest.raises(InputError, match="is not a format sasame recognises"), transaction(engine) as session:
        import_file(session, path, now=NOW)


def test_a_value_the_database_cannot_store_is_an_input_error(postgres_engine, tmp_path, monkeypatch):
    # No parser bounds every field; the net turns PostgreSQL's refusal into the one-line error.
    path = write(tmp_path / "export.csv", ROWS)
    monkeypatch.setattr(TinyOrders, "name", "test." + "x" * 100)  # origin longer than its column
    with pytest.raises(InputError) as caught, transaction(postgres_engine) as session:
        import_file(session, path, now=NOW)
    assert str(caught.value).startswith(f"{path}: holds a value the database cannot store (value too long")
    assert counts(postgres_engine) == (0, 0, 0, Decimal(0))
