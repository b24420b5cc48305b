"""Check the ledger's daily P&L against the demo generator's own truth on a full-size demo store.

Builds the default demo store the way `sasame demo` does (generated, written as platform export
files and loaded through the import path), runs the daily pipeline, then compares every
(channel, P&L line, day) cell of the posted ledger with ground truth kind `daily_pnl`, and runs
the reconciliation. Prints the number of cells compared, the cells that differ, and the payouts
reconciled. Rerun: `.venv/bin/python benchmarks/finance_demo_truth.py [--seed 7] [--end DATE]`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from sqlalchemy import func, select

from sasame import models as m
from sasame.db import make_engine, transaction, upgrade
from sasame.demo.load import load_demo_store
from sasame.finance.queries import pnl_by_channel_line_day
from sasame.finance.service import reconcile_books
from sasame.jobs.pipeline import run_pipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end", type=date.fromisoformat, default=date(2026, 11, 27))
    arguments = parser.parse_args()
    now = datetime.combine(arguments.end, clock_time(14), tzinfo=UTC)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/demo.db")
        upgrade(engine)
        started = time.perf_counter()
        load_demo_store(engine, Path(folder) / "exports", seed=arguments.seed, end=arguments.end, now=now)
        loaded = time.perf_counter()
        results = run_pipeline(engine, now, only=["finance.post", "finance.reports"])
        posted = time.perf_counter()
        assert all(result.succeeded for result in results), [r.error for r in results]
        with transaction(engine) as session:
            cells = {key: int(amount * 100) for key, amount in pnl_by_channel_line_day(session).items()}
            truth = dict(
                session.execute(
                    select(m.GroundTruth.key, m.GroundTruth.value).where(m.GroundTruth.kind == "daily_pnl")
                ).all()
            )
            report = reconcile_books(session, now)
            paid = session.scalar(select(func.count()).select_from(m.Payout).where(m.Payout.status == "paid"))
        compared = differing = 0
        for key, fact in truth.items():
            first = date.fromisoformat(fact["start"])
            for line, per_day in fact["cents"].items():
                for index, expected in enumerate(per_day):
                    got = cells.pop((key, line, first + timedelta(days=index)), 0)
                    compared += 1
                    if got != expected:
                        differing += 1
                        if differing <= 10:
                            print(
                                f"differs: {key} {line} {first + timedelta(days=index)}: {expected} != {got}"
                            )
        leftover = {k: v for k, v in cells.items() if v}
        reconciled = sum(check.status == "reconciled" for check in report.payouts)
        print(
            f"loaded in {loaded - started:.1f} s, posted and reported in {posted - loaded:.1f} s\n"
            f"P&L cells compared: {compared:,} (channel x line x day); differing: {differing}; "
            f"ledger cells the truth does not know: {len(leftover)}\n"
            f"payouts: {len(report.payouts)}, paid {paid}, reconciled {reconciled}; "
            f"exceptions: {sorted(issue.kind for issue in report.issues)}; "
            f"unexplained clearing: {[str(c.unexplained) for c in report.clearing if c.unexplained]}"
        )


if __name__ == "__main__":
    main()
