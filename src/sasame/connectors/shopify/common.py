"""What Shopify's CSV exports share: header matching by name whatever its case, and fast readers for
the store-local instants and plain amounts that fill hundreds of thousands of cells."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal

from sasame.connectors.base import ParseContext
from sasame.connectors.files import CsvTable, Row, parse_instant

SPREADSHEET_INSTANT_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
)
"""What a spreadsheet makes of Shopify's 'YYYY-MM-DD HH:MM:SS -0700' when it re-saves the file:
the offset is gone, so the store's timezone is assumed (and the user is told)."""


def fold(header: str) -> str:
    """A header as compared: case and runs of spaces do not matter."""
    return " ".join(header.split()).casefold()


def canonical_headers(
    table: CsvTable, known: Iterable[str], aliases: Mapping[str, str] | None = None
) -> None:
    """Rename headers to Shopify's spelling when only case, spacing or an older name differs."""
    by_folded = {fold(name): name for name in known}
    for alias, name in (aliases or {}).items():
        by_folded[fold(alias)] = name
    renames = {
        header: by_folded[fold(header)]
        for header in table.header
        if fold(header) in by_folded and by_folded[fold(header)] != header
    }
    if renames:
        table.rename(renames)


def money(row: Row, column: str, *, required: bool = False) -> Decimal | None:
    """A plain amount ('184.76', '-179.55') fast; anything else through the general parser."""
    raw = row.values.get(column)
    if raw:
        try:
            # Shopify writes plain decimals: Decimal() takes them directly, and the general parser
            # (symbols, separators, parentheses) only sees the rare cell that is not.
            if raw[0] in "-0123456789" and raw[-1].isdigit() and "e" not in raw and "E" not in raw:
                value = Decimal(raw)
                if value.is_finite():
                    return value
        except ArithmeticError:
            pass
    return row.money(column, required=required)


def instant(row: Row, column: str, context: ParseContext, *, required: bool = False) -> datetime | None:
    """Shopify's 'YYYY-MM-DD HH:MM:SS ±HHMM'; a spreadsheet-damaged value is read in the store's zone."""
    raw = row.values.get(column)
    if raw and len(raw) == 25 and raw[19] == " " and raw[20] in "+-":
        try:
            return datetime.fromisoformat(f"{raw[:19]}{raw[20:23]}:{raw[23:]}").astimezone(UTC)
        except ValueError:
            pass
    value = row.text(column, required=required)
    if value is None:
        return None
    try:
        return parse_instant(value, formats=("%Y-%m-%d %H:%M:%S %z",))
    except ValueError:
        pass
    try:
        parsed = parse_instant(value, formats=SPREADSHEET_INSTANT_FORMATS, timezone=context.timezone)
    except ValueError:
        raise row.error(column, f"{value!r} is not a date and time") from None
    warn_once(
        context,
        f"{row.file}: dates without a UTC offset",
        f" (first {value!r} in column {column!r}, row {row.number}) look re-saved by a spreadsheet;"
        f" they were read in the store's timezone {context.timezone.key}",
    )
    return parsed


def warn_once(context: ParseContext, key: str, details: str) -> None:
    """Warn about a kind of problem once per file (the first case as the example), not once per row."""
    if not any(warning.startswith(key) for warning in context.warnings):
        context.warn(key + details)
