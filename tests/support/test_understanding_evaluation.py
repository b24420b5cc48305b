"""The evaluation figures on a fixed set of predictions, computed by hand."""

from __future__ import annotations

import pytest

from sasame.support.evaluation import Prediction, aurc, evaluate, precision_at_coverage, reliability

PREDICTIONS = [
    Prediction("order_status", "order_status", 0.95, order_truth="#1001", order_found="1001"),
    Prediction("order_status", "order_status", 0.90, order_truth="#1002", order_found="#1002"),
    Prediction("return_request", "return_request", 0.85),
    Prediction("cancel_order", "order_status", 0.80, order_truth="#1003", order_found=None),
    Prediction("other", "other", 0.30, out_of_scope=True),
    Prediction("other", "product_question", 0.60),
    Prediction("complaint", "complaint", 0.55),
    Prediction("praise", "other", 0.20, out_of_scope=True),
]


def test_precision_at_coverage() -> None:
    points = precision_at_coverage(PREDICTIONS, (0.25, 0.5, 0.75, 1.0))
    assert [(p.answered, p.threshold, p.precision) for p in points] == [
        (2, 0.90, 1.0),
        (4, 0.80, 0.75),
        (6, 0.55, 4 / 6),
        (8, 0.20, 5 / 8),
    ]


def test_aurc_is_the_mean_selective_risk() -> None:
    # Ranked by confidence: ok ok ok X(0.80) X(0.60) ok(0.55) ok(0.30) X(0.20)
    risks = [0, 0, 0, 1 / 4, 2 / 5, 2 / 6, 2 / 7, 3 / 8]
    assert aurc(PREDICTIONS) == pytest.approx(sum(risks) / 8)


def test_reliability_table_and_ece() -> None:
    table, ece = reliability(PREDICTIONS)
    assert [(b.low, b.count, round(b.mean_confidence, 3), b.accuracy) for b in table] == [
        (0.2, 1, 0.2, 0.0),
        (0.3, 1, 0.3, 1.0),
        (0.5, 1, 0.55, 1.0),
        (0.6, 1, 0.6, 0.0),
        (0.8, 2, 0.825, 0.5),
        (0.9, 2, 0.925, 1.0),
    ]
    expected = (0.2 + 0.7 + 0.45 + 0.6 + 2 * 0.325 + 2 * 0.075) / 8
    assert ece == pytest.approx(expected)


def test_evaluate_accuracy_oos_confusion_orders() -> None:
    report = evaluate(PREDICTIONS)
    assert report.total == 8
    assert report.accuracy == 5 / 8
    assert report.in_scope_accuracy == 4 / 6
    assert (report.out_of_scope_total, report.out_of_scope_recall) == (2, 0.5)
    assert report.out_of_scope_false_alarm == 1 / 6
    assert report.order_ref_accuracy == 2 / 3
    index = {label: i for i, label in enumerate(report.labels)}
    assert report.confusion[index["cancel_order"]][index["order_status"]] == 1
    assert report.confusion[index["other"]][index["product_question"]] == 1
    assert sum(map(sum, report.confusion)) == 8
    assert report.per_intent["order_status"] == {"support": 2, "precision": 0.6667, "recall": 1.0}
    as_json = report.to_json()
    assert as_json["accuracy"] == 0.625
    assert as_json["precision_at_coverage"][-1] == {
        "coverage": 1.0,
        "answered": 8,
        "threshold": 0.2,
        "precision": 0.625,
    }
