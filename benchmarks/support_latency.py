"""Benchmark: per-message latency of understand() and of the full triage, offline, on the demo inbox.

    .venv/bin/python benchmarks/support_latency.py [--db sqlite:///demo.db]

Without ``--db`` it builds the demo store (seed 7) into a temporary SQLite file with the CLI.
Every open inbound message is timed one by one (perf_counter) after one warm-up call that loads
the shipped model: ``understand`` alone (with the store catalog, and with the store memory
fitted on the handled tickets) and the full ``triage`` (understanding + policy + order lookups +
reply), which writes nothing. Prints p50/p95/max in milliseconds and a RESULT line.
Aim (issue 5): p95 <= 50 ms per message on the 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import select  # noqa: E402

from sasame.db import make_engine, transaction  # noqa: E402
from sasame.models import SupportMessage, SupportTicket  # noqa: E402
from sasame.support.understanding import Catalog, store_memory, understand  # noqa: E402


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95, ordered[-1]


def timed(calls: list[Callable[[], object]]) -> list[float]:
    samples = []
    for call in calls:
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a database with a demo store (default: build one in a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db
        if url is None:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            sasame = str(Path(sys.executable).with_name("sasame"))
            command = [sasame, "demo", "--no-serve", "--db", url, "--seed", "7"]
            subprocess.run(command, check=True, capture_output=True)
        engine = make_engine(url)
        with transaction(engine) as session:
            rows = session.execute(
                select(SupportMessage.from_address, SupportMessage.subject, SupportMessage.body)
                .join(SupportTicket, SupportTicket.id == SupportMessage.ticket_id)
                .where(SupportMessage.direction == "inbound", SupportTicket.status != "closed")
                .order_by(SupportMessage.id)
            ).all()
            catalog = Catalog.from_session(session, adapt=False)
            start = time.perf_counter()
            memory = store_memory(session, catalog)
            memory_ms = (time.perf_counter() - start) * 1000
        understand("warm up", "load the model once", catalog)
        print(f"messages: {len(rows)}; catalog variants: {len(catalog.variants)}")
        fitted_on = memory.size if memory else 0
        print(f"store memory fitted on {fitted_on} handled tickets in {memory_ms:.0f} ms (once)")
        results = {}
        results["understand"] = timed([lambda s=s, b=b: understand(s, b, catalog) for _, s, b in rows])
        if memory is not None:
            results["understand+memory"] = timed(
                [lambda s=s, b=b: understand(s, b, catalog, memory=memory) for _, s, b in rows]
            )
        try:
            from sasame.support.policy import load_policy
            from sasame.support.triage import IncomingMessage, TriageContext, triage
        except ImportError:
            print("full triage: not available in this checkout (sasame.support.triage missing)")
        else:
            with transaction(engine) as session:
                ctx = TriageContext.load(session, load_policy(session), datetime.now(UTC))
                messages = [IncomingMessage(str(i), f, s, b) for i, (f, s, b) in enumerate(rows)]
                triage(ctx, messages[0])
                results["triage"] = timed([lambda m=m: triage(ctx, m) for m in messages])
                session.rollback()
        for name, samples in results.items():
            p50, p95, worst = percentiles(samples)
            print(f"{name:18s} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  max {worst:7.2f} ms")
        summary = " ".join(f"{name}_p95_ms={percentiles(s)[1]:.2f}" for name, s in results.items())
        print(f"RESULT support_latency {summary}")


if __name__ == "__main__":
    main()
