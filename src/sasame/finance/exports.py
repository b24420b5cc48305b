"""Exports of the ledger for the accountant: QuickBooks Online and Xero journal CSVs, and beancount.

Summary entries, the way accountants book marketplaces: per payout, one journal holding the
payout's sales, fees, refunds and the deposit (every entry caused by the payout's lines, and by
the orders, refunds and chargebacks it settled); everything no payout settles (COGS, ad spend,
labels, stock, expenses, orders not yet paid out) is summarised per day. With ``per='day'``
every day is one journal. Amounts are in the store currency (``posting.store_amount``), summed
per account; a journal whose lines net to zero on an account leaves that account out.

Column layouts (as the import screens expect them):
- QuickBooks Online (Settings > Import data > Journal entries): Journal No, Journal Date
  (MM/DD/YYYY), Account Name (the account's name, account numbers turned off), Debits, Credits,
  Description, Name. All rows of one Journal No form one balanced entry.
- Xero (Accounting > Manual journals > Import): *Narration, *Date (DD/MM/YYYY), Description,
  *AccountCode, *TaxRate, *Amount (positive debit, negative credit), TrackingName1,
  TrackingOption1. Rows with the same narration and date form one journal. Xero account codes
  have at most 10 characters, so longer ledger codes are shortened to "<family>-<id>".
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.business.service import store_settings
from sasame.core.errors import UserError
from sasame.core.money import round_money
from sasame.finance.pnl import pairs
from sasame.models.base import Amount

FORMATS = ("quickbooks", "xero", "beancount")
PER = ("payout", "day")
XERO_TAX_RATE = "Tax Exempt"
"""Journal lines carry no sales tax of their own (tax sits in its own payable account)."""
BEANCOUNT_ROOTS = {
    "asset": "Assets",
    "liability": "Liabilities",
    "equity": "Equity",
    "income": "Income",
    "expense": "Expenses",
}


@dataclass(frozen=True)
class Account:
    id: int
    code: str
    name: str
    kind: str


@dataclass
class Journal:
    """A summary journal entry: a number, a day, a narration and its net amount per account."""

    number: str
    day: date
    narration: str
    amounts: dict[int, Decimal]


def _accounts(session: Session) -> dict[int, Account]:
    return {
        row.id: Account(row.id, row.code, row.name, row.kind)
        for row in session.scalars(select(m.LedgerAccount).order_by(m.LedgerAccount.code))
    }


def _payout_of_entries(session: Session) -> dict[int, int]:
    """Map each journal entry that a payout settled to that payout's id."""
    entry = m.JournalEntry
    owner: dict[int, int] = {}
    for entry_id, payout_id in session.execute(
        select(entry.id, m.PayoutLine.payout_id)
        .join(m.PayoutLine, m.PayoutLine.id == entry.cause_id)
        .where(entry.cause == "payout_line")
    ):
        owner[entry_id] = payout_id
    for entry_id, payout_id in session.execute(
        select(entry.id, entry.cause_id).where(entry.cause == "payout")
    ):
        owner[entry_id] = payout_id

    # An order belongs to the first payout that settled its sale; a refund or chargeback to the
    # first payout that carried a line of that kind for its order (else the order's payout).
    def first_payout(kinds: tuple[str, ...]) -> dict[int, int]:
        return pairs(
            session.execute(
                select(m.PayoutLine.order_id, func.min(m.PayoutLine.payout_id))
                .where(m.PayoutLine.order_id.is_not(None), m.PayoutLine.kind.in_(kinds))
                .group_by(m.PayoutLine.order_id)
            )
        )

    any_line = first_payout(
        ("principal", "shipping", "tax", "fee", "refund", "chargeback", "adjustment", "other")
    )
    settled_by = {
        "order": first_payout(("principal", "shipping", "tax")),
        "refund": first_payout(("refund",)),
        "chargeback": first_payout(("chargeback",)),
    }
    for cause, table in (("order", None), ("refund", m.Refund), ("chargeback", m.Chargeback)):
        if table is None:
            rows = session.execute(select(entry.id, entry.cause_id).where(entry.cause == cause))
        else:
            rows = session.execute(
                select(entry.id, table.order_id)
                .join(table, table.id == entry.cause_id)
                .where(entry.cause == cause)
            )
        chosen = settled_by[cause]
        for entry_id, order_id in rows:
            settled_in = chosen.get(order_id, any_line.get(order_id))
            if settled_in is not None and entry_id not in owner:
                owner[entry_id] = settled_in
    return owner


def build_journals(
    session: Session, first: date | None = None, last_exclusive: date | None = None, per: str = "payout"
) -> list[Journal]:
    """Return the summary journals of the ledger within the business days (all when not given)."""
    if per not in PER:
        raise UserError(f"--per: {per!r} is not one of {', '.join(PER)}")
    currency = store_settings(session).currency
    conditions = []
    if first is not None:
        conditions.append(m.Posting.business_day >= first)
    if last_exclusive is not None:
        conditions.append(m.Posting.business_day < last_exclusive)
    owner = _payout_of_entries(session) if per == "payout" else {}
    payouts = (
        {row.id: row for row in session.scalars(select(m.Payout).where(m.Payout.id.in_(set(owner.values()))))}
        if owner
        else {}
    )
    sums: dict[tuple[str, int], dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    days: dict[tuple[str, int], date] = {}
    rows = session.execute(
        select(
            m.Posting.entry_id,
            m.Posting.business_day,
            m.Posting.account_id,
            func.sum(m.Posting.store_amount, type_=Amount),
        )
        .where(*conditions)
        .group_by(m.Posting.entry_id, m.Posting.business_day, m.Posting.account_id)
    )
    for entry_id, day, account_id, amount in rows:
        payout_id = owner.get(entry_id)
        if payout_id is not None:
            key = ("payout", payout_id)
            # A payout's journal is dated the day it paid (its deposit), the way the bank sees it.
            days[key] = payouts[payout_id].paid_on
        else:
            key = ("day", day.toordinal())
            days[key] = day
        sums[key][account_id] += amount
    journals = []
    for key in sorted(sums, key=lambda k: (days[k], k)):
        amounts = {a: round_money(v, currency) for a, v in sums[key].items() if round_money(v, currency) != 0}
        if not amounts:
            continue
        residue = sum(amounts.values(), Decimal(0))
        if residue != 0:
            raise UserError(
                f"the ledger's {key[0]} {key[1]} does not balance in {currency} by {residue}: "
                "re-run `sasame run` to re-post the ledger before exporting"
            )
        if key[0] == "payout":
            payout = payouts[key[1]]
            number = payout.external_id
            narration = f"{payout.provider} payout {payout.external_id}"
        else:
            number = f"D-{days[key].isoformat()}"
            narration = f"Daily summary {days[key].isoformat()}"
        journals.append(Journal(number, days[key], narration, amounts))
    return journals


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def quickbooks_csv(journals: Iterable[Journal], accounts: dict[int, Account]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["Journal No", "Journal Date", "Account Name", "Debits", "Credits", "Description", "Name"]
    )
    for journal in journals:
        for account_id, amount in sorted(journal.amounts.items(), key=lambda item: accounts[item[0]].code):
            writer.writerow(
                [
                    journal.number,
                    journal.day.strftime("%m/%d/%Y"),
                    accounts[account_id].name,
                    _amount(amount) if amount > 0 else "",
                    _amount(-amount) if amount < 0 else "",
                    journal.narration,
                    "",
                ]
            )
    return out.getvalue()


def xero_code(account: Account) -> str:
    """Return the account's code as Xero accepts it (at most 10 characters)."""
    return account.code if len(account.code) <= 10 else f"{account.code.split('.')[0]}-{account.id}"


def xero_csv(journals: Iterable[Journal], accounts: dict[int, Account]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "*Narration",
            "*Date",
            "Description",
            "*AccountCode",
            "*TaxRate",
            "*Amount",
            "TrackingName1",
            "TrackingOption1",
        ]
    )
    for journal in journals:
        narration = f"{journal.number} {journal.narration}"
        for account_id, amount in sorted(journal.amounts.items(), key=lambda item: accounts[item[0]].code):
            account = accounts[account_id]
            writer.writerow(
                [
                    narration,
                    journal.day.strftime("%d/%m/%Y"),
                    account.name,
                    xero_code(account),
                    XERO_TAX_RATE,
                    _amount(amount),
                    "",
                    "",
                ]
            )
    return out.getvalue()


def beancount_account(account: Account) -> str:
    """Return a beancount account name: the kind's root, then the code's parts, capitalised."""
    parts = [BEANCOUNT_ROOTS[account.kind]]
    for piece in account.code.split("."):
        cleaned = re.sub(r"[^A-Za-z0-9]+", "-", piece).strip("-") or "X"
        parts.append(cleaned[0].upper() + cleaned[1:])
    return ":".join(parts)


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def beancount_ledger(
    journals: list[Journal], accounts: dict[int, Account], currency: str, store_name: str
) -> str:
    """Return a beancount file: the accounts, one transaction per journal, and closing balances."""
    lines = [f'option "title" "{_quote(store_name)}"', f'option "operating_currency" "{currency}"', ""]
    used = sorted({a for journal in journals for a in journal.amounts}, key=lambda a: accounts[a].code)
    opened = min((journal.day for journal in journals), default=date(2000, 1, 1))
    for account_id in used:
        account = accounts[account_id]
        lines.append(f"{opened.isoformat()} open {beancount_account(account)} {currency}")
        lines.append(f'  name: "{_quote(account.name)}"')
    lines.append("")
    balances: dict[int, Decimal] = defaultdict(Decimal)
    for journal in journals:
        lines.append(f'{journal.day.isoformat()} * "{_quote(journal.narration)}"')
        lines.append(f'  journal: "{_quote(journal.number)}"')
        for account_id, amount in sorted(journal.amounts.items(), key=lambda item: accounts[item[0]].code):
            lines.append(f"  {beancount_account(accounts[account_id])}  {_amount(amount)} {currency}")
            balances[account_id] += amount
        lines.append("")
    if journals:
        # Balance assertions make bean-check prove the file sums to the ledger's balances; the
        # explicit tolerance below a cent makes them exact (beancount's default lets 0.01 pass).
        closing = max(journal.day for journal in journals) + timedelta(days=1)
        for account_id in used:
            account = accounts[account_id]
            if account.kind in ("asset", "liability", "equity"):
                lines.append(
                    f"{closing.isoformat()} balance {beancount_account(account)}  "
                    f"{_amount(balances[account_id])} ~ 0.001 {currency}"
                )
    return "\n".join(lines) + "\n"


def export_ledger(
    session: Session,
    fmt: str,
    first: date | None = None,
    last_exclusive: date | None = None,
    per: str = "payout",
) -> tuple[str, int]:
    """Return the export text in a format and the number of journals in it."""
    if fmt not in FORMATS:
        raise UserError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    journals = build_journals(session, first, last_exclusive, per)
    accounts = _accounts(session)
    if fmt == "quickbooks":
        return quickbooks_csv(journals, accounts), len(journals)
    if fmt == "xero":
        return xero_csv(journals, accounts), len(journals)
    settings = store_settings(session)
    return beancount_ledger(journals, accounts, settings.currency, settings.name), len(journals)
