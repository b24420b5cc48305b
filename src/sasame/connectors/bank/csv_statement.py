"""Bank statements as CSV (formats.md §9.1): presets for the US banks whose layout is known, and
any other bank through a column mapping the seller saved once (`sasame bank mapping add`).

Bank CSVs carry no transaction id, so a line's natural key is a digest of (account, day, amount,
description) plus its occurrence number among identical lines of the file: two identical coffees
on one day stay two lines, and the same statement imported again (or an overlapping one that holds
those days whole) finds the same keys.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sasame.connectors.base import FileFormat, ParseContext, header_line
from sasame.connectors.files import CsvTable, Row, SourceFile, sniff_delimiter
from sasame.connectors.records import BankTransactionRecord, SourceRef
from sasame.core.errors import InputError


@dataclass(frozen=True)
class BankCsvLayout:
    """Where a bank's CSV keeps each field: a preset, or a mapping the seller saved."""

    name: str
    account: str
    date_column: str
    date_format: str
    description_columns: tuple[str, ...]
    amount_column: str | None = None
    """Signed (deposits positive); otherwise debit and credit columns."""
    debit_column: str | None = None
    credit_column: str | None = None
    id_column: str | None = None
    balance_column: str | None = None
    currency: str | None = None
    """None: the store's currency."""
    decimal_comma: bool = False
    account_suffix_column: str | None = None
    """A column naming the card or account within the file (Capital One 'Card No.')."""
    signature: tuple[str, ...] = ()
    """Header names that identify a preset; a saved mapping is identified by the columns it uses."""
    headerless: tuple[str, ...] = ()
    """Column names to give a file that has no header line (Wells Fargo)."""

    def columns(self) -> set[str]:
        named = (
            self.date_column,
            *self.description_columns,
            self.amount_column,
            self.debit_column,
            self.credit_column,
            self.id_column,
            self.balance_column,
            self.account_suffix_column,
        )
        return {column for column in named if column} | set(self.signature)


PRESETS: tuple[BankCsvLayout, ...] = (
    BankCsvLayout(
        name="chase_checking",
        account="chase-checking",
        date_column="Posting Date",
        date_format="%m/%d/%Y",
        description_columns=("Description",),
        amount_column="Amount",
        balance_column="Balance",
        signature=("Details", "Posting Date", "Description", "Amount", "Type", "Balance", "Check or Slip #"),
    ),
    BankCsvLayout(
        # Chase's card sign convention is reported both ways; amounts are kept as the file writes them.
        name="chase_credit_card",
        account="chase-credit-card",
        date_column="Post Date",
        date_format="%m/%d/%Y",
        description_columns=("Description",),
        amount_column="Amount",
        signature=("Transaction Date", "Post Date", "Description", "Category", "Type", "Amount", "Memo"),
    ),
    BankCsvLayout(
        name="capital_one",
        account="capital-one",
        date_column="Posted Date",
        date_format="%Y-%m-%d",
        description_columns=("Description",),
        debit_column="Debit",
        credit_column="Credit",
        account_suffix_column="Card No.",
        signature=(
            "Transaction Date",
            "Posted Date",
            "Card No.",
            "Description",
            "Category",
            "Debit",
            "Credit",
        ),
    ),
    BankCsvLayout(
        name="wells_fargo",
        account="wells-fargo",
        date_column="Date",
        date_format="%m/%d/%Y",
        description_columns=("Description",),
        amount_column="Amount",
        headerless=("Date", "Amount", "Star", "Check Number", "Description"),
    ),
)
"""Layouts formats.md documents. Bank of America, Amex and others have no documented column set
yet: their files import through a saved mapping."""

SAVED_LAYOUTS: ContextVar[tuple[BankCsvLayout, ...]] = ContextVar("saved_bank_layouts", default=())
"""The mappings saved in the database, loaded by sasame.connectors.bank.mappings.use_saved_mappings:
detection sees only the file, so the import's boundary puts them here first."""

_WELLS_FARGO_LINE = re.compile(r'^"?\d{1,2}/\d{1,2}/\d{4}"?,"?[-+]?[\d.,]+"?,"?\*"?,')


class BankCsv(FileFormat):
    """A bank's CSV statement, by preset or by a saved mapping whose columns the header has."""

    name = "bank.csv"
    title = "Bank statement (CSV: Chase, Capital One, Wells Fargo, or a saved mapping)"

    def detect(self, file: SourceFile) -> bool:
        try:
            return self.layout(file) is not None
        except InputError:
            return False

    def layout(self, file: SourceFile) -> BankCsvLayout | None:
        """The saved mapping (first) or preset this file matches, if any."""
        header = set(header_line(file))
        saved = [layout for layout in SAVED_LAYOUTS.get() if layout.columns() <= header]
        if len(saved) > 1:
            # The mapping that uses the most of the file's columns is the most specific one.
            saved.sort(key=lambda layout: len(layout.columns()), reverse=True)
            if len(saved[0].columns()) == len(saved[1].columns()):
                names = ", ".join(layout.name for layout in saved)
                raise InputError(f"matches several saved bank mappings ({names})", file=file.name, row=1)
        if saved:
            return saved[0]
        for preset in PRESETS:
            if preset.signature and set(preset.signature) <= header:
                return preset
        first = file.head(2048).split("\n", 1)[0].strip()
        if _WELLS_FARGO_LINE.match(first) and len(next(csv.reader([first]), [])) == 5:
            return next(preset for preset in PRESETS if preset.name == "wells_fargo")
        return None

    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[BankTransactionRecord]:
        layout = self.layout(file)
        if layout is None:
            raise InputError(
                "is not a bank CSV sasame knows (no preset or saved mapping matches)", file=file.name
            )
        table = self._table(file, layout)
        table.require(*sorted(layout.columns()))
        context.rows_read = len(table.rows)
        occurrences: Counter[str] = Counter()
        for row in table.rows:
            posted_on = self._day(row, layout, file.name, context)
            amount = self._amount(row, layout)
            description = " ".join(
                " ".join(text.split()) for column in layout.description_columns if (text := row.text(column))
            )
            account = layout.account
            if layout.account_suffix_column and (suffix := row.text(layout.account_suffix_column)):
                account = f"{account}-{suffix}"
            bank_id = row.text(layout.id_column) if layout.id_column else None
            if bank_id:
                key = bank_id
            else:
                content = f"{account}|{posted_on.isoformat()}|{amount}|{description}"
                digest = hashlib.sha256(content.encode("utf-8")).hexdigest()[:24]
                occurrences[digest] += 1
                key = f"{digest}:{occurrences[digest]}"
            yield BankTransactionRecord(
                account=account[:60],
                external_id=key[:100],
                posted_on=posted_on,
                amount=amount,
                currency=(layout.currency or context.currency).upper(),
                description=description[:300],
                source=SourceRef(self.name, f"{account}:{key}", row.number, dict(row.values)),
            )

    def _table(self, file: SourceFile, layout: BankCsvLayout) -> CsvTable:
        if not layout.headerless:
            return file.table()
        # A headerless file: give its columns names, keeping the file's own row numbers.
        text = file.text
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
        rows: list[Row] = []
        try:
            for cells in reader:
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) != len(layout.headerless):
                    raise InputError(
                        f"has {len(cells)} cells but this bank's file has {len(layout.headerless)}",
                        file=file.name,
                        row=reader.line_num,
                    )
                rows.append(Row(file.name, reader.line_num, dict(zip(layout.headerless, cells, strict=True))))
        except csv.Error as error:
            raise InputError(
                f"is not a readable CSV file ({error})", file=file.name, row=reader.line_num
            ) from error
        return CsvTable(file=file.name, header=list(layout.headerless), rows=rows)

    def _day(self, row: Row, layout: BankCsvLayout, name: str, context: ParseContext) -> date:
        text = row.text(layout.date_column, required=True)
        assert text is not None
        try:
            return datetime.strptime(text, layout.date_format).date()
        except ValueError:
            pass
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise row.error(
                layout.date_column, f"{text!r} is not a date in the form {layout.date_format}"
            ) from None
        # A spreadsheet re-saved the file with ISO dates: readable, but the user should know.
        context.warn(
            f"{name}, row {row.number}: date {text!r} is not in the bank's form {layout.date_format} "
            "(re-saved by a spreadsheet?); read as year-month-day"
        )
        return day

    def _amount(self, row: Row, layout: BankCsvLayout) -> Decimal:
        if layout.amount_column:
            return row.required_money(layout.amount_column, decimal_comma=layout.decimal_comma)
        assert layout.debit_column and layout.credit_column
        debit = row.money(layout.debit_column, decimal_comma=layout.decimal_comma)
        credit = row.money(layout.credit_column, decimal_comma=layout.decimal_comma)
        if debit is None and credit is None:
            raise row.error(
                layout.credit_column, f"is empty and so is {layout.debit_column!r}: the line has no amount"
            )
        # Both columns are unsigned in most files; some banks write debits negative anyway.
        return abs(credit or Decimal(0)) - abs(debit or Decimal(0))
