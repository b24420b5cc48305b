"""Exchange rates: the imported table, payout rates first, conversion at a posting point, bad files."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select

from sasame import models as m
from sasame.core.errors import InputError, UserError
from sasame.db import transaction
from sasame.finance.expenses import add_expense, occurrence_days, occurrences
from sasame.finance.fx import RateBook, import_rates, rate_for

NOW = datetime(2025, 3, 10, 12, tzinfo=UTC)
RATES = "date,from,to,rate\n2025-03-03,CAD,USD,0.6950\n2025-03-05,cad,usd,0.7010\n2025-03-03,EUR,USD,1.0825\n"


@pytest.fixture
def store(engine: Engine) -> Engine:
    with transaction(engine) as session:
        session.add(m.BusinessSetting(name="FX Co", currency="USD", timezone="UTC", created_at=NOW))
    return engine


def test_imported_rates_apply_from_their_day_on(store: Engine):
    with transaction(store) as session:
        result = import_rates(session, RATES, "rates.csv")
        assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
        assert rate_for(session, "CAD", date(2025, 3, 4)) == Decimal("0.6950")
        assert rate_for(session, "CAD", date(2025, 3, 9)) == Decimal("0.7010")
        assert rate_for(session, "USD", date(2020, 1, 1)) == Decimal(1)
        book = RateBook.load(session)
        # 123.45 CAD x 0.7010 = 86.538... -> 86.54 USD, rounded half up at the posting.
        assert book.convert(Decimal("123.45"), "CAD", date(2025, 3, 5)) == Decimal("86.54")
        assert book.convert(Decimal("10.00"), "EUR", date(2025, 3, 31)) == Decimal("10.83")
        with pytest.raises(UserError, match="no exchange rate CAD->USD on or before 2025-03-02"):
            book.rate("CAD", date(2025, 3, 2))


def test_reimport_updates_changed_rates_only(store: Engine):
    with transaction(store) as session:
        import_rates(session, RATES, "rates.csv")
        again = import_rates(session, RATES.replace("0.7010", "0.7020"), "rates.csv")
        assert (again.created, again.updated, again.unchanged) == (0, 1, 2)
        assert rate_for(session, "CAD", date(2025, 3, 5)) == Decimal("0.7020")


def test_a_payout_rate_beats_the_imported_one(store: Engine):
    with transaction(store) as session:
        import_rates(session, RATES, "rates.csv")
        session.add(
            m.ExchangeRate(
                day=date(2025, 3, 5),
                from_currency="CAD",
                to_currency="USD",
                rate=Decimal("0.7100"),
                source="payout",
            )
        )
        session.flush()
        assert rate_for(session, "CAD", date(2025, 3, 5)) == Decimal("0.7100")
        assert rate_for(session, "CAD", date(2025, 3, 4)) == Decimal("0.6950")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("day,from,to,rate\n", "missing column(s) date"),
        ("date,from,to,rate\n2025-13-01,CAD,USD,0.7\n", "rates.csv, row 2, column 'date'"),
        ("date,from,to,rate\n2025-03-01,CADX,USD,0.7\n", "row 2, column 'from'"),
        ("date,from,to,rate\n2025-03-01,CAD,USD,abc\n", "row 2, column 'rate': not a number"),
        ("date,from,to,rate\n2025-03-01,CAD,USD,0.7\n2025-03-02,CAD,USD,-1\n", "row 3, column 'rate'"),
    ],
)
def test_a_bad_rate_file_names_the_row_and_leaves_the_table_unchanged(store: Engine, text: str, message: str):
    pattern = message.replace("(", r"\(").replace(")", r"\)")
    with pytest.raises(InputError, match=pattern), transaction(store) as session:
        import_rates(session, text, "rates.csv")
    with transaction(store) as session:
        assert session.scalar(select(func.count()).select_from(m.ExchangeRate)) == 0


def test_recurring_expenses_fall_on_their_days(store: Engine):
    assert list(occurrence_days(date(2025, 1, 31), None, "monthly", date(2025, 4, 30))) == [
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
    ]
    assert list(occurrence_days(date(2025, 3, 3), date(2025, 3, 20), "weekly", date(2025, 12, 31))) == [
        date(2025, 3, 3),
        date(2025, 3, 10),
        date(2025, 3, 17),
    ]
    assert list(occurrence_days(date(2024, 2, 29), None, "yearly", date(2026, 3, 1))) == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
    ]
    with transaction(store) as session:
        add_expense(
            session,
            name="Rent",
            category="rent",
            amount="2400.00",
            starts_on=date(2025, 1, 1),
            now=NOW,
            recurrence="monthly",
        )
        add_expense(
            session, name="Logo", category="design", amount="350", starts_on=date(2025, 2, 14), now=NOW
        )
        found = occurrences(session, date(2025, 2, 1), date(2025, 4, 1))
        assert [(o.day, o.amount, o.name) for o in found] == [
            (date(2025, 2, 1), Decimal("2400.0000"), "Rent"),
            (date(2025, 2, 14), Decimal("350.0000"), "Logo"),
            (date(2025, 3, 1), Decimal("2400.0000"), "Rent"),
        ]
        with pytest.raises(UserError, match="--amount"):
            add_expense(session, name="X", category="x", amount="-5", starts_on=date(2025, 1, 1), now=NOW)
        with pytest.raises(UserError, match="--recurrence"):
            add_expense(
                session,
                name="X",
                category="x",
                amount="5",
                starts_on=date(2025, 1, 1),
                now=NOW,
                recurrence="daily",
            )
