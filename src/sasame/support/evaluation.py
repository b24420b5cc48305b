"""Scoring the understanding against labels: accuracy, selective precision, calibration, OOS.

Pure functions over ``Prediction`` rows, used by ``sasame support eval`` (demo inbox labels or a
labelled JSONL file) and by ``benchmarks/support_real_data.py`` (held-out real queries).

* **precision at coverage**: answer only the most confident share of messages; the precision of
  that share (selective prediction, references.md §4.4), plus the area under the risk-coverage
  curve (AURC, lower is better);
* **reliability**: per confidence bin, the mean confidence and the share actually right, and the
  expected calibration error (ECE, 10 equal-width bins);
* **out-of-scope recall**: of the messages whose true intent is ``other`` (outside the
  vocabulary), the share the model flagged out of scope instead of forcing an intent;
* **confusion matrix** over the intents present.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

COVERAGE_LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9, 1.0)
BINS = 10
OUT_OF_SCOPE = "other"


@dataclass(frozen=True)
class Prediction:
    truth: str
    predicted: str
    confidence: float
    out_of_scope: bool = False
    order_truth: str | None = None
    """The order number the message is about (None when not about an order)."""
    order_found: str | None = None
    """The order reference the understanding extracted (None when none)."""

    @property
    def correct(self) -> bool:
        return self.truth == self.predicted


@dataclass
class CoveragePoint:
    coverage: float
    answered: int
    threshold: float
    precision: float


@dataclass
class ReliabilityBin:
    low: float
    high: float
    count: int
    mean_confidence: float
    accuracy: float


@dataclass
class EvaluationReport:
    total: int
    accuracy: float
    in_scope_accuracy: float
    out_of_scope_total: int
    out_of_scope_recall: float
    out_of_scope_false_alarm: float
    """Share of in-scope messages wrongly flagged out of scope."""
    precision_at_coverage: list[CoveragePoint]
    aurc: float
    ece: float
    reliability: list[ReliabilityBin]
    labels: list[str]
    confusion: list[list[int]]
    per_intent: dict[str, dict[str, float]] = field(default_factory=dict)
    order_ref_accuracy: float | None = None
    """Of messages about an order whose number is written in them, the share whose extracted
    reference matches it (None when there are none)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "accuracy": round(self.accuracy, 4),
            "in_scope_accuracy": round(self.in_scope_accuracy, 4),
            "out_of_scope_total": self.out_of_scope_total,
            "out_of_scope_recall": round(self.out_of_scope_recall, 4),
            "out_of_scope_false_alarm": round(self.out_of_scope_false_alarm, 4),
            "precision_at_coverage": [
                {
                    "coverage": round(p.coverage, 4),
                    "answered": p.answered,
                    "threshold": round(p.threshold, 4),
                    "precision": round(p.precision, 4),
                }
                for p in self.precision_at_coverage
            ],
            "aurc": round(self.aurc, 4),
            "ece": round(self.ece, 4),
            "reliability": [
                {
                    "bin": f"{b.low:.1f}-{b.high:.1f}",
                    "count": b.count,
                    "mean_confidence": round(b.mean_confidence, 4),
                    "accuracy": round(b.accuracy, 4),
                }
                for b in self.reliability
            ],
            "labels": self.labels,
            "confusion": self.confusion,
            "per_intent": self.per_intent,
            "order_ref_accuracy": None
            if self.order_ref_accuracy is None
            else round(self.order_ref_accuracy, 4),
        }


def precision_at_coverage(
    predictions: Sequence[Prediction], levels: Iterable[float] = COVERAGE_LEVELS
) -> list[CoveragePoint]:
    """Precision of the most confident ``level`` share of predictions, for each level."""
    ranked = sorted(predictions, key=lambda p: -p.confidence)
    total = len(ranked)
    points = []
    for level in levels:
        answered = max(1, round(level * total)) if total else 0
        top = ranked[:answered]
        correct = sum(p.correct for p in top)
        points.append(
            CoveragePoint(
                coverage=answered / total if total else 0.0,
                answered=answered,
                threshold=top[-1].confidence if top else 1.0,
                precision=correct / answered if answered else 1.0,
            )
        )
    return points


def aurc(predictions: Sequence[Prediction]) -> float:
    """Area under the risk-coverage curve (mean selective risk over every coverage 1/n..n/n)."""
    ranked = sorted(predictions, key=lambda p: -p.confidence)
    errors = 0
    total_risk = 0.0
    for answered, prediction in enumerate(ranked, start=1):
        errors += not prediction.correct
        total_risk += errors / answered
    return total_risk / len(ranked) if ranked else 0.0


def reliability(predictions: Sequence[Prediction], bins: int = BINS) -> tuple[list[ReliabilityBin], float]:
    """Return the reliability table (equal-width confidence bins) and the ECE."""
    table = []
    ece = 0.0
    total = len(predictions)
    for index in range(bins):
        low, high = index / bins, (index + 1) / bins
        members = [
            p
            for p in predictions
            if low <= p.confidence < high or (index == bins - 1 and p.confidence == 1.0)
        ]
        if not members:
            continue
        mean_confidence = sum(p.confidence for p in members) / len(members)
        accuracy = sum(p.correct for p in members) / len(members)
        table.append(ReliabilityBin(low, high, len(members), mean_confidence, accuracy))
        ece += len(members) / total * abs(mean_confidence - accuracy)
    return table, ece


def evaluate(predictions: Sequence[Prediction]) -> EvaluationReport:
    """Score predictions (see the module docstring for each figure)."""
    total = len(predictions)
    accuracy = sum(p.correct for p in predictions) / total if total else 0.0
    in_scope = [p for p in predictions if p.truth != OUT_OF_SCOPE]
    out_scope = [p for p in predictions if p.truth == OUT_OF_SCOPE]
    in_scope_accuracy = sum(p.correct for p in in_scope) / len(in_scope) if in_scope else 0.0
    oos_recall = sum(p.out_of_scope for p in out_scope) / len(out_scope) if out_scope else 0.0
    false_alarm = sum(p.out_of_scope for p in in_scope) / len(in_scope) if in_scope else 0.0
    table, ece = reliability(predictions)
    labels = sorted({p.truth for p in predictions} | {p.predicted for p in predictions})
    index = {label: i for i, label in enumerate(labels)}
    confusion = [[0] * len(labels) for _ in labels]
    for p in predictions:
        confusion[index[p.truth]][index[p.predicted]] += 1
    per_intent: dict[str, dict[str, float]] = {}
    for label in labels:
        true_positive = confusion[index[label]][index[label]]
        predicted = sum(row[index[label]] for row in confusion)
        actual = sum(confusion[index[label]])
        per_intent[label] = {
            "support": actual,
            "precision": round(true_positive / predicted, 4) if predicted else 0.0,
            "recall": round(true_positive / actual, 4) if actual else 0.0,
        }
    with_order = [p for p in predictions if p.order_truth is not None]
    order_accuracy = (
        sum(_same_order(p.order_truth, p.order_found) for p in with_order) / len(with_order)
        if with_order
        else None
    )
    return EvaluationReport(
        total=total,
        accuracy=accuracy,
        in_scope_accuracy=in_scope_accuracy,
        out_of_scope_total=len(out_scope),
        out_of_scope_recall=oos_recall,
        out_of_scope_false_alarm=false_alarm,
        precision_at_coverage=precision_at_coverage(predictions),
        aurc=aurc(predictions),
        ece=ece,
        reliability=table,
        labels=labels,
        confusion=confusion,
        per_intent=per_intent,
        order_ref_accuracy=order_accuracy,
    )


def _same_order(truth: str | None, found: str | None) -> bool:
    if truth is None or found is None:
        return truth == found
    return truth.strip().lstrip("#").lower() == found.strip().lstrip("#").lower()


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
