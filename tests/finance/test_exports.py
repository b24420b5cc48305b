"""Exports: QuickBooks Online and Xero journal CSVs, and a beancount ledger bean-check accepts."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import realization
from finance_books import D1, at, build_books
from sqlalchemy import Engine, func, select

from sasame import models as m
from sasame.core.errors import UserError
from sasame.db import transaction
from sasame.finance.exports import build_journals, export_ledger


@pytest.fixture
def books(engine: Engine):
    return build_books(engine)


def ledger_balances(session) -> dict[str, Decimal]:
    rows = session.execute(
        select(m.LedgerAccount.code, m.LedgerAccount.name, func.sum(m.Posting.store_amount))
        .join(m.Posting, m.Posting.account_id == m.LedgerAccount.id)
        .group_by(m.LedgerAccount.code, m.LedgerAccount.name)
    )
    return {row[1]: row[2] for row in rows if row[2]}


def test_quickbooks_csv_has_balanced_daily_journals(engine, books):
    with transaction(engine) as session:
        text, count = export_ledger(session, "quickbooks", per="day")
        expected = ledger_balances(session)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert count == 3
    assert list(rows[0]) == [
        "Journal No",
        "Journal Date",
        "Account Name",
        "Debits",
        "Credits",
        "Description",
        "Name",
    ]
    assert {row["Journal No"] for row in rows} == {"D-2025-03-03", "D-2025-03-04", "D-2025-03-10"}
    assert {row["Journal Date"] for row in rows} == {"03/03/2025", "03/04/2025", "03/10/2025"}
    sums: dict[str, Decimal] = defaultdict(Decimal)
    per_account: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        assert (row["Debits"] == "") != (row["Credits"] == "")
        amount = Decimal(row["Debits"] or "0") - Decimal(row["Credits"] or "0")
        sums[row["Journal No"]] += amount
        per_account[row["Account Name"]] += amount
    assert all(total == 0 for total in sums.values())
    assert dict(per_account) == expected
    rent = next(row for row in rows if row["Account Name"] == "Operating expenses: rent")
    assert (rent["Journal No"], rent["Debits"], rent["Credits"]) == ("D-2025-03-10", "300.00", "")


def test_xero_csv_uses_signed_amounts_and_short_codes(engine, books):
    with transaction(engine) as session:
        text, _ = export_ledger(session, "xero", first=D1, last_exclusive=date(2025, 3, 4), per="day")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0])[:6] == ["*Narration", "*Date", "Description", "*AccountCode", "*TaxRate", "*Amount"]
    assert {row["*Date"] for row in rows} == {"03/03/2025"}
    assert sum(Decimal(row["*Amount"]) for row in rows) == 0
    codes = {row["Description"]: row["*AccountCode"] for row in rows}
    assert codes["Cost of goods sold"] == "5000"
    assert codes["Sales: Shopify"].startswith("4000-")
    assert all(len(code) <= 10 for code in codes.values())
    assert codes["Marketplace fees: amazon commission"].startswith("6000-")
    amounts = {row["Description"]: Decimal(row["*Amount"]) for row in rows}
    assert amounts["Sales: Shopify"] == Decimal("-100.00")
    assert amounts["Cost of goods sold"] == Decimal("42.00")


def test_beancount_ledger_passes_bean_check_with_exact_balances(engine, books, tmp_path: Path):
    with transaction(engine) as session:
        text, count = export_ledger(session, "beancount")
        expected = {
            code: amount
            for code, amount in session.execute(
                select(m.LedgerAccount.code, func.sum(m.Posting.store_amount))
                .join(m.Posting, m.Posting.account_id == m.LedgerAccount.id)
                .group_by(m.LedgerAccount.code)
            )
        }
    path = tmp_path / "books.beancount"
    path.write_text(text)
    entries, errors, _ = loader.load_file(str(path))
    assert errors == []
    real = realization.realize(entries)
    assert count == 3
    names = {
        "1300": "Assets:1300",
        "1100.shopify_payments": "Assets:1100:Shopify-payments",
        "2200": "Liabilities:2200",
        "4000.shopify": "Income:4000:Shopify",
        "5000": "Expenses:5000",
        "7000.rent": "Expenses:7000:Rent",
    }
    for code, name in names.items():
        balance = realization.get(real, name).balance.get_currency_units("USD").number
        assert balance == expected[code], name
    assert realization.get(real, "Assets:1300").balance.get_currency_units("USD").number == Decimal("-27.00")
    # The closing balance assertions are what bean-check verifies: a wrong one is an error.
    broken = text.replace("balance Assets:1300  -27.00 ~", "balance Assets:1300  -27.01 ~")
    assert broken != text
    wrong = tmp_path / "wrong.beancount"
    wrong.write_text(broken)
    assert [type(error).__name__ for error in loader.load_file(str(wrong))[1]] == ["BalanceError"]


def test_per_payout_groups_what_each_payout_settled(engine, books):
    with transaction(engine) as session:
        payout = m.Payout(
            provider="amazon",
            external_id="AMZ-9",
            period_start=at(D1, 0),
            period_end=at(D1, 23),
            paid_on=date(2025, 3, 8),
            amount=Decimal("39.28"),
            currency="USD",
            status="paid",
        )
        session.add(payout)
        session.flush()
        # Line id 2 is the cause of the Amazon fee entry in the books.
        session.add(
            m.PayoutLine(
                id=2,
                payout_id=payout.id,
                kind="principal",
                order_id=books.order_2,
                occurred_at=at(D1),
                amount=Decimal("39.28"),
                currency="USD",
            )
        )
        session.flush()
        journals = build_journals(session, per="payout")
        codes = {
            account_id: code
            for account_id, code in session.execute(select(m.LedgerAccount.id, m.LedgerAccount.code))
        }
    amz = next(journal for journal in journals if journal.number == "AMZ-9")
    assert amz.day == date(2025, 3, 8)
    # The payout's journal holds the sale of the order it settled and the fees of its lines.
    assert {codes[a]: amount for a, amount in amz.amounts.items()} == {
        "1100.amazon": Decimal("39.28"),
        "4000.amazon": Decimal("-50.00"),
        "6000.amazon.commission": Decimal("7.50"),
        "6000.amazon.fba_fulfilment": Decimal("3.22"),
    }
    assert [journal.number for journal in journals] == [
        "D-2025-03-03",
        "D-2025-03-04",
        "AMZ-9",
        "D-2025-03-10",
    ]
    assert all(sum(journal.amounts.values()) == 0 for journal in journals)


def test_unknown_format_is_a_user_error(engine, books):
    with transaction(engine) as session, pytest.raises(UserError, match="format"):
        export_ledger(session, "sage")
