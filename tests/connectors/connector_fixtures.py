"""Find every connector's fixture files and the format each one belongs to (shared by the contract
and fuzz suites; the convention is documented at the top of test_contract.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sasame.connectors import REGISTRY, FileFormat
from sasame.connectors.files import SourceFile
from sasame.core.errors import InputError

CONNECTOR_TESTS = Path(__file__).parent
INDEX_NAME = "formats.json"


@dataclass(frozen=True)
class Fixture:
    """One input file written for a connector's tests."""

    path: Path
    platform: str
    format_name: str | None
    """The format the file belongs to; None when no format claims it (an API payload, say)."""
    valid: bool = True
    """False for files that are broken on purpose (a corrupted cell): they must not parse."""
    how: str = ""
    """How the format was found, for messages."""

    @property
    def label(self) -> str:
        return str(self.path.relative_to(CONNECTOR_TESTS))

    def source(self) -> SourceFile:
        return SourceFile(name=self.path.name, data=self.path.read_bytes())


def platform_of(file_format: FileFormat) -> str:
    """The connector package a format lives in: sasame.connectors.<platform>.<module>."""
    parts = type(file_format).__module__.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["sasame", "connectors"] else parts[-1]


def is_fixture_file(path: Path) -> bool:
    name = path.name
    return (
        path.is_file()
        and not name.startswith((".", "_"))
        and ".expected." not in name
        and name != INDEX_NAME
        and not name.lower().startswith("readme")
        and "__pycache__" not in path.parts
    )


def _expected_format(path: Path) -> str | None:
    """The format named by the fixture's expected-records file, when it is an object with 'format'."""
    names = (path.name + ".expected.json", path.stem + ".expected.json")
    for candidate in (path.with_name(name) for name in names):
        if candidate.is_file():
            try:
                expected = json.loads(candidate.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError):
                return None
            if isinstance(expected, dict) and isinstance(expected.get("format"), str):
                return str(expected["format"])
    return None


def _detects(file_format: FileFormat, path: Path) -> bool:
    try:
        return bool(file_format.detect(SourceFile(name=path.name, data=path.read_bytes())))
    except InputError:
        return False


def _resolve(path: Path, platform: str, index: dict[str, object]) -> Fixture:
    entry = index.get(path.name, ...)
    if entry is None:
        return Fixture(path, platform, None, how=f"{INDEX_NAME} says it is no import file")
    if isinstance(entry, str):
        return Fixture(path, platform, entry, how=INDEX_NAME)
    if isinstance(entry, dict) and isinstance(entry.get("format"), str):
        return Fixture(path, platform, entry["format"], bool(entry.get("valid", True)), how=INDEX_NAME)
    named = _expected_format(path)
    if named:
        return Fixture(path, platform, named, how="its .expected.json")
    own = [f for f in REGISTRY if platform_of(f) == platform]
    if len(own) == 1:
        return Fixture(path, platform, own[0].name, how="the only format of its platform")
    detecting = [f.name for f in own if _detects(f, path)]
    if len(detecting) == 1:
        return Fixture(path, platform, detecting[0], how="the one format of its platform detecting it")
    return Fixture(path, platform, None, how="unresolved")


@cache
def all_fixtures() -> tuple[Fixture, ...]:
    """Every fixture file under tests/connectors/<platform>/fixtures/, with its format resolved."""
    found: list[Fixture] = []
    for folder in sorted(CONNECTOR_TESTS.glob("*/fixtures")):
        platform = folder.parent.name
        for path in sorted(p for p in folder.rglob("*") if is_fixture_file(p)):
            index_path = path.parent / INDEX_NAME
            index = json.loads(index_path.read_text(encoding="utf-8")) if index_path.is_file() else {}
            found.append(_resolve(path, platform, index))
    return tuple(found)


def fixtures_of(format_name: str, *, valid_only: bool = True) -> list[Fixture]:
    return [f for f in all_fixtures() if f.format_name == format_name and (f.valid or not valid_only)]


def format_by_name(name: str) -> FileFormat:
    return next(f for f in REGISTRY if f.name == name)
