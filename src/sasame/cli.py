"""The `sasame` command: each command parses its arguments, calls a service, and renders the result."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from sasame.cli_options import DbOption, JsonOption, describe_changes, open_database
from sasame.config import Settings
from sasame.connectors.bank.cli import app as bank_app
from sasame.connectors.sync_cli import sync_app
from sasame.core.clock import system_clock
from sasame.core.errors import UserError
from sasame.db import current_revision, transaction
from sasame.demo import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD
from sasame.finance.cli import register as register_finance
from sasame.inventory.cli import app as inventory_app
from sasame.support.cli import app as support_app

app = typer.Typer(
    help="sasame: operations for small e-commerce sellers (support, inventory, finance, marketing, ops).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
user_app = typer.Typer(help="Manage who may log in to the dashboard.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(bank_app, name="bank")
app.add_typer(sync_app, name="sync")
app.add_typer(support_app, name="support")
app.add_typer(inventory_app, name="inventory")
register_finance(app)

console = Console()
errors = Console(stderr=True)


DEMO_LOGIN = (DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)


@app.command()
def init(
    db: DbOption = None,
    name: Annotated[str | None, typer.Option(help="The store's name.")] = None,
    currency: Annotated[str | None, typer.Option(help="Reporting currency, ISO 4217 (default USD).")] = None,
    timezone: Annotated[
        str | None, typer.Option(help="IANA timezone of the business day (default UTC).")
    ] = None,
) -> None:
    """Create the database, or upgrade it to the current schema; set the store's name, currency, timezone."""
    from sasame.business.service import configure_business

    _, engine = open_database(db)
    with transaction(engine) as session:
        store = configure_business(
            session, name=name, currency=currency, timezone=timezone, now=system_clock()
        )
    console.print(
        f"[green]Ready[/]: {store.name} ({store.currency}, {store.timezone}) "
        f"at schema revision {current_revision(engine)}."
    )


@app.command()
def demo(
    db: DbOption = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same store.")] = 7,
    weeks: Annotated[int, typer.Option(min=8, help="Weeks of history.")] = 104,
    orders_per_week: Annotated[int, typer.Option(min=10, help="Average orders per week.")] = 300,
    skus: Annotated[int, typer.Option(min=20, help="Active SKUs.")] = 120,
    end: Annotated[
        str | None, typer.Option(help="Day after the last day of history, YYYY-MM-DD (default: today).")
    ] = None,
    replace: Annotated[bool, typer.Option(help="Delete an existing SQLite demo file first.")] = False,
    exports: Annotated[
        Path | None,
        typer.Option(
            "--exports",
            help="Folder for the platform export files the store is loaded from "
            "(default: demo-exports/ next to the SQLite file).",
        ),
    ] = None,
    direct: Annotated[
        bool,
        typer.Option(
            "--direct",
            help="Write the generated rows straight into the database instead of importing the "
            "export files (the 100x benchmark's mode; --exports then only writes the files).",
        ),
    ] = False,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the dashboard afterwards.")] = True,
    answer_inbox: Annotated[
        bool,
        typer.Option(
            "--answer-inbox/--leave-inbox",
            help="Let the demo's pipeline run answer the open inbox (the default), or leave it as it "
            "arrived, so `sasame support eval` measures the first reading of it against its labels.",
        ),
    ] = True,
    backtest: Annotated[
        bool,
        typer.Option(
            "--backtest/--no-backtest",
            help="Let the pipeline's weekly replay of the store's history against the manual rule run "
            "(about 35 s at the default size), for the Inventory page.",
        ),
    ] = True,
) -> None:
    """Generate a realistic demo store (deterministic for a seed), load it through the import path, and
    serve the dashboard."""
    from sasame.accounts.service import create_user
    from sasame.demo.context import DemoScale
    from sasame.demo.load import default_exports_folder, default_outbox_file, load_demo_store
    from sasame.demo.service import generate_demo_store
    from sasame.jobs.pipeline import INVENTORY_BACKTEST_STEP, STEPS, SUPPORT_MAILBOX_STEP, run_pipeline

    end_day = _parse_date("--end", end) if end else None
    if replace:
        _delete_sqlite_file(Settings.from_env(db).database_url)
    settings, engine = open_database(db)
    now = system_clock()
    with Progress(
        TextColumn("{task.description:<28}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("demo store", total=1.0)

        def report(step: str, fraction: float) -> None:
            progress.update(task, description=step, completed=fraction)

        scale = DemoScale(weeks=weeks, orders_per_week=orders_per_week, skus=skus)
        if direct:
            summary = generate_demo_store(
                engine, seed=seed, scale=scale, end=end_day, now=now, progress=report
            )
        else:
            if exports is None:
                exports = default_exports_folder(settings.database_url)
            summary = load_demo_store(
                engine, exports, seed=seed, scale=scale, end=end_day, now=now, progress=report
            )
    with transaction(engine) as session:
        create_user(session, DEMO_LOGIN[0], DEMO_LOGIN[1], now)
    # The demo's customers are made up: its automatic replies go to a file, never to a mail server.
    outbox = default_outbox_file(settings.database_url)
    outbox.unlink(missing_ok=True)  # an earlier demo store's replies
    demo_mail = {
        "SASAME_SUPPORT_OUTBOX": str(outbox),
        "SASAME_SUPPORT_FROM": os.environ.get("SASAME_SUPPORT_FROM") or DEMO_LOGIN[0],
    }
    with _environment(demo_mail):
        # Run the daily pipeline once so the store opens as it would stand after this morning's run.
        # Its support step answers the inbox and acts (changes, cancellations, RMAs), while the
        # inbox's labels are the snapshot from before: --leave-inbox keeps the inbox unread so an
        # evaluation against those labels reads it as it arrived.
        # The inventory backtest step replays the store's history once a week: here, the first time.
        left_out = {SUPPORT_MAILBOX_STEP: not answer_inbox, INVENTORY_BACKTEST_STEP: not backtest}
        steps = [step.name for step in STEPS if not left_out.get(step.name)]
        with console.status("Running the daily pipeline once"):
            results = run_pipeline(engine, now, only=steps)
        failed = [result.name for result in results if not result.succeeded]
        if failed:
            raise UserError(f"demo store generated, but pipeline steps failed: {', '.join(failed)}")
        for result in results:
            if result.name == INVENTORY_BACKTEST_STEP:
                console.print(_backtest_line(result.summary), soft_wrap=True)
        console.print(f"[green]Demo store ready[/]: {_summary_line(summary)}")
        if direct and exports is not None:
            from sasame.demo.exports import export_demo_files

            paths = export_demo_files(engine, exports)
            console.print(f"Wrote {len(paths)} export files to {exports}", soft_wrap=True)
        elif not direct:
            console.print(
                f"Loaded through the import path from {summary['export_files']} export files in {exports}",
                soft_wrap=True,
            )
        if answer_inbox:
            console.print(f"Automatic replies are written to {outbox}, not sent", soft_wrap=True)
        else:
            console.print("The open inbox is left unanswered (--leave-inbox)", soft_wrap=True)
        if serve:
            _serve(settings, engine, demo_login=True)
        else:
            console.print(
                f"Serve it with: SASAME_SUPPORT_OUTBOX={outbox} sasame serve --db {settings.database_url}",
                soft_wrap=True,
            )
            console.print(f"Log in as {DEMO_LOGIN[0]} with password {DEMO_LOGIN[1]}")


def _backtest_line(summary: dict[str, Any]) -> str:
    """The pipeline's replay of the store's history (`inventory.backtest`) in a line."""
    if "skipped" in summary:
        return f"Backtest not run: {summary['skipped']}"
    out, stock = summary["stockout_periods"], summary["average_inventory_value"]
    return (
        f"Backtest of its last {summary['periods']} days with its suppliers' lead times: sasame ran out on "
        f"{out['sasame']:,} SKU-days holding {stock['sasame']:,.0f} of stock at cost, the manual rule on "
        f"{out['manual']:,} holding {stock['manual']:,.0f}"
    )


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """These environment variables for the length of the block (the pipeline's steps and the
    dashboard read their settings from the environment), then as they were."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
) -> None:
    """Serve the dashboard and run the daily pipeline on schedule."""
    settings, engine = open_database(db)
    if host or port:
        settings = Settings(
            settings.database_url, host or settings.host, port or settings.port, settings.secret_key
        )
    _serve(settings, engine)


@app.command()
def status(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Show what the database holds: counts per entity group, order dates, money totals per currency."""
    from sasame.overview.status import store_status

    _, engine = open_database(db, migrate=False)
    with transaction(engine) as session:
        report = store_status(session).as_json()
    if as_json:
        print(json.dumps(report, indent=2))
        return
    table = Table("group", "table", "rows")
    for group, tables in report["counts"].items():
        for name, rows in tables.items():
            table.add_row(group, name, f"{rows:,}")
    console.print(table)
    dates = report["order_dates"]
    console.print(f"Orders from {dates['first'] or '-'} to {dates['last'] or '-'}")
    for label, totals in report["money"].items():
        shown = ", ".join(f"{amount} {currency}" for currency, amount in totals.items()) or "-"
        console.print(f"{label}: {shown}")


@app.command()
def run(
    db: DbOption = None,
    step: Annotated[list[str] | None, typer.Option(help="Run only this step (repeatable).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Run the daily pipeline once now: every engine's step, each in its own transaction."""
    from sasame.jobs.pipeline import STEPS, run_pipeline

    unknown = set(step or ()) - {s.name for s in STEPS}
    if unknown:
        known = ", ".join(s.name for s in STEPS)
        raise UserError(f"--step: unknown step {sorted(unknown)[0]!r}; the steps are {known}")
    _, engine = open_database(db)
    results = run_pipeline(engine, system_clock(), only=step)
    if as_json:
        print(json.dumps([r.__dict__ for r in results], indent=2, default=str))
    else:
        for result in results:
            if result.skipped:
                console.print(f"{result.name}: [yellow]skipped[/]: {result.skipped}")
                continue
            state = "[green]ok[/]" if result.succeeded else "[red]failed[/]"
            console.print(f"{result.name}: {state} in {result.seconds:.2f}s {result.error or result.summary}")
    if not all(result.succeeded for result in results):
        raise typer.Exit(1)


@app.command("import")
def import_files(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Export files to import (CSV, JSON, OFX, ...).")
    ] = None,
    db: DbOption = None,
    format_name: Annotated[
        str | None, typer.Option("--format", help="Skip detection and read every file as this format.")
    ] = None,
    watch: Annotated[
        Path | None,
        typer.Option("--watch", help="Keep importing each file dropped into this folder, once each."),
    ] = None,
    as_json: JsonOption = False,
    list_formats: Annotated[
        bool, typer.Option("--formats", help="List the formats sasame reads (names for --format) and stop.")
    ] = False,
) -> None:
    """Import platform exports; the format is detected from the content.

    One transaction per file: a file with an error imports nothing.
    """
    from sasame.ingest.service import formats_by_name, import_file

    if list_formats:
        known = sorted(formats_by_name().values(), key=lambda file_format: file_format.name)
        if as_json:
            print(json.dumps([{"name": f.name, "title": f.title} for f in known], indent=2))
            return
        table = Table("format (--format)", "the export")
        for file_format in known:
            table.add_row(file_format.name, file_format.title)
        console.print(table)
        return
    if not paths and watch is None:
        raise UserError("import: name the files to import, or a folder to watch with --watch DIR")
    _, engine = open_database(db)
    if watch is not None:
        _watch(engine, watch)
        return
    summaries = []
    for path in paths or ():
        with transaction(engine) as session:
            summaries.append(import_file(session, path, now=system_clock(), format_name=format_name))
    if as_json:
        print(json.dumps([summary.as_json() for summary in summaries], indent=2))
        return
    for summary in summaries:
        changes = describe_changes(summary.records)
        console.print(f"[green]{summary.file}[/] ({summary.format}, {summary.rows_read:,} rows): {changes}")
        for warning in summary.warnings:
            console.print(f"  [yellow]warning:[/] {warning}", highlight=False)


def _watch(engine: Engine, folder: Path) -> None:
    import threading

    from sasame.ingest.watch import WatchResult, watch_folder

    if not folder.is_dir():
        raise UserError(f"--watch: {folder} is not a folder")

    def report(result: WatchResult) -> None:
        colour = {"imported": "green", "failed": "red"}.get(result.outcome, "dim")
        console.print(f"[{colour}]{result.outcome}[/]: {result.file} {result.error or ''}", highlight=False)

    console.print(f"Watching {folder} (Ctrl+C stops); imported files move to imported/, bad ones to failed/")
    stop = threading.Event()
    try:
        watch_folder(engine, folder, now_fn=system_clock, stop_event=stop, on_result=report)
    except KeyboardInterrupt:
        stop.set()


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Argument(help="The login email.")],
    db: DbOption = None,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input.")] = False,
) -> None:
    """Create a dashboard login (the password is stored only as an Argon2id hash)."""
    from sasame.accounts.service import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    _, engine = open_database(db)
    with transaction(engine) as session:
        create_user(session, email, password, system_clock())
    console.print(f"[green]Created[/] login {email.lower()}")


def _serve(settings: Settings, engine: Engine, *, demo_login: bool = False) -> None:
    from sasame.jobs.scheduler import DailyScheduler
    from sasame.web.server import serve as serve_dashboard

    scheduler = DailyScheduler(engine, system_clock)
    scheduler.start()
    console.print(f"Dashboard: [bold]http://{settings.host}:{settings.port}[/] (Ctrl+C to stop)")
    if demo_login:
        console.print(f"Log in as [bold]{DEMO_LOGIN[0]}[/] with password [bold]{DEMO_LOGIN[1]}[/]")
    try:
        serve_dashboard(engine, settings)
    finally:
        scheduler.stop()


def _parse_date(option: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise UserError(f"{option}: {value!r} is not a date like 2026-03-31") from error


def _delete_sqlite_file(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        raise UserError("--replace: only a SQLite file can be replaced; use an empty PostgreSQL database")
    for suffix in ("", "-wal", "-shm"):
        Path(parsed.database + suffix).unlink(missing_ok=True)


def _summary_line(summary: dict[str, Any]) -> str:
    return ", ".join(
        f"{key} {value:,}" if isinstance(value, int) else f"{key} {value}" for key, value in summary.items()
    )


def main() -> None:
    """Entry point: user errors print one line and exit 1; anything else is a bug with a traceback."""
    try:
        app()
    except UserError as error:
        errors.print(f"[red]error:[/] {error}", highlight=False, soft_wrap=True)
        sys.exit(1)
