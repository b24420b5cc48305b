"""Reconciliation: payouts against their lines and the bank, exceptions, and profit versus cash."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from finance_books import D1, NOW, at, build_books
from sqlalchemy import Engine, func, select

from sasame import models as m
from sasame.db import transaction
from sasame.finance.fx import RateBook
from sasame.finance.reconcile import profit_vs_cash, reconcile


def payout(session, provider, external_id, paid_on, lines, currency="USD", status="paid", amount=None):
    total = sum((amount for _, amount, _ in lines), Decimal(0))
    row = m.Payout(
        provider=provider,
        external_id=external_id,
        period_start=at(D1, 0),
        period_end=at(D1, 23),
        paid_on=paid_on,
        amount=total if amount is None else amount,
        currency=currency,
        status=status,
    )
    session.add(row)
    session.flush()
    for kind, value, order_id in lines:
        session.add(
            m.PayoutLine(
                payout_id=row.id,
                kind=kind,
                order_id=order_id,
                occurred_at=at(D1),
                amount=value,
                currency=currency,
            )
        )
    session.flush()
    return row


def bank(session, external_id, posted_on, amount, currency="USD", text="DEPOSIT"):
    row = m.BankTransaction(
        account="checking",
        external_id=external_id,
        posted_on=posted_on,
        amount=amount,
        currency=currency,
        description=text,
    )
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def statement(engine: Engine):
    books = build_books(engine)
    with transaction(engine) as session:
        ids = {}
        ids["sp1"] = payout(
            session,
            "shopify_payments",
            "SP-1",
            date(2025, 3, 6),
            [
                ("principal", Decimal("95.00"), books.order_1),
                ("tax", Decimal("8.00"), books.order_1),
                ("fee", Decimal("-3.20"), books.order_1),
            ],
        ).id
        ids["sp4"] = payout(
            session, "shopify_payments", "SP-4", date(2025, 3, 9), [("principal", Decimal("99.80"), None)]
        ).id
        ids["amz"] = payout(
            session,
            "amazon",
            "AMZ-1",
            date(2025, 3, 8),
            [
                ("principal", Decimal("50.00"), books.order_2),
                ("fee", Decimal("-10.72"), books.order_2),
                ("reserve", Decimal("-2.00"), None),
            ],
        ).id
        ids["short"] = payout(
            session,
            "shopify_payments",
            "SP-2",
            date(2025, 3, 9),
            [("principal", Decimal("9.50"), None)],
            amount=Decimal("10.00"),
            status="in_transit",
        ).id
        ids["lost"] = payout(
            session, "shopify_payments", "SP-3", date(2025, 3, 1), [("principal", Decimal("20.00"), None)]
        ).id
        ids["cad"] = payout(
            session,
            "amazon",
            "CA-1",
            date(2025, 3, 8),
            [("principal", Decimal("100.00"), None)],
            currency="CAD",
        ).id
        session.add(
            m.ExchangeRate(
                day=date(2025, 3, 7),
                from_currency="CAD",
                to_currency="USD",
                rate=Decimal("0.72"),
                source="imported",
            )
        )
        ids["bank_sp1"] = bank(session, "B1", date(2025, 3, 7), Decimal("99.80")).id
        ids["bank_sp4"] = bank(session, "B2", date(2025, 3, 9), Decimal("99.80")).id
        ids["bank_amz"] = bank(session, "B3", date(2025, 3, 9), Decimal("37.28")).id
        ids["bank_cad"] = bank(session, "B4", date(2025, 3, 9), Decimal("71.50")).id
        ids["stray"] = bank(session, "B5", date(2025, 3, 8), Decimal("55.55"), text="ETSY DEPOSIT").id
        bank(session, "B6", date(2025, 3, 9), Decimal("-300.00"), text="RENT")
    return books, ids


def test_deposits_match_by_amount_and_nearest_day(engine, statement):
    _, ids = statement
    with transaction(engine) as session:
        report = reconcile(session, NOW)
        matched = dict(
            (row[0], row[1])
            for row in session.execute(select(m.BankTransaction.id, m.BankTransaction.payout_id))
        )
    assert report.matched_now == 4
    assert matched[ids["bank_sp1"]] == ids["sp1"]
    assert matched[ids["bank_sp4"]] == ids["sp4"]
    assert matched[ids["bank_amz"]] == ids["amz"]
    assert matched[ids["bank_cad"]] == ids["cad"]
    assert matched[ids["stray"]] is None
    status = {check.external_id: check.status for check in report.payouts}
    assert status == {
        "SP-1": "reconciled",
        "SP-4": "reconciled",
        "AMZ-1": "reconciled",
        "CA-1": "reconciled",
        "SP-2": "lines_mismatch",
        "SP-3": "no_deposit",
    }
    # Matching again finds nothing new and changes nothing.
    with transaction(engine) as session:
        assert reconcile(session, NOW).matched_now == 0


def test_cross_currency_deposit_keeps_the_rate_applied(engine, statement):
    with transaction(engine) as session:
        reconcile(session, NOW)
        book = RateBook.load(session, "USD")
        # 71.50 USD for 100.00 CAD: the payout's rate beats the imported 0.72 from that day on.
        assert book.rate("CAD", date(2025, 3, 8)) == Decimal("0.7150")
        assert book.rate("CAD", date(2025, 3, 7)) == Decimal("0.7200")
        assert book.convert(Decimal("10.00"), "CAD", date(2025, 3, 20)) == Decimal("7.15")


def test_exceptions_have_amounts_and_plain_reasons(engine, statement):
    _, ids = statement
    with transaction(engine) as session:
        report = reconcile(session, NOW)
        stored = session.scalar(select(func.count()).select_from(m.ReconciliationException))
    issues = {(issue.kind, issue.subject_id): issue for issue in report.issues}
    short = issues[("payout_lines_mismatch", ids["short"])]
    assert short.amount == Decimal("0.50")
    assert "lines sum to 9.50 USD" in short.reason
    lost = issues[("deposit_missing", ids["lost"])]
    assert lost.amount == Decimal("20.00") and "no bank line" in lost.reason
    stray = issues[("payout_missing", ids["stray"])]
    assert stray.amount == Decimal("55.55") and "missing payout" in stray.reason
    reserve = [issue for issue in report.issues if issue.kind == "reserve_held"]
    assert [(issue.amount, issue.currency) for issue in reserve] == [(Decimal("2.00"), "USD")]
    assert "amazon holds 2.00 USD back as a reserve" in reserve[0].reason
    assert stored == len(report.issues)


def test_clearing_accounts_explain_their_balance(engine, statement):
    with transaction(engine) as session:
        report = reconcile(session, NOW)
    clearing = {check.account_code: check for check in report.clearing}
    shopify = clearing["1100.shopify_payments"]
    # Booked for order 1: 103 - 3.20 - 45 refund - 25 chargeback = 29.80, all on or after the day
    # the last Shopify payout period ended (so it awaits a payout); no deposit is posted here.
    assert shopify.balance == Decimal("29.80")
    assert shopify.in_transit == Decimal("9.50")
    assert shopify.awaiting_payout == Decimal("29.80")
    # SP-2's 9.50 of lines are in transit but nothing in the books explains them.
    assert shopify.unexplained == Decimal("-9.50")
    issue = next(i for i in report.issues if i.kind == "clearing_open" and "shopify" in i.reason)
    assert issue.amount == Decimal("-9.50")
    assert "the other -9.50 USD is unexplained" in issue.reason
    amazon = clearing["1100.amazon"]
    assert (amazon.balance, amazon.awaiting_payout, amazon.unexplained) == (
        Decimal("39.28"),
        Decimal("39.28"),
        Decimal("0"),
    )


def test_clearing_exception_names_refunds_after_payout_and_changed_fees(engine, statement):
    books, _ = statement
    with transaction(engine) as session:
        # A later Shopify payout moves the cutoff past everything order 1 booked; it also charges
        # order 1 a fee of 1.00 the books do not have.
        later = m.Payout(
            provider="shopify_payments",
            external_id="SP-9",
            period_start=at(date(2025, 3, 10), 0),
            period_end=at(date(2025, 3, 11), 23),
            paid_on=date(2025, 3, 12),
            amount=Decimal("4.00"),
            currency="USD",
            status="paid",
        )
        session.add(later)
        session.flush()
        for kind, value, order_id in (
            ("principal", Decimal("5.00"), None),
            ("fee", Decimal("-1.00"), books.order_1),
        ):
            session.add(
                m.PayoutLine(
                    payout_id=later.id,
                    kind=kind,
                    order_id=order_id,
                    occurred_at=at(date(2025, 3, 11)),
                    amount=value,
                    currency="USD",
                )
            )
        session.flush()
        report = reconcile(session, NOW)
    shopify = {check.account_code: check for check in report.clearing}["1100.shopify_payments"]
    assert (shopify.balance, shopify.in_transit, shopify.awaiting_payout, shopify.unexplained) == (
        Decimal("29.80"),
        Decimal("9.50"),
        Decimal("0"),
        Decimal("20.30"),
    )
    issue = next(i for i in report.issues if i.kind == "clearing_open" and "shopify" in i.reason)
    # Booked 29.80 for order 1; its payouts settled 98.80: the refund (45) and chargeback (25) came
    # after its payout and no payout has taken them back, and a payout charged 1.00 more in fees.
    assert "-70.00 USD refunds or chargebacks after payout that no payout has taken back yet" in issue.reason
    assert "1.00 USD on orders a payout settled at another amount (a changed fee)" in issue.reason


def test_profit_and_cash_differ_by_balance_sheet_changes(engine, statement):
    with transaction(engine) as session:
        comparison = profit_vs_cash(session, D1, date(2025, 3, 17))
    assert comparison.net_income == Decimal("-291.92")
    assert comparison.cash_change == Decimal("-300.00")
    items = {item.account_code: item.amount for item in comparison.items}
    assert items == {
        "1100.amazon": Decimal("-39.28"),
        "1100.shopify_payments": Decimal("-29.80"),
        "1300": Decimal("27.00"),
        "2050": Decimal("26.00"),
        "2200": Decimal("8.00"),
    }
    assert comparison.net_income + sum(items.values()) == comparison.cash_change
    labels = {item.account_code: item.label for item in comparison.items}
    assert labels["1100.amazon"] == "sold but not yet paid out by amazon (clearing)"
    assert labels["2200"] == "sales tax collected, not yet remitted"
