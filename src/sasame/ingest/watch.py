"""The watched folder: a seller drops exports into a folder and each is imported once.

Decisions (documented for the seller in docs and `sasame import --watch --help`):

* A file is read only once its size and modification time have stayed the same for one poll
  interval, so a download or copy still in progress is never half-imported. Hidden files and the
  temporary names browsers and office programs use while writing (`.part`, `.crdownload`,
  `.tmp`, `~$…`) are ignored until renamed; so is a SQLite database kept in the same folder.
* Each file is imported in its own transaction (the one `import_file` the CLI uses), then moved
  out of the way so the folder shows what is left to do:
    - imported (or already imported before: same SHA-256 as a kept `source_file`) → `imported/`;
    - refused → `failed/`, with `<name>.error.txt` beside it holding the one-sentence reason.
  A name already taken in those folders gets a numbered suffix; nothing is overwritten.
* A bad file, or even a bug, is reported and the watcher goes on with the next file.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select

from sasame import models as m
from sasame.core.errors import UserError
from sasame.db import transaction
from sasame.ingest.service import ImportSummary, import_file

log = logging.getLogger(__name__)

IMPORTED_FOLDER = "imported"
FAILED_FOLDER = "failed"
TEMPORARY_SUFFIXES = (".part", ".partial", ".crdownload", ".download", ".tmp", ".temp", ".swp")
DATABASE_SUFFIXES = (".db", ".sqlite", ".sqlite3", "-wal", "-shm", "-journal", ".secret")
"""A SQLite store kept in the watched folder must never be taken for an export (nor moved)."""


@dataclass(frozen=True)
class WatchResult:
    """What happened to one dropped file."""

    file: str
    outcome: str
    """'imported', 'already_imported' or 'failed'."""
    moved_to: Path
    summary: ImportSummary | None = None
    error: str | None = None


@dataclass
class WatchedFolder:
    """One folder's state between polls: the size and mtime each waiting file had last time."""

    engine: Engine
    folder: Path
    now_fn: Callable[[], datetime]
    on_result: Callable[[WatchResult], None] | None = None
    _seen: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.folder.is_dir():
            raise UserError(f"watched folder {self.folder} does not exist or is not a folder")
        (self.folder / IMPORTED_FOLDER).mkdir(exist_ok=True)
        (self.folder / FAILED_FOLDER).mkdir(exist_ok=True)

    def poll(self) -> list[WatchResult]:
        """Import every file whose size has settled since the last poll; return what happened."""
        results = []
        waiting: dict[Path, tuple[int, int]] = {}
        for path in sorted(self.folder.iterdir()):
            if not _is_candidate(path):
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue  # removed between listing and looking
            signature = (stat.st_size, stat.st_mtime_ns)
            if self._seen.get(path) != signature:
                waiting[path] = signature  # new or still growing: look again next time
                continue
            result = self._take(path)
            results.append(result)
            if self.on_result is not None:
                self.on_result(result)
        self._seen = waiting
        return results

    def _take(self, path: Path) -> WatchResult:
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            with transaction(self.engine) as session:
                known = session.scalar(select(m.SourceFile.id).where(m.SourceFile.digest == digest))
            if known is not None:
                log.info("%s: already imported (same content), moved to %s/", path.name, IMPORTED_FOLDER)
                return WatchResult(path.name, "already_imported", _move(path, self.folder / IMPORTED_FOLDER))
            with transaction(self.engine) as session:
                summary = import_file(session, path, now=self.now_fn())
        except UserError as error:
            return self._fail(path, str(error))
        except Exception as error:  # a bug must not stop the watcher; it is logged with its traceback
            log.exception("%s: unexpected error while importing", path.name)
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            return self._fail(path, f"{path.name}: unexpected error (please report it): {detail}")
        log.info("%s: imported as %s (%d rows)", path.name, summary.format, summary.rows_read)
        return WatchResult(path.name, "imported", _move(path, self.folder / IMPORTED_FOLDER), summary=summary)

    def _fail(self, path: Path, message: str) -> WatchResult:
        log.warning("%s", message)
        moved = _move(path, self.folder / FAILED_FOLDER)
        moved.with_name(moved.name + ".error.txt").write_text(message + "\n", encoding="utf-8")
        return WatchResult(path.name, "failed", moved, error=message)


def watch_folder(
    engine: Engine,
    folder: Path,
    *,
    now_fn: Callable[[], datetime],
    poll_seconds: float = 2.0,
    stop_event: threading.Event,
    on_result: Callable[[WatchResult], None] | None = None,
) -> None:
    """Import each file dropped into `folder` once, until `stop_event` is set (the CLI's --watch)."""
    watched = WatchedFolder(engine, folder, now_fn, on_result)
    log.info("watching %s every %.1f s", folder, poll_seconds)
    while not stop_event.is_set():
        watched.poll()
        stop_event.wait(poll_seconds)


def _is_candidate(path: Path) -> bool:
    name = path.name
    return (
        path.is_file()
        and not name.startswith((".", "~$"))
        and not name.lower().endswith(TEMPORARY_SUFFIXES + DATABASE_SUFFIXES)
        and not name.endswith(".error.txt")
    )


def _move(path: Path, folder: Path) -> Path:
    """Move a file into folder without overwriting: 'orders.csv' → 'orders (2).csv' when taken."""
    target = folder / path.name
    number = 2
    while target.exists():
        target = folder / f"{path.stem} ({number}){path.suffix}"
        number += 1
    return path.replace(target)
