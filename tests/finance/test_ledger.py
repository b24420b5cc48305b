"""The entry builder and writer, and the chart of accounts, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy import func, select

from sasame import models as m
from sasame.db import transaction
from sasame.finance import accounts as a
from sasame.finance.ledger import (
    EntryColumns,
    EntryDraft,
    UnbalancedEntryError,
    delete_entries,
    identity_converter,
    write_entries,
    write_entry_columns,
)

DAY = date(2026, 2, 2)
AT = datetime(2026, 2, 2, 17, tzinfo=UTC)
NOW = datetime(2026, 2, 3, 9, tzinfo=UTC)


def _store(session) -> None:
    session.add(
        m.BusinessSetting(name="Ledger Co", currency="USD", timezone="America/New_York", created_at=NOW)
    )
    session.add(m.Channel(code="shopify", name="Shopify", kind="shopify", currency="USD"))
    session.add(m.Channel(code="amazon_ca", name="Amazon.ca", kind="amazon", currency="CAD"))
    session.flush()


def _draft(cause_id: int, currency: str = "USD") -> EntryDraft:
    return EntryDraft(
        "sale", occurred_at=AT, business_day=DAY, cause="order", cause_id=cause_id, currency=currency
    )


def test_chart_is_created_once_with_accounts_per_channel_and_payout_source(engine):
    with transaction(engine) as session:
        _store(session)
        chart = a.ensure_chart(session)
        first = session.scalar(select(func.count()).select_from(m.LedgerAccount))
        again = a.ensure_chart(session)
        assert session.scalar(select(func.count()).select_from(m.LedgerAccount)) == first
        assert again.ids == chart.ids
        sales = session.scalars(
            select(m.LedgerAccount).where(m.LedgerAccount.pnl_line == "gross_sales")
        ).all()
        assert sorted(account.code for account in sales) == ["4000.amazon_ca", "4000.shopify"]
        clearing = session.scalars(select(m.LedgerAccount.code).where(m.LedgerAccount.is_clearing)).all()
        assert sorted(clearing) == ["1100.amazon", "1100.shopify_payments"]
        ads = session.scalars(
            select(m.LedgerAccount.platform).where(m.LedgerAccount.pnl_line == "advertising")
        ).all()
        assert sorted(ads) == ["amazon_ads", "google", "meta"]


def test_fees_land_in_marketplace_fees_by_type_or_payment_processing():
    assert a.fee_spec("amazon", "commission").code == "6000.amazon.commission"
    assert a.fee_spec("amazon", "commission").pnl_line == "marketplace_fees"
    assert a.fee_spec("etsy", "processing").code == "6100.etsy"
    assert a.fee_spec("shopify_payments", "anything").pnl_line == "payment_processing"
    assert a.fee_spec("shopify_payments", "chargeback").code == a.CHARGEBACK_FEES
    assert a.fee_spec("amazon", "FBA_Reimbursement").code == a.INVENTORY_WRITE_OFFS


def test_a_balanced_entry_is_written_with_its_postings(engine):
    with transaction(engine) as session:
        _store(session)
        chart = a.ensure_chart(session)
        draft = _draft(7)
        draft.add(chart.code_id(a.SHIPPING_INCOME), Decimal("-5.004"), order_id=None)
        draft.add(chart.code_id(a.DISCOUNTS), Decimal("0"))  # zero postings are skipped
        received = draft.balance_to(chart.id_of(a.clearing_spec("shopify_payments")))
        assert received == Decimal("5.00")
        entries, postings, waiting = write_entries(session, [draft], identity_converter("USD"), "USD")
        assert (entries, postings, waiting) == (1, 2, [])
    with transaction(engine) as session:
        rows = session.execute(select(m.Posting.amount, m.Posting.store_amount, m.Posting.business_day)).all()
        assert sorted(rows) == [
            (Decimal("-5.00"), Decimal("-5.00"), DAY),
            (Decimal("5.00"), Decimal("5.00"), DAY),
        ]
        entry = session.scalars(select(m.JournalEntry)).one()
        assert (entry.cause, entry.cause_id, entry.kind) == ("order", 7, "sale")


def test_an_unbalanced_entry_is_refused_and_nothing_is_written(engine):
    with transaction(engine) as session:
        _store(session)
        chart = a.ensure_chart(session)
        good = _draft(1)
        good.add(chart.code_id(a.BANK), Decimal("10"))
        good.add(chart.code_id(a.OTHER_INCOME), Decimal("-10"))
        bad = _draft(2)
        bad.add(chart.code_id(a.BANK), Decimal("10"))
        bad.add(chart.code_id(a.OTHER_INCOME), Decimal("-9.99"))
        with pytest.raises(UnbalancedEntryError, match=r"sale entry for order 2 does not balance: 0.01 USD"):
            write_entries(session, [good, bad], identity_converter("USD"), "USD")
        assert session.scalar(select(func.count()).select_from(m.JournalEntry)) == 0
        assert session.scalar(select(func.count()).select_from(m.Posting)) == 0


def test_foreign_amounts_get_store_amounts_that_still_balance(engine):
    rate = Decimal("0.7333")

    def convert(amount: Decimal, currency: str, day: date) -> Decimal:
        assert (currency, day) == ("CAD", DAY)
        return (amount * rate).quantize(Decimal("0.01"))

    with transaction(engine) as session:
        _store(session)
        chart = a.ensure_chart(session)
        draft = _draft(3, "CAD")
        for _ in range(3):
            draft.add(chart.code_id(a.SHIPPING_INCOME), Decimal("-3.33"))
        draft.balance_to(chart.id_of(a.clearing_spec("amazon")))
        write_entries(session, [draft], convert, "USD")
        rows = session.execute(select(m.Posting.amount, m.Posting.store_amount).order_by(m.Posting.id)).all()
        # 3.33 CAD is 2.44 USD each; the receivable of 9.99 CAD (7.33 USD) absorbs the cent.
        assert [row.store_amount for row in rows] == [Decimal("-2.44")] * 3 + [Decimal("7.32")]
        assert sum(row.store_amount for row in rows) == 0
        assert sum(row.amount for row in rows) == 0


def test_an_entry_without_an_exchange_rate_waits_and_delete_removes_postings(engine):
    with transaction(engine) as session:
        _store(session)
        chart = a.ensure_chart(session)
        foreign = _draft(4, "CAD")
        foreign.add(chart.code_id(a.BANK), Decimal("1"))
        foreign.add(chart.code_id(a.OTHER_INCOME), Decimal("-1"))
        local = _draft(5)
        local.add(chart.code_id(a.BANK), Decimal("2"))
        local.add(chart.code_id(a.OTHER_INCOME), Decimal("-2"))
        entries, postings, waiting = write_entries(
            session, [foreign, local], identity_converter("USD"), "USD"
        )
        assert (entries, postings, waiting) == (1, 2, [foreign])
        entry_id = session.scalar(select(m.JournalEntry.id))
        assert delete_entries(session, [entry_id]) == 1
        assert session.scalar(select(func.count()).select_from(m.Posting)) == 0


def _columns(units: list[int], entry: list[int]) -> EntryColumns:
    count = max(entry) + 1
    return EntryColumns(
        cause="order",
        currency="USD",
        kind=["sale"] * count,
        cause_id=list(range(1, count + 1)),
        occurred_at=[AT] * count,
        business_day=[DAY] * count,
        channel_id=[None] * count,
        memo=[None] * count,
        fingerprint=["f"] * count,
        source_record_id=[None] * count,
        entry=np.array(entry),
        account_id=np.ones(len(units), dtype=np.int64),
        units=np.array(units),
        order_id=np.full(len(units), -1),
        variant_id=np.full(len(units), -1),
    )


def test_column_wise_entries_are_checked_like_drafts(engine):
    _columns([100, -100, 50, -50], [0, 0, 1, 1]).check()
    with pytest.raises(UnbalancedEntryError, match=r"sale entry for order 2 does not balance: 0.01 USD"):
        _columns([100, -100, 150, -50], [0, 0, 1, 1]).check()
    with pytest.raises(UnbalancedEntryError, match="sale entry for order 2 has no postings"):
        _columns([100, -100, 0], [0, 0, 2]).check()
    with transaction(engine) as session:
        _store(session)
        chart = a.ensure_chart(session)
        columns = _columns([500, -500], [0, 0])
        columns.account_id = np.array([chart.code_id(a.BANK), chart.code_id(a.OTHER_INCOME)])
        assert write_entry_columns(session, columns, "USD") == (1, 2)
        with pytest.raises(UnbalancedEntryError):
            write_entry_columns(session, _columns([500, -400], [0, 0]), "USD")
        rows = session.execute(select(m.Posting.amount, m.Posting.store_amount).order_by(m.Posting.id)).all()
        assert [tuple(row) for row in rows] == [
            (Decimal("0.05"), Decimal("0.05")),
            (Decimal("-0.05"), Decimal("-0.05")),
        ]
