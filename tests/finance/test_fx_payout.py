"""Realised FX: a payout in another currency deposited in the store currency posts its gain or loss.

Store USD (UTC). Amazon.ca sells in CAD; the owner's rate table has CAD->USD 0.7300 on 2025-03-03
and 0.7400 from 2025-03-04. The books, exactly:

    2025-03-03  order CA-1, 100.00 CAD -> 73.00 USD in clearing (x 0.7300)
    2025-03-04  order CA-2, 200.00 CAD -> 148.00 USD in clearing (x 0.7400)
    2025-03-04  referral fee -30.00 CAD on the settlement -> -22.20 USD (x 0.7400)
    2025-03-10  payout AMZ-CA-1 of 270.00 CAD; the bank received 198.45 USD on 2025-03-11
                (the rate applied: 198.45 / 270 = 0.7350)

Clearing carried 73.00 + 148.00 - 22.20 = 198.80 USD for those 270.00 CAD; the bank got 198.45:
an FX loss of 0.35 USD, and the clearing account is empty in both currencies afterwards.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import realization
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from sasame import models as m
from sasame.cli import app
from sasame.db import transaction
from sasame.finance.exports import export_ledger
from sasame.finance.fx import import_rates, rate_for
from sasame.finance.ledger import EntryDraft, UnbalancedEntryError, identity_converter, write_entries
from sasame.finance.service import pnl_report, post_ledger, reconcile_books, refresh_reports

D = Decimal
NOW = datetime(2025, 3, 14, 12, tzinfo=UTC)
DAY1, DAY2, PAID, DEPOSITED = date(2025, 3, 3), date(2025, 3, 4), date(2025, 3, 10), date(2025, 3, 11)
RATES = "date,from,to,rate\n2025-03-03,CAD,USD,0.7300\n2025-03-04,CAD,USD,0.7400\n"


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def order(session, channel_id: int, variant_id: int, number: str, day: date, total: str, currency: str):
    row = m.Order(
        channel_id=channel_id,
        external_id=number,
        number=number,
        ordered_at=at(day),
        order_date=day,
        currency=currency,
        subtotal=D(total),
        total=D(total),
        financial_status="paid",
        fulfillment_status="fulfilled",
    )
    session.add(row)
    session.flush()
    session.add(
        m.OrderLine(order_id=row.id, variant_id=variant_id, title="Tee", quantity=1, unit_price=D(total))
    )
    session.flush()
    return row


def payout(session, provider, external_id, currency, lines, channel_id=None):
    row = m.Payout(
        provider=provider,
        external_id=external_id,
        channel_id=channel_id,
        period_start=at(DAY1, 0),
        period_end=at(date(2025, 3, 5), 0),  # the period covers 03-03 and 03-04 whole
        paid_on=PAID,
        amount=sum((D(amount) for _kind, _fee, _order, amount in lines), D(0)),
        currency=currency,
        status="paid",
    )
    session.add(row)
    session.flush()
    for kind, fee_type, order_id, amount in lines:
        session.add(
            m.PayoutLine(
                payout_id=row.id,
                kind=kind,
                fee_type=fee_type,
                order_id=order_id,
                occurred_at=at(DAY2),
                amount=D(amount),
                currency=currency,
            )
        )
    session.flush()
    return row


def deposit(session, external_id: str, amount: str) -> None:
    session.add(
        m.BankTransaction(
            account="checking",
            external_id=external_id,
            posted_on=DEPOSITED,
            amount=D(amount),
            currency="USD",
            description="AMAZON DEPOSIT",
        )
    )
    session.flush()


@pytest.fixture
def store(engine: Engine) -> Engine:
    return build_fx_store(engine)


def build_fx_store(engine: Engine) -> Engine:
    with transaction(engine) as session:
        session.add(m.BusinessSetting(name="FX Co", currency="USD", timezone="UTC", created_at=NOW))
        amazon_ca = m.Channel(code="amazon_ca", name="Amazon.ca", kind="amazon", currency="CAD")
        shopify = m.Channel(code="shopify", name="Shopify", kind="shopify", currency="USD")
        product = m.Product(handle="tee", title="Tee", category="apparel")
        session.add_all([amazon_ca, shopify, product])
        session.flush()
        tee = m.Variant(product_id=product.id, sku="TEE", title="Tee", price=D(100), currency="USD")
        session.add(tee)
        session.flush()
        import_rates(session, RATES, "rates.csv")
        ca_1 = order(session, amazon_ca.id, tee.id, "CA-1", DAY1, "100.00", "CAD")
        ca_2 = order(session, amazon_ca.id, tee.id, "CA-2", DAY2, "200.00", "CAD")
        payout(
            session,
            "amazon",
            "AMZ-CA-1",
            "CAD",
            [
                ("principal", None, ca_1.id, "100.00"),
                ("principal", None, ca_2.id, "200.00"),
                ("fee", "commission", ca_2.id, "-30.00"),
            ],
            channel_id=amazon_ca.id,
        )
        deposit(session, "DEP-CA", "198.45")
        us_1 = order(session, shopify.id, tee.id, "US-1", DAY2, "50.00", "USD")
        payout(
            session,
            "shopify_payments",
            "SP-1",
            "USD",
            [("principal", None, us_1.id, "50.00"), ("fee", "processing", us_1.id, "-1.75")],
            channel_id=shopify.id,
        )
        deposit(session, "DEP-US", "48.25")
    return engine


def payout_legs(session, external_id: str) -> list[tuple[str, Decimal, str, Decimal]]:
    return [
        tuple(row)
        for row in session.execute(
            select(m.LedgerAccount.code, m.Posting.amount, m.Posting.currency, m.Posting.store_amount)
            .join(m.LedgerAccount, m.LedgerAccount.id == m.Posting.account_id)
            .join(m.JournalEntry, m.JournalEntry.id == m.Posting.entry_id)
            .join(m.Payout, m.Payout.id == m.JournalEntry.cause_id)
            .where(m.JournalEntry.cause == "payout", m.Payout.external_id == external_id)
            .order_by(m.Posting.id)
        )
    ]


def account_balance(session, code: str) -> tuple[Decimal, Decimal]:
    """(sum of amounts, sum of store amounts) of one account."""
    amount, store = session.execute(
        select(
            func.coalesce(func.sum(m.Posting.amount), 0), func.coalesce(func.sum(m.Posting.store_amount), 0)
        )
        .join(m.LedgerAccount, m.LedgerAccount.id == m.Posting.account_id)
        .where(m.LedgerAccount.code == code)
    ).one()
    return D(amount).quantize(D("0.01")), D(store).quantize(D("0.01"))


def test_a_cad_payout_deposited_in_usd_posts_its_fx_loss(store: Engine):
    with transaction(store) as session:
        summary = post_ledger(session, NOW)
        assert summary["waiting_for_exchange_rate"] == 0
        # The deposit was matched while posting, and the rate really applied was kept.
        matched = session.scalar(
            select(m.BankTransaction.payout_id).where(m.BankTransaction.external_id == "DEP-CA")
        )
        assert matched == session.scalar(select(m.Payout.id).where(m.Payout.external_id == "AMZ-CA-1"))
        assert rate_for(session, "CAD", PAID) == D("0.7350")
        # Bank gets what it received, clearing gives up what it carried, 7900 takes the difference.
        assert payout_legs(session, "AMZ-CA-1") == [
            ("1000", D("270.00"), "CAD", D("198.45")),
            ("1100.amazon", D("-270.00"), "CAD", D("-198.80")),
            ("7900", D("0.00"), "CAD", D("0.35")),
        ]
        # The clearing account is empty in CAD and in USD after the deposit.
        assert account_balance(session, "1100.amazon") == (D("0.00"), D("0.00"))
        assert account_balance(session, "7900") == (D("0.00"), D("0.35"))
        # Every entry balances in its own currency and in the store currency.
        per_entry = session.execute(
            select(
                m.Posting.entry_id,
                m.Posting.currency,
                func.sum(m.Posting.amount),
                func.sum(m.Posting.store_amount),
            ).group_by(m.Posting.entry_id, m.Posting.currency)
        ).all()
        assert per_entry and all(D(amount) == 0 and D(store) == 0 for _e, _c, amount, store in per_entry)
        # A second run changes nothing.
        again = post_ledger(session, NOW)
        assert again.get("entries_written", 0) == 0


def test_a_same_currency_payout_posts_no_fx(store: Engine):
    with transaction(store) as session:
        post_ledger(session, NOW)
        assert payout_legs(session, "SP-1") == [
            ("1000", D("48.25"), "USD", D("48.25")),
            ("1100.shopify_payments", D("-48.25"), "USD", D("-48.25")),
        ]
        assert account_balance(session, "1100.shopify_payments") == (D("0.00"), D("0.00"))


def test_the_fx_loss_is_in_the_pnl_and_the_clearing_account_reconciles(store: Engine):
    with transaction(store) as session:
        post_ledger(session, NOW)
        refresh_reports(session, NOW)
        report = pnl_report(session, DAY1, date(2025, 3, 12), "day")
        by_day = {row.key: row.figures for row in report.rows}
        assert by_day[PAID.isoformat()]["fx"] == D("-0.35")
        assert report.total.figures["fx"] == D("-0.35")
        # Gross sales 73.00 + 148.00 + 50.00; fees -22.20 (CAD) - 1.75 (USD).
        assert report.total.figures["gross_sales"] == D("271.00")
        assert report.total.figures["marketplace_fees"] + report.total.figures["payment_processing"] == D(
            "-23.95"
        )
        figures = report.total.figures
        assert figures["net_income"] == figures["net_operating_income"] + D("-0.35")
        books = reconcile_books(session, NOW)
        assert [(issue.kind, issue.reason) for issue in books.issues] == []
        clearing = {check.account_code: (check.balance, check.unexplained) for check in books.clearing}
        assert clearing["1100.amazon"] == (D(0), D(0))
        assert clearing["1100.shopify_payments"] == (D(0), D(0))
        assert books.reconciled == 2
        # Profit and cash: net income 271.00 - 23.95 - 0.35 = 246.70 is exactly what reached the bank.
        assert books.profit_vs_cash is not None
        assert books.profit_vs_cash.net_income == D("246.70")
        assert books.profit_vs_cash.cash_change == D("246.70")


def test_a_payout_deposited_at_a_better_rate_is_a_gain(store: Engine):
    with transaction(store) as session:
        session.execute(
            m.BankTransaction.__table__.update()
            .where(m.BankTransaction.external_id == "DEP-CA")
            .values(amount=D("199.80"))
        )
        post_ledger(session, NOW)
        # 270.00 CAD at 0.7400 = 199.80 USD against 198.80 carried: a gain of 1.00 (a credit).
        assert payout_legs(session, "AMZ-CA-1")[2] == ("7900", D("0.00"), "CAD", D("-1.00"))
        assert account_balance(session, "1100.amazon") == (D("0.00"), D("0.00"))


def test_a_deposit_matched_later_reposts_the_payout_with_what_the_bank_received(store: Engine):
    with transaction(store) as session:
        session.execute(m.BankTransaction.__table__.delete().where(m.BankTransaction.external_id == "DEP-CA"))
        post_ledger(session, NOW)
        # No bank line yet: the deposit is valued at the table's rate on the payout day (0.7400).
        assert payout_legs(session, "AMZ-CA-1")[0] == ("1000", D("270.00"), "CAD", D("199.80"))
        deposit(session, "DEP-CA", "198.45")
        again = post_ledger(session, NOW)
        assert again["payout_reposted"] == 1
        assert payout_legs(session, "AMZ-CA-1")[0] == ("1000", D("270.00"), "CAD", D("198.45"))
        assert account_balance(session, "7900") == (D("0.00"), D("0.35"))
        assert account_balance(session, "1100.amazon") == (D("0.00"), D("0.00"))


def test_the_writer_refuses_explicit_store_amounts_that_do_not_balance(engine: Engine):
    with transaction(engine) as session:
        session.add(m.BusinessSetting(name="FX Co", currency="USD", timezone="UTC", created_at=NOW))
        entry = EntryDraft(
            "payout", occurred_at=NOW, business_day=PAID, cause="payout", cause_id=1, currency="CAD"
        )
        entry.add(1, D("270.00"), store_amount=D("198.45"))
        entry.add(2, D("-270.00"), store_amount=D("-198.80"))
        # Balanced in CAD, 0.35 off in USD: refused before anything is written.
        with pytest.raises(UnbalancedEntryError, match=r"does not balance in the store currency: -0\.35"):
            write_entries(session, [entry], identity_converter("USD"), "USD")
        assert session.scalar(select(func.count()).select_from(m.Posting)) == 0


def test_the_fx_loss_exports_to_a_ledger_bean_check_accepts(store: Engine, tmp_path: Path):
    with transaction(store) as session:
        post_ledger(session, NOW)
        text, _count = export_ledger(session, "beancount")
    path = tmp_path / "fx.beancount"
    path.write_text(text)
    entries, errors, _ = loader.load_file(str(path))
    assert errors == []
    real = realization.realize(entries)

    def balance(name: str) -> Decimal:
        return realization.get(real, name).balance.get_currency_units("USD").number

    # One summary journal per payout holds the sales it settled, its fees and the deposit: clearing
    # nets to zero inside each (so it never appears), and the FX loss is what is left.
    assert realization.get(real, "Assets:1100:Amazon") is None
    assert [balance("Expenses:7900"), balance("Assets:1000"), balance("Income:4000:Amazon-ca")] == [
        D("0.35"),
        D("246.70"),
        D("-221.00"),
    ]


def _edit_payout(session, refund: bool, ca_2_settled: str) -> None:
    """Add a refund of CA-1 settled by the payout, and/or settle only part of CA-2."""
    payout_row = session.scalars(select(m.Payout).where(m.Payout.external_id == "AMZ-CA-1")).one()
    ca_1, ca_2 = (
        session.scalar(select(m.Order.id).where(m.Order.number == number)) for number in ("CA-1", "CA-2")
    )
    if refund:
        session.add(m.Refund(order_id=ca_1, refunded_at=at(DAY2), amount=D("20.00"), currency="CAD"))
        session.add(
            m.PayoutLine(
                payout_id=payout_row.id,
                kind="refund",
                order_id=ca_1,
                occurred_at=at(DAY2),
                amount=D("-20.00"),
                currency="CAD",
            )
        )
    line = session.scalars(
        select(m.PayoutLine)
        .where(m.PayoutLine.payout_id == payout_row.id, m.PayoutLine.order_id == ca_2)
        .where(m.PayoutLine.kind == "principal")
    ).one()
    line.amount = D(ca_2_settled)
    session.flush()
    payout_row.amount = session.scalar(
        select(func.sum(m.PayoutLine.amount)).where(m.PayoutLine.payout_id == payout_row.id)
    )
    session.flush()


def test_a_refund_the_payout_settles_is_taken_back_at_the_rate_it_was_booked(store: Engine):
    with transaction(store) as session:
        _edit_payout(session, refund=True, ca_2_settled="200.00")
        session.execute(
            m.BankTransaction.__table__.update()
            .where(m.BankTransaction.external_id == "DEP-CA")
            .values(amount=D("183.75"))
        )
        post_ledger(session, NOW)
        # 250.00 CAD deposited as 183.75 USD; clearing carried 73.00 + 148.00 - 22.20 - 14.80
        # (the refund of 20.00 CAD booked on 03-04 at 0.7400) = 184.00: a loss of 0.25.
        assert payout_legs(session, "AMZ-CA-1") == [
            ("1000", D("250.00"), "CAD", D("183.75")),
            ("1100.amazon", D("-250.00"), "CAD", D("-184.00")),
            ("7900", D("0.00"), "CAD", D("0.25")),
        ]
        assert account_balance(session, "1100.amazon") == (D("0.00"), D("0.00"))


def test_an_order_settled_in_part_leaves_the_rest_in_clearing_at_its_own_rate(store: Engine):
    with transaction(store) as session:
        _edit_payout(session, refund=False, ca_2_settled="150.00")
        session.execute(
            m.BankTransaction.__table__.update()
            .where(m.BankTransaction.external_id == "DEP-CA")
            .values(amount=D("161.70"))
        )
        post_ledger(session, NOW)
        # 220.00 CAD deposited as 161.70 USD; clearing carried 73.00 + 150/200 of 148.00 - 22.20
        # = 161.80: a loss of 0.10, and the unsettled 50.00 CAD stays at 37.00 USD (x 0.7400).
        assert payout_legs(session, "AMZ-CA-1")[1:] == [
            ("1100.amazon", D("-220.00"), "CAD", D("-161.80")),
            ("7900", D("0.00"), "CAD", D("0.10")),
        ]
        assert account_balance(session, "1100.amazon") == (D("50.00"), D("37.00"))


def test_the_pipeline_and_the_pnl_command_show_the_fx_line(sqlite_engine: Engine):
    build_fx_store(sqlite_engine)
    db = str(sqlite_engine.url)
    runner = CliRunner()
    for step in ("finance.post", "finance.reports"):
        ran = runner.invoke(app, ["run", "--db", db, "--step", step])
        assert ran.exit_code == 0, ran.output
    shown = runner.invoke(app, ["pnl", "--db", db, "--from", "2025-03-03", "--to", "2025-03-11", "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert {row["key"]: row["fx"] for row in data["rows"]}["2025-03-10"] == "-0.35"
    assert (data["total"]["fx"], data["total"]["net_income"]) == ("-0.35", "246.70")
    checked = runner.invoke(app, ["reconcile", "--db", db, "--json"])
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.output)["issues"] == []
