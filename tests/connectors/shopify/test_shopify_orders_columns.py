"""The columnar path of the Shopify orders import (`orders_columns`, `Upserter.new_orders`) leaves
the database exactly as the record path does: every fixture, generated exports with every variant
the columnar reader takes (quoted newlines, CRLF, a BOM, rows of an order apart, tax-inclusive
prices, refunds, cancellations, a stripped ZIP, older column sets, stored customers, a clock
change), and the files it hands back to the record path (a stored order, a damaged cell), imported
both ways into fresh databases and compared row by row, table by table, with the summaries."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import test_fuzz as fuzz
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shopify_golden import FIXTURES
from sqlalchemy import Engine, select

from sasame import models as m
from sasame.connectors.shopify.orders_csv import COLUMNS, ShopifyOrdersCsv
from sasame.core.errors import InputError
from sasame.db import make_engine, transaction, upgrade
from sasame.demo.context import DemoScale
from sasame.demo.load import load_demo_store
from sasame.ingest.service import ImportSummary, import_file
from sasame.ingest.upsert import Upserter

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
ORDER_FIXTURES = sorted(FIXTURES.glob("orders_*.csv"))


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, read through the ORM types (the same values on both backends)."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for table in m.Base.metadata.sorted_tables:
            rows = connection.execute(select(table).order_by(*table.primary_key.columns)).all()
            tables[table.name] = [
                tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows
            ]
    return tables


class Paths:
    """Which path each import took."""

    def __init__(self) -> None:
        self.columnar: list[bool] = []


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> Paths:
    taken = Paths()
    new_orders = Upserter.new_orders
    order_columns = ShopifyOrdersCsv.order_columns

    def spy_new_orders(self: Upserter, columns: Any) -> bool:
        result = new_orders(self, columns)
        taken.columnar.append(result)
        return result

    def spy_order_columns(self: ShopifyOrdersCsv, file: Any, context: Any) -> Any:
        columns = order_columns(self, file, context)
        if columns is None:
            taken.columnar.append(False)
        return columns

    monkeypatch.setattr(Upserter, "new_orders", spy_new_orders)
    monkeypatch.setattr(ShopifyOrdersCsv, "order_columns", spy_order_columns)
    return taken


def fresh(folder: Path, name: str, *, timezone: str = "America/Toronto", currency: str = "CAD") -> Engine:
    engine = make_engine(f"sqlite:///{folder / name}.db")
    upgrade(engine)
    settle(engine, timezone, currency)
    return engine


def settle(engine: Engine, timezone: str = "America/Toronto", currency: str = "CAD") -> None:
    with transaction(engine) as session:
        session.add(m.BusinessSetting(name="S", currency=currency, timezone=timezone, created_at=NOW))


def run(engine: Engine, path: Path) -> ImportSummary | str:
    """The summary, or the error's one line."""
    try:
        with transaction(engine) as session:
            return import_file(session, path, now=NOW)
    except InputError as error:
        return str(error)


def both_ways(
    folder: Path,
    files: list[Path],
    monkeypatch: pytest.MonkeyPatch,
    *,
    engine: Engine | None = None,
    **store: str,
) -> tuple[list[Any], list[Any], Engine, Engine]:
    """Import the files in order into one store with the columnar path available and into another
    without it; return both lists of summaries and both engines."""
    columnar = engine or fresh(folder, "columnar", **store)
    if engine is not None:
        settle(engine, **store)
    first = [run(columnar, path) for path in files]
    with monkeypatch.context() as patched:
        patched.setattr(ShopifyOrdersCsv, "order_columns", lambda self, file, context: None)
        records = fresh(folder, "records", **store)
        second = [run(records, path) for path in files]
    return first, second, columnar, records


def summaries(results: list[Any]) -> list[Any]:
    return [result.as_json() if isinstance(result, ImportSummary) else result for result in results]


def assert_same(folder: Path, files: list[Path], monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> list[Any]:
    first, second, columnar, records = both_ways(folder, files, monkeypatch, **kwargs)
    assert summaries(first) == summaries(second)
    assert dump(columnar) == dump(records)
    return summaries(first)


# -- the fixtures --------------------------------------------------------------------------------

FIXTURE_PATHS = {
    "orders_2012_47_columns.csv": True,
    "orders_2021_75_columns.csv": True,
    "orders_2024_75_columns_eu_tax_included.csv": True,
    "orders_2025_79_columns.csv": True,
    "orders_corrupted_total.csv": False,  # '12.x5' is not an amount: the record path's error
    "orders_resaved_by_spreadsheet.csv": False,  # dates without offsets: the record path warns
}


def test_fixture_list_is_complete() -> None:
    assert sorted(FIXTURE_PATHS) == [path.name for path in ORDER_FIXTURES]


@pytest.mark.parametrize("fixture", ORDER_FIXTURES, ids=lambda path: path.name)
def test_every_fixture_ends_the_same_both_ways(
    fixture: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paths: Paths
) -> None:
    results = assert_same(tmp_path, [fixture, fixture], monkeypatch)
    # The second import of a file finds its orders stored: the record path compares them.
    assert paths.columnar == [FIXTURE_PATHS[fixture.name], False]
    if isinstance(results[0], dict):
        assert results[0]["records"]["order"]["created"] > 0
        assert results[1]["records"]["order"] == {
            "created": 0,
            "updated": 0,
            "unchanged": results[0]["records"]["order"]["created"],
        }


def test_a_fixture_on_each_backend_matches_the_record_path_on_sqlite(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paths: Paths
) -> None:
    fixture = FIXTURES / "orders_2025_79_columns.csv"
    results = assert_same(tmp_path, [fixture], monkeypatch, engine=engine)
    assert paths.columnar == [True]
    assert results[0]["records"]["order"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert results[0]["money"] == {"order_total": {"CAD": "304.94"}}


# -- generated exports ---------------------------------------------------------------------------


def export(
    orders: int,
    *,
    columns: tuple[str, ...] = tuple(COLUMNS),
    start: datetime = datetime(2025, 3, 8, 12, tzinfo=UTC),
    step: timedelta = timedelta(minutes=37),
    changes: dict[int, dict[str, str]] | None = None,
    interleave: bool = False,
) -> list[dict[str, str]]:
    """Rows of a varied export, newest order first; `changes` sets cells of an order's first row."""
    rows: list[dict[str, str]] = []
    moved: list[dict[str, str]] = []  # with interleave: later lines of odd orders, at the end
    for number in reversed(range(orders)):
        created = start + step * number
        local = created - timedelta(hours=5 if number % 2 else 4)
        created_text = local.strftime("%Y-%m-%d %H:%M:%S ") + ("-0500" if number % 2 else "-0400")
        lines = [
            (f"SKU-{(number + k) % 7}" if k != 2 else "", Decimal(f"{10 + k}.{number % 100:02d}"), 1 + k % 3)
            for k in range(1 + number % 4)
        ]
        gross = sum((price * quantity for _, price, quantity in lines), Decimal(0))
        discount = Decimal("1.50") if number % 5 == 0 else Decimal("0.00")
        shipping = Decimal("4.99") if number % 3 else Decimal("0")
        taxes = ((gross - discount) * Decimal("0.13")).quantize(Decimal("0.01"))
        inclusive = number % 11 == 4
        duties = Decimal("1.00") if number % 17 == 2 and "Duties" in columns else Decimal(0)
        total = gross - discount + shipping + duties + (0 if inclusive else taxes)
        for position, (sku, price, quantity) in enumerate(lines):
            row = dict.fromkeys(columns, "")
            row.update(
                {
                    "Name": f"#{2001 + number}",
                    "Email": f"Buyer{number % 9}@Example.com" if number % 13 else "",
                    "Created at": created_text,
                    "Lineitem quantity": str(quantity),
                    "Lineitem name": f" Fancy thing {sku} " if position != 1 else "Plain thing",
                    "Lineitem price": str(price),
                    "Lineitem sku": f"'{sku}" if sku.endswith("3") else sku,
                    "Lineitem discount": "0.50" if position == 1 else "",
                }
            )
            if position == 0:
                row.update(
                    {
                        "Financial Status": ("paid", "Partially Refunded", "authorized", "refunded")[
                            number % 4
                        ],
                        "Fulfillment Status": ("fulfilled", "", "partial", "restocked")[number % 4],
                        "Accepts Marketing": ("yes", "no", "TRUE")[number % 3],
                        "Currency": ("cad", "CAD", "")[number % 3],
                        "Subtotal": str(gross - discount),
                        "Shipping": str(shipping),
                        "Taxes": str(taxes),
                        "Total": str(total),
                        "Discount Code": "SAVE" if discount else "",
                        "Discount Amount": str(discount),
                        "Billing Name": f"Buyer Nº{number}" if number % 4 else "",
                        "Shipping Name": f"Ship {number}",
                        "Billing City": "Montréal",
                        "Billing Province": "QC",
                        "Billing Country": "CA",
                        "Billing Zip": "H2X 1Y4",
                        "Shipping City": " Brooklyn " if number % 6 == 1 else "--",
                        "Shipping Zip": "2201" if number == 7 else "11201",
                        "Shipping Province": "NY",
                        "Shipping Country": "US" if number % 6 == 1 or number == 7 else "",
                        "Note Attributes": (
                            f"UTM source: src{number % 4}\nutm-medium: paid\nReferring Site: https://x.test/{number}"
                            if number % 3 == 0
                            else ""
                        ),
                        "Notes": "Leave at the door,\nplease" if number % 8 == 0 else "",
                        "Cancelled at": local.strftime("%Y-%m-%d %H:%M:%S -0400") if number % 10 == 9 else "",
                        "Refunded Amount": "2.50" if number % 4 == 3 else "0.00",
                        "Id": str(9_000_000 + number) if number % 7 else "",
                        "Duties": str(duties) if duties else "",
                    }
                )
                if inclusive:
                    row["Tax 1 Name"] = "VAT 13%"
            row.update((changes or {}).get(number, {}) if position == 0 else {})
            (moved if interleave and position and number % 2 else rows).append({c: row[c] for c in columns})
    return rows + moved


def write(path: Path, rows: list[dict[str, str]], *, newline: str = "\n", bom: bool = False) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator=newline)
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8"))
    return path


VARIANTS = {
    "plain": ({}, {}),
    "crlf_bom": ({}, {"newline": "\r\n", "bom": True}),
    "rows_apart": ({"interleave": True}, {}),
    "older_columns": ({"columns": tuple(COLUMNS[:47])}, {}),
    "across_a_clock_change": (
        {"start": datetime(2025, 3, 9, 4, tzinfo=UTC), "step": timedelta(minutes=5)},
        {},
    ),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_generated_exports_end_the_same_both_ways(
    variant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paths: Paths
) -> None:
    shape, writing = VARIANTS[variant]
    path = write(tmp_path / "orders_export.csv", export(60, **shape), **writing)  # type: ignore[arg-type]
    results = assert_same(tmp_path, [path], monkeypatch)
    assert paths.columnar == [True]
    result = results[0]
    assert result["records"]["order"] == {"created": 60, "updated": 0, "unchanged": 0}
    if variant != "older_columns":  # 47 columns: no 'Refunded Amount' yet
        assert [warning.split(":")[1][:20] for warning in result["warnings"]] == [
            " US ZIP codes shorte",
            " its orders show 37.",
        ]


def test_a_generated_export_on_each_backend_matches_the_record_path_on_sqlite(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paths: Paths
) -> None:
    rows = export(60, interleave=True)
    first = write(
        tmp_path / "first.csv", [row for row in rows if int(row["Name"][1:]) < 2031], newline="\r\n"
    )
    second = write(tmp_path / "second.csv", [row for row in rows if int(row["Name"][1:]) >= 2031], bom=True)
    results = assert_same(tmp_path, [first, second, second], monkeypatch, engine=engine)
    assert paths.columnar == [True, True, False]
    assert [result["records"]["order"]["created"] for result in results] == [30, 30, 0]


def test_buyers_and_orders_already_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paths: Paths
) -> None:
    rows = export(40)
    older = write(tmp_path / "older.csv", [row for row in rows if int(row["Name"][1:]) < 2021])
    newer = write(tmp_path / "newer.csv", [row for row in rows if int(row["Name"][1:]) >= 2021])
    overlapping = write(tmp_path / "overlapping.csv", [row for row in rows if int(row["Name"][1:]) >= 2015])
    results = assert_same(tmp_path, [older, newer, overlapping], monkeypatch)
    # The buyers of the second file are stored already; the third names stored orders.
    assert paths.columnar == [True, True, False]
    assert results[0]["records"]["customer"]["created"] == 9
    assert "customer" not in results[1]["records"]  # all nine buyers were met in the first file
    assert results[2]["records"]["order"] == {"created": 0, "updated": 0, "unchanged": 26}


DAMAGE = {
    "bad_amount": {"Total": "12.x5"},
    "amount_with_symbol": {"Shipping": "$4.99"},
    "five_decimals": {"Taxes": "1.23456"},
    "spreadsheet_date": {"Created at": "2025-03-08 10:00"},
    "impossible_date": {"Created at": "2025-02-30 10:00:00 -0500"},
    "unknown_status": {"Financial Status": "on_hold"},
    "totals_off": {"Total": "1.00"},
    "no_total": {"Total": ""},
    "huge_amount": {"Subtotal": "1000000000000.00"},
    "duplicate_id": {"Id": "9000001"},
    "blank_name": {"Name": "  "},
    "name_with_spaces": {"Name": " #2003"},
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_what_the_columns_do_not_take_goes_through_the_records(
    damage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paths: Paths
) -> None:
    path = write(tmp_path / "orders_export.csv", export(20, changes={3: DAMAGE[damage]}))
    results = assert_same(tmp_path, [path], monkeypatch)
    assert paths.columnar == [False]
    assert isinstance(results[0], str) or results[0]["warnings"]


def test_a_blank_line_goes_through_the_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paths: Paths
) -> None:
    path = write(tmp_path / "orders_export.csv", export(10))
    text = path.read_text(encoding="utf-8").split("\n")
    path.write_text("\n".join([*text[:5], "", *text[5:]]), encoding="utf-8")
    results = assert_same(tmp_path, [path], monkeypatch)
    assert paths.columnar == [False]
    assert results[0]["records"]["order"]["created"] == 10


def test_no_trailing_newline_and_a_short_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paths: Paths
) -> None:
    path = write(tmp_path / "orders_export.csv", export(10))
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    short = write(tmp_path / "short.csv", export(10))
    lines = short.read_text(encoding="utf-8").split("\n")
    lines[3] = lines[3].rsplit(",", 1)[0]
    short.write_text("\n".join(lines), encoding="utf-8")
    assert_same(tmp_path, [path, short], monkeypatch)
    assert paths.columnar == [True, False]


# -- damage, at random ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty store's database file, copied for every example (migrating one takes a while)."""
    folder = tmp_path_factory.mktemp("templates")
    engine = fresh(folder, "template")
    engine.dispose()
    return folder / "template.db"


@given(data=st.data())
@settings(
    max_examples=int(os.environ.get("SASAME_FUZZ_EXAMPLES", "12")),
    deadline=None,
    derandomize=os.environ.get("SASAME_FUZZ_RANDOM") != "1",
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
def test_a_damaged_export_ends_the_same_both_ways(
    data: st.DataObject, templates: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the damage (test_fuzz's kinds: truncation, a short row, a wrong or corrupted cell,
    other encodings, random bytes), both paths end alike: the same error line, or the same summary
    and the same rows."""
    original = write(tmp_path / "original.csv", export(12)).read_bytes()
    kind, damaged = data.draw(fuzz.mutated(original))
    path = tmp_path / "orders_export.csv"
    path.write_bytes(damaged)
    results = []
    for name, columns_allowed in (("columnar", True), ("records", False)):
        database = tmp_path / f"{name}.db"
        shutil.copyfile(templates, database)
        engine = make_engine(f"sqlite:///{database}")
        with monkeypatch.context() as patched:
            if not columns_allowed:
                patched.setattr(ShopifyOrdersCsv, "order_columns", lambda self, file, context: None)
            result = run(engine, path)
        results.append((summaries([result]), dump(engine)))
        engine.dispose()
    assert results[0] == results[1], kind


# -- the demo's exports --------------------------------------------------------------------------


def test_the_demo_store_loads_the_same_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paths: Paths
) -> None:
    """`sasame demo` imports its Shopify orders exports month after month into one store (the
    first of each into a store holding the earlier months): the store ends the same."""
    scale = DemoScale(weeks=10, orders_per_week=40, skus=20)
    end, now = date(2026, 3, 2), datetime(2026, 3, 2, 15, tzinfo=UTC)
    stores = []
    for name, columns_allowed in (("columnar", True), ("records", False)):
        engine = make_engine(f"sqlite:///{tmp_path / name}.db")
        summaries: list[ImportSummary] = []
        with monkeypatch.context() as patched:
            if not columns_allowed:
                patched.setattr(ShopifyOrdersCsv, "order_columns", lambda self, file, context: None)
            load_demo_store(
                engine,
                tmp_path / f"exports-{name}",
                seed=5,
                scale=scale,
                end=end,
                now=now,
                summaries=summaries,
            )
        folder = str(tmp_path / f"exports-{name}")
        # The summaries name each file by its path: the same but for the folder.
        seen = json.loads(json.dumps([summary.as_json() for summary in summaries]).replace(folder, "exports"))
        stores.append((seen, dump(engine)))
        engine.dispose()
    assert stores[0][0] == stores[1][0]
    assert stores[0][1] == stores[1][1]
    shopify_files = [s for s in stores[0][0] if s["format"] == ShopifyOrdersCsv.name]
    assert len(shopify_files) >= 3 and paths.columnar == [True] * len(shopify_files)
