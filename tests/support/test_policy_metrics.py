"""The owner's policy (stored per setting, parsed with one-line errors) and the support metrics."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from support_store import NOW

from sasame import models as m
from sasame.core.errors import InputError
from sasame.db import transaction
from sasame.support.evaluation import Prediction
from sasame.support.metrics import support_metrics, understanding_report
from sasame.support.policy import Policy, load_policy, parse_setting, set_policy


def test_defaults_are_safe() -> None:
    policy = Policy()
    # ``other`` on auto sends only the owner's business-mail answers (none by default); every other
    # message of it goes to a person (test_store_answers).
    assert (policy.mode_for("order_status"), policy.mode_for("complaint"), policy.mode_for("other")) == (
        "auto",
        "off",
        "auto",
    )
    assert policy.faq == {}
    assert policy.max_auto_order_value == Decimal("300.00")


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        ("return_window_days", "thirty", "support policy return_window_days: 'thirty' is not a whole number"),
        ("return_window_days", "400", "support policy return_window_days: 400 is outside 0..365"),
        ("auto_confidence", "1.5", "support policy auto_confidence: 1.5 is not between 0 and 1"),
        (
            "max_auto_order_value",
            "-3",
            "support policy max_auto_order_value: '-3' is not a positive amount sasame can store",
        ),
        (
            "max_auto_order_value",
            "1e30",
            "support policy max_auto_order_value: '1e30' is not a positive amount sasame can store",
        ),
        (
            "mode.wrong_item",
            "auto",
            "support policy mode.wrong_item: wrong_item messages always go to a person",
        ),
        ("mode.refunds", "auto", "support policy mode.refunds: 'refunds' is not an intent"),
        (
            "mode.order_status",
            "sometimes",
            "support policy mode.order_status: 'sometimes' is not one of off, draft, auto",
        ),
    ],
)
def test_bad_values_are_one_line_naming_the_setting(key: str, text: str, message: str) -> None:
    with pytest.raises(InputError) as error:
        parse_setting(key, text)
    assert str(error.value).startswith(message)


def test_settings_are_stored_and_read_back(engine: Engine) -> None:
    with transaction(engine) as session:
        set_policy(session, "max_auto_order_value", "150.50", now=NOW, by="owner")
        set_policy(session, "escalate_words", "Refund Now, lawyer,  lawyer", now=NOW, by="owner")
        set_policy(session, "vip_emails", "ceo@bigcorp.example", now=NOW, by="owner")
        set_policy(session, "max_auto_order_value", "99", now=NOW, by="owner")
    with transaction(engine) as session:
        policy = load_policy(session)
    assert policy.max_auto_order_value == Decimal("99")
    assert policy.escalate_words == ("refund now", "lawyer")
    assert policy.vip_emails == ("ceo@bigcorp.example",)


def test_metrics_from_decisions_reviews_and_response_times(engine: Engine, store: dict[str, int]) -> None:
    with transaction(engine) as session:
        rows = [
            ("order_status", "auto", None, timedelta(minutes=2)),
            ("order_status", "auto", "approved", timedelta(minutes=4)),
            ("return_request", "draft", "approved", timedelta(hours=3)),
            ("return_request", "draft", "edited", timedelta(hours=5)),
            ("complaint", "escalate", None, None),
        ]
        for index, (intent, decision, review, response) in enumerate(rows):
            session.add(
                m.SupportTicket(
                    thread_key=f"<t{index}@x>",
                    subject="s",
                    status="answered",
                    intent=intent,
                    decision=decision,
                    review_outcome=review,
                    opened_at=NOW - timedelta(days=1),
                    first_response_at=(NOW - timedelta(days=1) + response) if response else None,
                )
            )
    with transaction(engine) as session:
        result = support_metrics(session, Policy(minutes_per_ticket=6), now=NOW, timezone="America/New_York")
    assert (result.decided, result.decisions) == (5, {"auto": 2, "draft": 2, "escalate": 1})
    assert result.automation_rate == 0.4
    assert (result.reviewed, result.approved, result.precision) == (3, 2, 2 / 3)
    assert result.median_first_response_hours == 1.53  # median of 2 min, 4 min, 3 h, 5 h
    assert result.hours_saved == 0.2  # 2 auto x 6 min + 1 approved draft x 3 min = 15 min
    assert result.per_intent["return_request"]["precision"] == 0.5
    assert result.weekly == [{"week": "2026-03-02", "auto": 2, "draft": 2, "escalate": 1, "answered": 4}]


def test_precision_at_each_coverage_level() -> None:
    rows = [("a", "a", 0.99), ("a", "a", 0.9), ("b", "a", 0.8), ("b", "b", 0.6)]
    report = understanding_report([Prediction(t, p, c) for t, p, c in rows])
    assert report["accuracy"] == 0.75
    by_coverage = {round(p["coverage"], 2): p["precision"] for p in report["precision_at_coverage"]}
    assert (by_coverage[0.5], by_coverage[0.75], by_coverage[1.0]) == (1.0, 0.6667, 0.75)
    assert report["confusion"] == [[2, 0], [1, 1]]
