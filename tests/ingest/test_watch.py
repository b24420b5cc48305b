"""The watched folder: files are imported once when their size has settled, moved to imported/ or
failed/ (with the reason beside them), and a bad file never stops the watcher."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from test_import_service import TinyOrders

from sasame import connectors
from sasame import models as m
from sasame.core.errors import UserError
from sasame.db import transaction
from sasame.ingest import watch
from sasame.ingest.watch import WatchedFolder, watch_folder

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
HEADER = "Order,Placed,Total,Email,Qty\n"
GOOD = HEADER + "1001,2026-03-01 09:00:00 -0500,19.99,ann@example.com,2\n"
OTHER = HEADER + "1002,2026-03-02 09:00:00 -0500,5.01,bo@example.com,1\n"
BAD = HEADER + "1003,2026-03-02 10:00:00 -0500,12.x5,c@example.com,1\n"


@pytest.fixture(autouse=True)
def tiny_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connectors, "REGISTRY", [TinyOrders()])
    monkeypatch.setattr("sasame.ingest.service.REGISTRY", [TinyOrders()])


def orders(engine: Engine) -> tuple[int, int]:
    with transaction(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(m.Order)) or 0,
            session.scalar(select(func.count()).select_from(m.SourceFile)) or 0,
        )


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """The watched folder (the SQLite test database lives in tmp_path itself)."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file())


def test_each_file_is_imported_once_after_it_settles(engine: Engine, inbox: Path) -> None:
    watched = WatchedFolder(engine, inbox, lambda: NOW)
    (inbox / "orders.csv").write_text(GOOD)
    assert watched.poll() == []  # first sight: wait one interval for the size to settle
    (result,) = watched.poll()
    assert (result.file, result.outcome, result.moved_to) == (
        "orders.csv",
        "imported",
        inbox / "imported/orders.csv",
    )
    assert result.summary is not None and result.summary.records["order"]["created"] == 1
    assert names(inbox) == [] and names(inbox / "imported") == ["orders.csv"]
    assert watched.poll() == [] and orders(engine) == (1, 1)

    # The same content again, under another name: recognised by its digest, not imported twice.
    (inbox / "orders (copy).csv").write_text(GOOD)
    watched.poll()
    (again,) = watched.poll()
    assert again.outcome == "already_imported"
    assert orders(engine) == (1, 1)
    assert names(inbox / "imported") == ["orders (copy).csv", "orders.csv"]

    # The same name with new content: imported, and kept beside the first without overwriting it.
    (inbox / "orders.csv").write_text(OTHER)
    watched.poll()
    (third,) = watched.poll()
    assert (third.outcome, third.moved_to.name) == ("imported", "orders (2).csv")
    assert orders(engine) == (2, 2)


def test_a_bad_file_is_set_aside_with_its_reason_and_the_next_one_imports(
    engine: Engine, inbox: Path
) -> None:
    reported: list[str] = []
    watched = WatchedFolder(engine, inbox, lambda: NOW, on_result=lambda r: reported.append(r.outcome))
    (inbox / "bad.csv").write_text(BAD)
    (inbox / "good.csv").write_text(GOOD)
    watched.poll()
    results = watched.poll()
    assert [(r.file, r.outcome) for r in results] == [("bad.csv", "failed"), ("good.csv", "imported")]
    assert reported == ["failed", "imported"]
    reason = (inbox / "failed" / "bad.csv.error.txt").read_text()
    assert reason == f"{inbox / 'bad.csv'}, row 2, column 'Total': '12.x5' is not an amount\n"
    assert names(inbox / "failed") == ["bad.csv", "bad.csv.error.txt"]
    assert orders(engine) == (1, 1)  # the bad file left nothing behind


def test_a_growing_file_waits_and_temporary_names_are_ignored(engine: Engine, inbox: Path) -> None:
    watched = WatchedFolder(engine, inbox, lambda: NOW)
    growing = inbox / "orders.csv"
    growing.write_text(HEADER)
    (inbox / "download.csv.crdownload").write_text(GOOD)
    (inbox / ".hidden.csv").write_text(GOOD)
    (inbox / "~$orders.xlsx").write_text("lock")
    assert watched.poll() == []
    with growing.open("a") as handle:
        handle.write(GOOD.removeprefix(HEADER))
    assert watched.poll() == []  # it changed since the last look
    assert [r.outcome for r in watched.poll()] == ["imported"]
    assert names(inbox) == [".hidden.csv", "download.csv.crdownload", "~$orders.xlsx"]


def test_a_bug_is_reported_and_does_not_stop_the_watcher(
    sqlite_engine: Engine, inbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = watch.import_file

    def flaky(session, path, **kwargs):  # type: ignore[no-untyped-def]
        if path.name == "first.csv":
            raise RuntimeError("boom")
        return real_import(session, path, **kwargs)

    monkeypatch.setattr(watch, "import_file", flaky)
    watched = WatchedFolder(sqlite_engine, inbox, lambda: NOW)
    (inbox / "first.csv").write_text(GOOD)
    (inbox / "second.csv").write_text(OTHER)
    watched.poll()
    assert [(r.file, r.outcome) for r in watched.poll()] == [
        ("first.csv", "failed"),
        ("second.csv", "imported"),
    ]
    error = (inbox / "failed" / "first.csv.error.txt").read_text()
    assert error == "first.csv: unexpected error (please report it): RuntimeError: boom\n"


def test_watch_folder_runs_until_stopped(sqlite_engine: Engine, inbox: Path) -> None:
    stop = threading.Event()
    seen: list[str] = []
    watcher = threading.Thread(
        target=watch_folder,
        args=(sqlite_engine, inbox),
        kwargs={
            "now_fn": lambda: NOW,
            "poll_seconds": 0.05,
            "stop_event": stop,
            "on_result": lambda r: seen.append(r.file),
        },
    )
    watcher.start()
    try:
        (inbox / "orders.csv").write_text(GOOD)
        deadline = time.monotonic() + 10
        while not seen and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        watcher.join(timeout=5)
    assert not watcher.is_alive()
    assert seen == ["orders.csv"] and orders(sqlite_engine) == (1, 1)


def test_a_missing_folder_is_a_user_error(sqlite_engine: Engine, inbox: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        WatchedFolder(sqlite_engine, inbox / "nowhere", lambda: NOW)


def test_a_database_in_the_folder_is_left_alone(sqlite_engine: Engine, inbox: Path) -> None:
    for name in ("sasame.db", "sasame.db-wal", "sasame.db-shm", "shop.sqlite3"):
        (inbox / name).write_bytes(b"SQLite format 3\x00")
    watched = WatchedFolder(sqlite_engine, inbox, lambda: NOW)
    assert watched.poll() == [] and watched.poll() == []
    assert names(inbox) == ["sasame.db", "sasame.db-shm", "sasame.db-wal", "shop.sqlite3"]
