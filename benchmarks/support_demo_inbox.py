"""Benchmark: the support autopilot on the demo inbox, against the generator's labels.

Run: .venv/bin/python benchmarks/support_demo_inbox.py [--seed 7] [--now 2026-11-28T06:00:00Z] [--vip-flagged]

Generates the demo store (default size) into a temporary SQLite file at a fixed instant, so the
labels (a snapshot of the store at that instant) and the triage read the same world, then runs
the same evaluation as `sasame support eval` (read-only) and the per-message triage time. Prints
the figures as a markdown table for docs/benchmarks.md, with and without the understanding's
adaptation to the store's handled tickets. `--vip-flagged` also measures the opt-in policy in which
customers flagged VIP in the store's data get drafts (by default only the owner's `vip_emails` do).
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from sasame.db import make_engine, upgrade
from sasame.demo.service import generate_demo_store
from sasame.support.labelled import demo_labelled, evaluate, messages_of
from sasame.support.metrics import understanding_report
from sasame.support.policy import load_policy
from sasame.support.triage import TriageContext, triage


def _measure(
    session: Session, now: datetime, *, vip_flagged: bool, adapt: bool = True, answers: bool = True
) -> dict[str, Any]:
    # The variant is measured without touching the store: only the policy in memory changes.
    policy = replace(load_policy(session), vip_flagged_customers=vip_flagged)
    if not answers:
        policy = replace(policy, faq={})
    lines = demo_labelled(session)
    ctx = TriageContext.load(session, policy, now, adapt=adapt)
    report, _ = evaluate(ctx, lines)
    timings = []
    ctx = TriageContext.load(session, policy, now, adapt=adapt)
    for message in messages_of(lines):
        started = time.perf_counter()
        triage(ctx, message)
        timings.append((time.perf_counter() - started) * 1000)
    understanding = understanding_report(report.predictions)
    return {
        "messages": report.messages,
        "auto": report.decisions["auto"],
        "draft": report.decisions["draft"],
        "escalate": report.decisions["escalate"],
        "automation_rate": report.automation_rate,
        "auto_correct": report.auto_correct,
        "auto_precision": report.auto_precision,
        "must_escalate": f"{report.must_escalate_escalated}/{report.must_escalate}",
        "intent_accuracy": understanding["accuracy"],
        "triage_ms_p50": float(np.percentile(timings, 50)),
        "triage_ms_p95": float(np.percentile(timings, 95)),
        "wrong_auto": report.wrong_auto,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--now", default="2026-11-28T06:00:00+00:00")
    parser.add_argument("--vip-flagged", action="store_true")
    args = parser.parse_args()
    now = datetime.fromisoformat(args.now.replace("Z", "+00:00")).astimezone(UTC)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'demo.db'}")
        upgrade(engine)
        started = time.perf_counter()
        generate_demo_store(engine, seed=args.seed, now=now)
        print(f"demo store (seed {args.seed}, now {now.isoformat()}) in {time.perf_counter() - started:.1f}s")
        print(
            f"machine: {platform.platform()}, {platform.processor() or 'cpu'}, python "
            f"{platform.python_version()}"
        )
        variants = [(False, True, True), (False, False, True), (False, True, False)]
        variants += [(True, True, True)] if args.vip_flagged else []
        with Session(engine) as session:
            for vip_flagged, adapt, answers in variants:
                figures = _measure(session, now, vip_flagged=vip_flagged, adapt=adapt, answers=answers)
                name = (
                    "customers flagged VIP get drafts (opt-in)"
                    if vip_flagged
                    else "default policy, no store answers configured (faq.* empty)"
                    if not answers
                    else "default policy" + ("" if adapt else ", understanding without store adaptation")
                )
                print(f"\n{name}")
                print(
                    "| messages | auto | draft | escalate | auto rate | auto correct | "
                    "must-escalate escalated "
                    "| intent accuracy | triage p50 / p95 ms |"
                )
                print("|---|---|---|---|---|---|---|---|---|")
                auto = figures["auto"]
                cells = [
                    figures["messages"],
                    auto,
                    figures["draft"],
                    figures["escalate"],
                    f"{100 * figures['automation_rate']:.1f}%",
                    f"{figures['auto_correct']}/{auto} ({100 * figures['auto_precision']:.1f}%)",
                    figures["must_escalate"],
                    f"{100 * figures['intent_accuracy']:.1f}%",
                    f"{figures['triage_ms_p50']:.1f} / {figures['triage_ms_p95']:.1f}",
                ]
                print("| " + " | ".join(str(cell) for cell in cells) + " |")
                for wrong in figures["wrong_auto"]:
                    print(f"  wrong auto: {wrong['intent']}: {'; '.join(wrong['problems'])}")
                session.rollback()
        engine.dispose()


if __name__ == "__main__":
    main()
