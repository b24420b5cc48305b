"""Benchmark: the support autopilot on the demo inbox, against the generator's labels.

Run: .venv/bin/python benchmarks/support_demo_inbox.py [--seed 7] [--now 2026-11-28T06:00:00Z] [--vip-flagged]
     .venv/bin/python benchmarks/support_demo_inbox.py --as-demo [--seed 7] [--now ...]

Generates the demo store (default size) into a temporary SQLite file at a fixed instant, so the
labels (a snapshot of the store at that instant) and the triage read the same world, then runs
the same evaluation as `sasame support eval` (read-only) and the per-message triage time. Prints
the figures as a markdown table for docs/benchmarks.md, with and without the understanding's
adaptation to the store's handled tickets. `--vip-flagged` also measures the opt-in policy in which
customers flagged VIP in the store's data get drafts (by default only the owner's `vip_emails` do).

`--as-demo` measures the store `sasame demo` builds, as its inbox arrived: the store is loaded
through the import path at the current instant (or `--now`), then the demo's daily pipeline runs
with every step but the support mailbox (as `sasame demo --leave-inbox` does), then the
evaluation. Plain `sasame demo` also runs the support step, which answers the inbox (and makes its
changes, cancellations and RMAs) before the dashboard opens, so `sasame support eval` on a fresh
demo store re-reads messages already acted on while the labels are the snapshot from before; this
mode measures the first reading instead.
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
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sasame.db import make_engine, upgrade
from sasame.demo.load import load_demo_store
from sasame.demo.service import generate_demo_store
from sasame.jobs.pipeline import STEPS, SUPPORT_MAILBOX_STEP, run_pipeline
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


def _build_as_demo(engine: Engine, folder: Path, seed: int, now: datetime) -> None:
    """The store as `sasame demo --leave-inbox` leaves it: import path, pipeline run without its
    support step."""
    load_demo_store(engine, folder / "exports", seed=seed, now=now)
    others = [step.name for step in STEPS if step.name != SUPPORT_MAILBOX_STEP]
    failed = [result.name for result in run_pipeline(engine, now, only=others) if not result.succeeded]
    if failed:
        raise SystemExit(f"demo store generated, but pipeline steps failed: {', '.join(failed)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--now", help="the store's instant (default 2026-11-28T06:00:00Z; with --as-demo, the current minute)"
    )
    parser.add_argument("--vip-flagged", action="store_true")
    parser.add_argument(
        "--as-demo",
        action="store_true",
        help="build the store as `sasame demo` does (import path, pipeline) but evaluate its inbox "
        "before the pipeline's support step answers it",
    )
    args = parser.parse_args()
    if args.now:
        now = datetime.fromisoformat(args.now.replace("Z", "+00:00")).astimezone(UTC)
    elif args.as_demo:
        now = datetime.now(UTC).replace(second=0, microsecond=0)
    else:
        now = datetime(2026, 11, 28, 6, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'demo.db'}")
        upgrade(engine)
        started = time.perf_counter()
        if args.as_demo:
            _build_as_demo(engine, Path(folder), args.seed, now)
        else:
            generate_demo_store(engine, seed=args.seed, now=now)
        how = "as `sasame demo` builds it, before its support step" if args.as_demo else "generated directly"
        seconds = time.perf_counter() - started
        print(f"demo store (seed {args.seed}, now {now.isoformat()}, {how}) in {seconds:.1f}s")
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
