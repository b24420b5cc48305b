"""`sasame demo --no-serve` then `sasame status --json`: every entity group of the schema is populated."""

import json
import mailbox
import os

from sqlalchemy import func, select
from typer.testing import CliRunner

from sasame import models as m
from sasame.cli import DEMO_LOGIN, app
from sasame.db import make_engine
from sasame.overview.status import ENTITY_GROUPS

runner = CliRunner()
EVAL_AT = ["--now", "2026-11-27T12:00:00Z"]


def test_demo_populates_every_entity_group(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    small = ["--weeks", "40", "--orders-per-week", "80", "--skus", "40", "--end", "2026-11-27"]
    result = runner.invoke(app, ["demo", "--no-serve", "--db", url, *small])
    assert result.exit_code == 0, result.output
    assert DEMO_LOGIN[0] in result.output and DEMO_LOGIN[1] in result.output
    result_text = result.output
    result = runner.invoke(app, ["status", "--db", url, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report["counts"]) == set(ENTITY_GROUPS)
    empty = [
        f"{group}.{table}"
        for group, tables in report["counts"].items()
        for table, rows in tables.items()
        if not rows
    ]
    # The demo's sales, payouts and marketing come through the import path, with their files.
    assert empty == []
    assert (tmp_path / "demo-exports" / "shopify").is_dir()
    assert all(report["group_totals"].values())
    assert report["order_dates"]["last"] == "2026-11-26"
    assert set(report["money"]["order_total"]) == {"USD"}
    # The Inventory page opens with the backtest of the store's own second half (141 of its 282 days).
    line = "Backtest of its last 141 days with its suppliers' lead times: sasame ran out on"
    assert line in " ".join(result_text.split())
    engine = make_engine(url)
    with engine.connect() as connection:
        shown = connection.execute(select(m.InventoryPlan.backtest)).scalar_one()
    engine.dispose()
    assert shown["policies"]["sasame"]["periods"] == 141 and shown["policies"]["sasame"]["skus"] > 30
    # The made-up customers' automatic answers went to the outbox file, each one stored as sent.
    outbox = tmp_path / "demo-outbox.mbox"
    assert f"Automatic replies are written to {outbox}, not sent" in result_text
    written = {message["Message-ID"]: message["To"] for message in mailbox.mbox(outbox)}
    engine = make_engine(url)
    with engine.connect() as connection:
        stored = dict(
            connection.execute(
                select(m.SupportMessage.message_id, m.SupportMessage.to_address).where(
                    m.SupportMessage.message_id.in_(written)
                )
            ).all()
        )
    engine.dispose()
    assert len(written) > 20 and stored == written
    assert "SASAME_SUPPORT_OUTBOX" not in os.environ  # set for the demo's own pipeline run only
    # The demo answered its inbox, so an evaluation re-reads messages already acted on, and says so.
    labelled = tmp_path / "inbox.jsonl"
    assert (
        runner.invoke(app, ["support", "export-labelled", "--db", url, "--out", str(labelled)]).exit_code == 0
    )
    lines = len(labelled.read_text().splitlines())
    scored = runner.invoke(app, ["support", "eval", "--db", url, "--in", str(labelled), *EVAL_AT])
    assert scored.exit_code == 0, scored.output
    assert f"note: the autopilot had already decided {lines} of these {lines} messages" in scored.output


def test_demo_refuses_a_database_that_already_holds_a_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    small = ["--weeks", "10", "--orders-per-week", "20", "--skus", "20", "--end", "2026-11-27"]
    assert runner.invoke(app, ["demo", "--no-serve", "--db", url, *small]).exit_code == 0
    again = runner.invoke(app, ["demo", "--no-serve", "--db", url, *small])
    assert again.exit_code != 0
    replaced = runner.invoke(app, ["demo", "--no-serve", "--replace", "--db", url, *small])
    assert replaced.exit_code == 0, replaced.output


def test_demo_writes_export_files_the_import_path_recognises(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    small = ["--weeks", "10", "--orders-per-week", "30", "--skus", "20", "--end", "2026-11-27"]
    result = runner.invoke(
        app, ["demo", "--no-serve", "--db", url, "--exports", str(tmp_path / "exports"), *small]
    )
    assert result.exit_code == 0, result.output
    files = sorted(p for p in (tmp_path / "exports").rglob("*") if p.is_file())
    assert f"from {len(files)} export files in {tmp_path / 'exports'}" in result.output.replace("\n", "")
    from sasame.connectors.files import SourceFile
    from sasame.ingest.service import detect_format

    platforms = {detect_format(SourceFile.read(path)).name.split(".")[0] for path in files}
    assert platforms == {"shopify", "amazon", "etsy", "meta_ads", "google_ads", "klaviyo"}


def test_demo_direct_writes_rows_without_the_import_path(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    small = ["--weeks", "10", "--orders-per-week", "20", "--skus", "20", "--end", "2026-11-27"]
    result = runner.invoke(app, ["demo", "--no-serve", "--direct", "--db", url, *small])
    assert result.exit_code == 0, result.output
    report = json.loads(runner.invoke(app, ["status", "--db", url, "--json"]).output)
    assert report["counts"]["sources"]["source_file"] == 0
    assert report["counts"]["orders"]["order"] > 0
    assert not (tmp_path / "demo-exports").exists()


def test_demo_leave_inbox_keeps_the_inbox_as_it_arrived_for_eval(tmp_path):
    """`--leave-inbox` runs the pipeline without its support step: no open ticket is decided (the
    closed ones are the support history's), no reply written, and `support eval` reads every
    labelled message for the first time."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    small = ["--weeks", "10", "--orders-per-week", "30", "--skus", "20", "--end", "2026-11-27"]
    result = runner.invoke(app, ["demo", "--no-serve", "--leave-inbox", "--db", url, *small])
    assert result.exit_code == 0, result.output
    assert "The open inbox is left unanswered (--leave-inbox)" in result.output
    assert not (tmp_path / "demo-outbox.mbox").exists()
    engine = make_engine(url)
    with engine.connect() as connection:
        decided = connection.scalar(
            select(func.count())
            .select_from(m.SupportTicket)
            .where(m.SupportTicket.decision.is_not(None), m.SupportTicket.status != "closed")
        )
        open_tickets = connection.scalar(
            select(func.count()).select_from(m.SupportTicket).where(m.SupportTicket.status != "closed")
        )
        ledger_entries = connection.scalar(select(func.count()).select_from(m.JournalEntry))
    engine.dispose()
    assert decided == 0 and open_tickets > 10
    assert ledger_entries > 0  # the pipeline's other steps ran
    labelled = tmp_path / "inbox.jsonl"
    exported = runner.invoke(app, ["support", "export-labelled", "--db", url, "--out", str(labelled)])
    assert exported.exit_code == 0, exported.output
    lines = labelled.read_text().splitlines()
    assert len(lines) >= open_tickets
    scored = runner.invoke(
        app,
        ["support", "eval", "--db", url, "--in", str(labelled), *EVAL_AT, "--json"],
    )
    assert scored.exit_code == 0, scored.output
    figures = json.loads(scored.output)
    assert (figures["messages"], figures["already_handled"]) == (len(lines), 0)
