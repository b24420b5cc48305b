"""The CLI end to end: init, status, run and the one-line errors, on SQLite and PostgreSQL."""

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from typer.testing import CliRunner

from sasame import models as m
from sasame.cli import app
from sasame.db import make_engine, transaction
from sasame.jobs.lease import acquire

runner = CliRunner()


def sasame(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from sasame.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_init_creates_and_updates_the_store(database_url):
    result = runner.invoke(
        app, ["init", "--db", database_url, "--name", "Fern & Fox", "--timezone", "Europe/London"]
    )
    assert result.exit_code == 0, result.output
    assert "Fern & Fox (USD, Europe/London)" in result.output
    result = runner.invoke(app, ["init", "--db", database_url, "--currency", "gbp"])
    assert result.exit_code == 0, result.output
    assert "Fern & Fox (GBP, Europe/London)" in result.output


def test_status_json_counts_every_group_and_totals_money(database_url):
    assert runner.invoke(app, ["init", "--db", database_url]).exit_code == 0
    engine = make_engine(database_url)
    with transaction(engine) as session:
        channel = m.Channel(code="shopify", name="Shopify", kind="shopify", currency="USD")
        session.add(channel)
        session.flush()
        for number, total in (("#1001", "19.99"), ("#1002", "0.01"), ("#1003", "100.00")):
            session.add(
                m.Order(
                    channel_id=channel.id,
                    external_id=number,
                    number=number,
                    ordered_at=datetime(2026, 5, int(number[-1]), 12, tzinfo=UTC),
                    order_date=date(2026, 5, int(number[-1])),
                    currency="USD",
                    subtotal=Decimal(total),
                    total=Decimal(total),
                    financial_status="paid",
                    fulfillment_status="fulfilled",
                )
            )
    engine.dispose()
    result = runner.invoke(app, ["status", "--db", database_url, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["counts"]["orders"] == {"order": 3, "order_line": 0}
    assert report["counts"]["business"] == {"business_setting": 1, "channel": 1, "location": 0}
    assert report["order_dates"] == {"first": "2026-05-01", "last": "2026-05-03"}
    assert report["money"]["order_total"] == {"USD": "120.00"}


def test_run_raises_an_alert_once_and_resolves_it(database_url):
    assert runner.invoke(app, ["init", "--db", database_url, "--timezone", "America/New_York"]).exit_code == 0
    engine = make_engine(database_url)
    long_ago = datetime.now(UTC) - timedelta(days=5)
    with transaction(engine) as session:
        channel = m.Channel(code="etsy", name="Etsy", kind="etsy", currency="USD")
        session.add(channel)
        session.flush()
        session.add(
            m.Order(
                channel_id=channel.id,
                external_id="9",
                number="3301",
                ordered_at=long_ago,
                order_date=long_ago.date(),
                currency="USD",
                subtotal=Decimal(5),
                total=Decimal(5),
                financial_status="paid",
                fulfillment_status="unfulfilled",
            )
        )
    for _ in range(2):
        result = runner.invoke(app, ["run", "--db", database_url, "--json"])
        assert result.exit_code == 0, result.output
    steps = {step["name"]: step for step in json.loads(result.output)}
    assert steps["ops.alerts"]["summary"] == {"raised": 0, "resolved": 0, "open": 1}
    with transaction(engine) as session:
        alerts = session.scalars(select(m.Alert)).all()
        assert [(a.kind, a.severity, a.subject) for a in alerts] == [
            ("fulfilment_exception", "warning", "Order 3301 not shipped after 5 days")
        ]
        session.scalar(select(m.Order)).fulfillment_status = "fulfilled"
    result = runner.invoke(app, ["run", "--db", database_url, "--json"])
    steps = {step["name"]: step for step in json.loads(result.output)}
    assert steps["ops.alerts"]["summary"] == {"raised": 0, "resolved": 1, "open": 0}
    assert {step["skipped"] for step in steps.values()} == {None}
    # A step another run is doing at this moment is skipped, says so, and is no failure.
    with acquire(engine, "ops.alerts") as other:
        result = runner.invoke(app, ["run", "--db", database_url, "--step", "ops.alerts"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert said.startswith(f"ops.alerts: skipped: ops.alerts is already running ({other.holder}, since 20")
    engine.dispose()


def test_user_errors_are_one_line_without_traceback(tmp_path):
    bad_zone = sasame("init", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--timezone", "Mars/Base")
    assert bad_zone.returncode == 1
    assert bad_zone.stderr.strip() == (
        "error: timezone: 'Mars/Base' is not an IANA timezone such as 'America/New_York'"
    )
    missing_folder = sasame("status", "--db", f"sqlite:///{tmp_path / 'nowhere' / 'x.db'}")
    assert missing_folder.returncode == 1
    assert (
        missing_folder.stderr.strip() == f"error: database URL: folder {tmp_path / 'nowhere'} does not exist"
    )
    assert "Traceback" not in missing_folder.stderr


def test_status_on_an_uninitialised_database_says_what_to_do(tmp_path):
    result = sasame("status", "--db", f"sqlite:///{tmp_path / 'new.db'}")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: database file {tmp_path / 'new.db'} does not exist: run `sasame init --db ...` first"
    )
    assert not (tmp_path / "new.db").exists()


def test_unreachable_postgres_is_a_clear_error_without_password(tmp_path):
    result = sasame("status", "--db", "postgresql://owner:s3cret@127.0.0.1:1/shop")
    assert result.returncode == 1
    assert result.stderr.startswith("error: database URL postgresql+psycopg://owner:***@127.0.0.1:1/shop")
    assert "s3cret" not in result.stderr


def test_import_lists_the_formats_it_reads():
    from sasame.connectors import REGISTRY

    result = runner.invoke(app, ["import", "--formats", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [f["name"] for f in listed] == sorted(f.name for f in REGISTRY)
    assert {"name": "mailchimp.campaign_report", "title": "Mailchimp single-campaign report (CSV)"} in listed


def test_import_needs_files_or_a_watched_folder(tmp_path):
    result = sasame("import", "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: import: name the files to import, or a folder to watch with --watch DIR"
    )
