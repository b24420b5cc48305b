"""Bank statements in OFX: 1.x SGML (unclosed leaf tags, CHARSET:1252) and 2.x XML, and the QFX
(Quicken) and QBO (QuickBooks) files that are OFX with Intuit extras (formats.md §9.2).

The parser reads tags with a tolerant scanner rather than an XML parser because real files mix
the two syntaxes (an XML declaration with unclosed SGML leaves). FITID is the bank's own id of a
transaction and the natural key: re-imports and overlapping statements update, never duplicate.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import date

from sasame.connectors.base import FileFormat, ParseContext
from sasame.connectors.files import SourceFile, decode, parse_amount
from sasame.connectors.records import BankTransactionRecord, SourceRef
from sasame.core.errors import InputError

_STATEMENT = re.compile(r"<(STMTRS|CCSTMTRS)>(.*?)(?:</\1>|(?=<(?:STMTRS|CCSTMTRS)>)|\Z)", re.S | re.I)
_TRANSACTION = re.compile(r"<STMTTRN>(.*?)(?:</STMTTRN>|(?=<STMTTRN>|</BANKTRANLIST>)|\Z)", re.S | re.I)
_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})(\d{6}(\.\d{1,3})?)?(\[[+-]?\d{1,2}(\.\d+)?(:[A-Za-z]+)?\])?")


def _leaf(block: str, tag: str) -> str | None:
    """The text of a leaf element, closed (XML) or not (SGML); entities of 2.x decoded."""
    match = re.search(rf"<{tag}>([^<\r\n]*)", block, re.I)
    if match is None:
        return None
    value = match[1].strip()
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&")):
        value = value.replace(entity, char)
    return value or None


class OfxStatement(FileFormat):
    """An OFX / QFX / QBO bank or credit-card statement."""

    name = "bank.ofx"
    title = "Bank statement (OFX, QFX, QBO)"

    def detect(self, file: SourceFile) -> bool:
        head = file.head(4096).upper()
        return "OFXHEADER" in head or ("<OFX>" in head and "<STMTTRN>" in file.text.upper())

    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[BankTransactionRecord]:
        text = self._text(file)
        statements = list(_STATEMENT.finditer(text))
        if not statements:
            raise InputError(
                "has no bank or credit card statement (no <STMTRS> or <CCSTMTRS>)", file=file.name
            )
        count = 0
        for statement in statements:
            body = statement[2]
            offset = statement.start(2)
            account = _leaf(body, "ACCTID")
            if account is None:
                raise InputError("names no account (ACCTID)", file=file.name, row=self._line(text, offset))
            bank = _leaf(body, "BANKID")
            account_name = f"{bank}-{account}" if bank else account
            currency = (_leaf(body, "CURDEF") or context.currency).upper()
            seen: Counter[str] = Counter()
            for match in _TRANSACTION.finditer(body):
                count += 1
                block = match[1]
                row = self._line(text, offset + match.start())

                def row_of(tag: str, block: str = block, start: int = offset + match.start(1)) -> int:
                    """The line of a tag inside this transaction, for errors that name it."""
                    found = block.upper().find(f"<{tag}>")
                    return self._line(text, start + max(found, 0))

                fitid = _leaf(block, "FITID")
                if fitid is None:
                    raise InputError(
                        "is empty but a value is required", file=file.name, row=row, column="FITID"
                    )
                seen[fitid] += 1
                key = fitid
                if seen[fitid] > 1:  # some banks reuse a FITID within one file; never merge two lines
                    key = f"{fitid}#{seen[fitid]}"
                    context.warn(f"{file.name}: FITID {fitid} appears {seen[fitid]} times; kept each line")
                posted_on = self._posted_on(_leaf(block, "DTPOSTED"), file.name, row_of("DTPOSTED"))
                amount_text = _leaf(block, "TRNAMT")
                if amount_text is None:
                    raise InputError(
                        "is empty but a value is required", file=file.name, row=row, column="TRNAMT"
                    )
                try:
                    amount = parse_amount(
                        amount_text, decimal_comma="," in amount_text and "." not in amount_text
                    )
                except ValueError:
                    raise InputError(
                        f"{amount_text!r} is not an amount",
                        file=file.name,
                        row=row_of("TRNAMT"),
                        column="TRNAMT",
                    ) from None
                name, memo = _leaf(block, "NAME"), _leaf(block, "MEMO")
                # 1.x truncates NAME to 32 characters and puts the rest of a long description in MEMO.
                if name and memo and memo != name and not memo.startswith(name):
                    description = f"{name} {memo}"
                else:
                    description = memo if memo and (not name or memo.startswith(name)) else name or ""
                transaction_currency = _leaf(block, "CURSYM") or currency  # a foreign-currency line
                yield BankTransactionRecord(
                    account=account_name[:60],
                    external_id=key[:100],
                    posted_on=posted_on,
                    amount=amount,
                    currency=transaction_currency.upper(),
                    description=description[:300],
                    source=SourceRef(
                        self.name,
                        f"{account_name}:{key}",
                        row,
                        {
                            tag: value
                            for tag in (
                                "TRNTYPE",
                                "DTPOSTED",
                                "TRNAMT",
                                "FITID",
                                "NAME",
                                "MEMO",
                                "CHECKNUM",
                                "REFNUM",
                            )
                            if (value := _leaf(block, tag)) is not None
                        },
                    ),
                )
        context.rows_read = count

    def _text(self, file: SourceFile) -> str:
        """Decode by the header's own charset when it declares one (OFX 1.x CHARSET:1252)."""
        head = file.data[:1024].decode("ascii", errors="replace").upper()
        if re.search(r"CHARSET:\s*(1252|ISO-8859-1|8859-1)", head) and not file.data.startswith(
            b"\xef\xbb\xbf"
        ):
            return file.data.decode("cp1252", errors="replace")
        return decode(file.data, file.name)

    @staticmethod
    def _line(text: str, position: int) -> int:
        return text.count("\n", 0, position) + 1

    def _posted_on(self, value: str | None, name: str, row: int) -> date:
        """The bank's own posting day: the date part, as written (the offset only places the time)."""
        if value is None:
            raise InputError("is empty but a value is required", file=name, row=row, column="DTPOSTED")
        match = _DATE.fullmatch(value)
        try:
            if match is None:
                raise ValueError
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise InputError(f"{value!r} is not an OFX date", file=name, row=row, column="DTPOSTED") from None
