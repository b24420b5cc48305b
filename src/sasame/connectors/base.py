"""The one small shape every connector has: file formats it recognises by content, and what they yield."""

from __future__ import annotations

import csv
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar
from zoneinfo import ZoneInfo

from sasame.connectors.files import SourceFile, sniff_delimiter
from sasame.connectors.records import OrderColumns, Record


@dataclass
class ParseContext:
    """What a parser may need from the store, and where it reports what it could not take as is."""

    timezone: ZoneInfo
    """The store's timezone, for platforms that write local times without an offset."""
    currency: str
    """The store's currency, for formats that do not name one."""
    warnings: list[str] = field(default_factory=list)
    rows_read: int = 0
    """Data rows (or API objects) the parser read; set by the parser for the import summary."""
    now: datetime | None = None
    """When the import runs: the moment of a count a file gives without its own date (the stock
    in a products export). Without it such counts are not read."""

    def warn(self, message: str) -> None:
        """Record something the user should know (a damaged date, an unknown fee type kept as other)."""
        self.warnings.append(message)


class FileFormat(ABC):
    """An export format a seller downloads; recognised by its content, never by its file name."""

    name: ClassVar[str]
    """Stable id, '<platform>.<export>': 'shopify.orders_csv', 'amazon.settlement_v2'."""
    title: ClassVar[str]
    """What the seller calls it: 'Shopify orders export (CSV)'."""

    @abstractmethod
    def detect(self, file: SourceFile) -> bool:
        """Return True if the file's content (headers, markers) is this format."""

    @abstractmethod
    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[Record]:
        """Yield canonical records; raise InputError naming file, row and column on bad input."""

    def order_columns(self, file: SourceFile, context: ParseContext) -> OrderColumns | None:
        """The file's orders as columns, exactly what `parse` would yield, when reading them that
        way is certain to agree with it (the warnings `parse` would give go to context, with
        rows_read); None otherwise, and for every format without a columnar reader: `parse` then
        reads the file, with its warnings and errors."""
        return None


def header_line(file: SourceFile, *, skip_lines: int = 0) -> list[str]:
    """The header line's cells, for detection (cheap: no full parse)."""
    lines = file.head(16_384).split("\n")
    if len(lines) <= skip_lines:
        return []
    first = lines[skip_lines].rstrip("\r")
    try:
        return [cell.strip() for cell in next(csv.reader([first], delimiter=sniff_delimiter(first)), [])]
    except csv.Error:  # a stray carriage return inside the line: no header
        return []
