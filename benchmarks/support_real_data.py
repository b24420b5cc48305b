"""Benchmark: the shipped intent model on real customer queries it never saw (HINT3 held-out 30 %).

    .venv/bin/python benchmarks/support_real_data.py [--data ../shared/data] [--json]

HINT3 v2 SOFMattress and Curekart training files, split per bot and label (30 % held out,
seed 5, ``sasame.support.understanding.datasets.split_hint3``) *before* the model was trained;
the model (``tools/train_intent_model.py``) saw only the other 70 %. Labels map to our
vocabulary; those outside it count as ``other`` (out of scope). Prints accuracy, precision at
each coverage level, out-of-scope recall, the reliability table and ECE, then a RESULT line.
Skips (exit 0, with a message) when the shared data folder is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sasame.support.evaluation import Prediction, evaluate  # noqa: E402
from sasame.support.understanding import understand  # noqa: E402
from sasame.support.understanding.datasets import SPLIT_SEED, TEST_SHARE, split_hint3  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    args = parser.parse_args()
    if not (args.data / "hint3").is_dir():
        print(f"SKIP: {args.data / 'hint3'} is absent (the shared data folder is needed for this benchmark)")
        return
    _, test = split_hint3(args.data)
    predictions = []
    for example in test:
        u = understand("", example.text)
        predictions.append(Prediction(example.intent, u.intent, u.confidence, u.out_of_scope))
    report = evaluate(predictions)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
        return
    by_bot = Counter(e.source for e in test)
    print(f"HINT3 held-out queries: {len(test)} {dict(by_bot)} (split {TEST_SHARE:.0%}, seed {SPLIT_SEED})")
    print(f"intent accuracy: {report.accuracy:.3f} (in scope {report.in_scope_accuracy:.3f})")
    print(
        f"out of scope: {report.out_of_scope_total} queries, recall {report.out_of_scope_recall:.3f}; "
        f"in-scope queries flagged out of scope {report.out_of_scope_false_alarm:.3f}"
    )
    print("| coverage | answered | confidence >= | precision |")
    print("|---:|---:|---:|---:|")
    for point in report.precision_at_coverage:
        print(f"| {point.coverage:.0%} | {point.answered} | {point.threshold:.3f} | {point.precision:.3f} |")
    print(f"AURC {report.aurc:.4f}; ECE {report.ece:.3f}")
    print("| confidence | messages | mean confidence | accuracy |")
    print("|---|---:|---:|---:|")
    for row in report.reliability:
        cells = f"{row.count} | {row.mean_confidence:.3f} | {row.accuracy:.3f}"
        print(f"| {row.low:.1f}-{row.high:.1f} | {cells} |")
    for sources in sorted(by_bot):
        subset = [p for p, e in zip(predictions, test, strict=True) if e.source == sources]
        sub = evaluate(subset)
        scores = f"accuracy {sub.accuracy:.3f}, OOS recall {sub.out_of_scope_recall:.3f}"
        print(f"{sources}: {len(subset)} queries, {scores}")
    print(
        f"RESULT hint3_heldout accuracy={report.accuracy:.3f} oos_recall={report.out_of_scope_recall:.3f} "
        f"ece={report.ece:.3f} aurc={report.aurc:.4f}"
    )


if __name__ == "__main__":
    main()
