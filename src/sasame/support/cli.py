"""`sasame support ...`: thin commands over the support services."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from sasame.cli_options import DbOption, JsonOption, open_database
from sasame.core.clock import system_clock
from sasame.core.errors import UserError
from sasame.db import transaction

app = typer.Typer(help="Answer routine customer messages and escalate the rest.", no_args_is_help=True)
policy_app = typer.Typer(help="Show or change what the autopilot may do on its own.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
console = Console()

NowOption = Annotated[
    str | None,
    typer.Option("--now", help="Answer as of this instant (ISO 8601, UTC if no offset); default: now."),
]
OWNER = "owner (cli)"


def _now(value: str | None) -> datetime:
    if value is None:
        return system_clock()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise UserError(f"--now: {value!r} is not an ISO 8601 instant") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


@app.command("triage")
def triage_command(
    input_file: Annotated[Path, typer.Option("--in", help="JSON lines: {id, from, subject, body}.")],
    db: DbOption = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Store the messages and carry out the decisions.")
    ] = False,
    now: NowOption = None,
) -> None:
    """Decide auto/draft/escalate for each message and print one JSON line per message."""
    from sasame.support.intake.mail import Mail
    from sasame.support.labelled import messages_of, read_jsonl
    from sasame.support.policy import load_policy
    from sasame.support.service import apply_triage, receive
    from sasame.support.triage import TriageContext, triage

    lines = read_jsonl(input_file, labelled=False)
    instant = _now(now)
    _, engine = open_database(db, migrate=apply)
    with transaction(engine) as session:
        ctx = TriageContext.load(session, load_policy(session), instant)
        for message in messages_of(lines):
            result = triage(ctx, message)
            out = result.to_json()
            if apply:
                mail = Mail(
                    message_id=message.message_id or f"<{message.id}@triage.sasame.local>",
                    in_reply_to=message.in_reply_to,
                    references=(),
                    sender=message.sender,
                    to="",
                    subject=message.subject,
                    body=message.body,
                    sent_at=instant,
                )
                received = receive(session, mail, now=instant)
                # A line applied before is not applied again (its actions were already taken).
                out["applied_decision"] = (
                    apply_triage(
                        session, received.ticket, received.message, result, policy=ctx.policy, now=instant
                    )
                    if received.is_new
                    else "already applied"
                )
            print(json.dumps(out, ensure_ascii=False))
        if not apply:
            session.rollback()


@app.command("run")
def run_command(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Process the mailbox once: fetch new mail over IMAP, triage every undecided ticket, send replies."""
    from sasame.support.mailbox import process_mailbox

    _, engine = open_database(db)
    summary = process_mailbox(engine, system_clock())
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    console.print(", ".join(f"{key} {value}" for key, value in summary.items()))


@app.command("import")
def import_command(
    files: Annotated[list[Path], typer.Argument(help=".eml or .mbox files.")],
    db: DbOption = None,
) -> None:
    """Store customer mail from .eml/.mbox files in their threads (triage it with `support run`)."""
    from sasame.support.intake.mailfiles import read_mail_file
    from sasame.support.service import receive_all

    mails = [mail for path in files for mail in read_mail_file(path)]
    _, engine = open_database(db)
    with transaction(engine) as session:
        new, known = receive_all(session, mails, now=system_clock())
    console.print(f"messages: {new} new, {known} already known")


@app.command("export-labelled")
def export_labelled(
    out: Annotated[Path, typer.Option("--out", help="Where to write the JSON lines.")],
    db: DbOption = None,
) -> None:
    """Write the demo inbox with its ground-truth labels as LABELLED.jsonl (for `support eval`)."""
    from sasame.support.labelled import demo_labelled

    _, engine = open_database(db, migrate=False)
    with transaction(engine) as session:
        lines = demo_labelled(session)
    if not lines:
        raise UserError(
            "the database holds no labelled messages (ground truth kind email_label): run `sasame demo`"
        )
    with out.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    typer.echo(f"{len(lines)} labelled messages written to {out}")  # a path Rich would wrap


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


@app.command("eval")
def eval_command(
    input_file: Annotated[Path, typer.Option("--in", help="LABELLED.jsonl (see `support export-labelled`).")],
    db: DbOption = None,
    now: NowOption = None,
    as_json: JsonOption = False,
    show_errors: Annotated[bool, typer.Option("--show-errors", help="List wrong automatic answers.")] = False,
    adapt: Annotated[
        bool,
        typer.Option("--adapt/--no-adapt", help="Adapt the understanding to the store's handled tickets."),
    ] = True,
) -> None:
    """Score the autopilot on labelled messages: automation, precision of automatic answers, escalations,
    intent accuracy, precision at each coverage level and the confusion matrix. Writes nothing."""
    from sasame.support.labelled import already_handled, evaluate, read_jsonl
    from sasame.support.metrics import understanding_report
    from sasame.support.policy import load_policy
    from sasame.support.triage import TriageContext

    lines = read_jsonl(input_file, labelled=True)
    _, engine = open_database(db, migrate=False)
    with transaction(engine) as session:
        handled = already_handled(session, lines)
        ctx = TriageContext.load(session, load_policy(session), _now(now), adapt=adapt)
        report, _ = evaluate(ctx, lines)
        session.rollback()
    understanding = understanding_report(report.predictions)
    if as_json:
        figures = report.to_json() | {"already_handled": handled, "understanding": understanding}
        print(json.dumps(figures, indent=2, default=str))
        return
    _render_eval(report, understanding, show_errors)
    if handled:
        console.print(
            f"note: the autopilot had already decided {handled} of these {report.messages} messages in "
            "this database, so they were re-read after its answers changed the store (orders "
            "cancelled, RMAs opened); for the inbox as it arrived, build the demo with "
            "`sasame demo --leave-inbox`",
            soft_wrap=True,
        )


def _render_eval(report: Any, understanding: dict[str, Any], show_errors: bool) -> None:
    auto = report.decisions["auto"]
    console.print(f"messages: {report.messages}")
    console.print(
        f"decisions: auto {auto} ({_pct(report.automation_rate)}), draft {report.decisions['draft']}, "
        f"escalate {report.decisions['escalate']}"
    )
    console.print(f"automatic answers correct: {report.auto_correct}/{auto} ({_pct(report.auto_precision)})")
    console.print(
        f"must-escalate (wrong item, damaged, complaint) escalated: "
        f"{report.must_escalate_escalated}/{report.must_escalate}"
    )
    console.print(
        f"intent accuracy: {_pct(report.intent_accuracy)}; "
        f"calibration error (ECE) {understanding['ece']:.3f}; "
        f"out-of-scope recall {_pct(understanding['out_of_scope_recall'])} "
        f"of {understanding['out_of_scope_total']}"
    )
    if understanding.get("order_ref_accuracy") is not None:
        console.print(f"order numbers read right (when written): {_pct(understanding['order_ref_accuracy'])}")
    table = Table("intent", "messages", "auto", "auto correct", "draft", "escalate")
    for intent, counts in sorted(report.per_intent.items()):
        total = counts["auto"] + counts["draft"] + counts["escalate"]
        table.add_row(
            intent,
            str(total),
            str(counts["auto"]),
            str(counts["auto_correct"]),
            str(counts["draft"]),
            str(counts["escalate"]),
        )
    console.print(table)
    curve = Table("coverage", "answered", "confidence >=", "precision")
    for point in understanding["precision_at_coverage"]:
        curve.add_row(
            _pct(point["coverage"]),
            str(point["answered"]),
            f"{point['threshold']:.2f}",
            _pct(point["precision"]),
        )
    console.print(curve)
    labels = understanding["labels"]
    matrix = Table("true \\ predicted", *[label[:8] for label in labels])
    for truth, row in zip(labels, understanding["confusion"], strict=True):
        matrix.add_row(truth, *[str(v) if v else "." for v in row])
    console.print(matrix)
    if show_errors:
        for wrong in report.wrong_auto:
            console.print(f"wrong auto: {wrong['id']} ({wrong['intent']}): {'; '.join(wrong['problems'])}")
        for missed in report.missed_escalations:
            console.print(f"not escalated: {missed}")


@app.command("receive-return")
def receive_return_command(
    rma: Annotated[str, typer.Argument(help="The return's RMA number.")],
    condition: Annotated[str, typer.Option(help="restockable, damaged or lost.")] = "restockable",
    db: DbOption = None,
) -> None:
    """A returned parcel arrived: restock it at the cost it left with and refund the customer."""
    from sasame.support.service import receive_return_parcel

    _, engine = open_database(db)
    with transaction(engine) as session:
        outcome = receive_return_parcel(session, rma, now=system_clock(), condition=condition, by=OWNER)
    console.print(
        f"{rma}: refunded {outcome['refund']} {outcome['currency']}, restocked {outcome['restocked']}"
    )


@policy_app.command("show")
def policy_show(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Print every setting of the support policy."""
    from sasame.support.policy import load_policy, policy_json, policy_rows

    _, engine = open_database(db)
    with transaction(engine) as session:
        policy = load_policy(session)
    if as_json:
        print(json.dumps(policy_json(policy), indent=2))
        return
    table = Table("setting", "value")
    for key, value in policy_rows(policy):
        table.add_row(key, value)
    console.print(table)


@policy_app.command("set")
def policy_set(
    key: Annotated[str, typer.Argument(help="A setting, e.g. return_window_days or mode.order_status.")],
    value: Annotated[str, typer.Argument(help="Its new value (lists: comma-separated).")],
    db: DbOption = None,
) -> None:
    """Change one setting of the support policy."""
    from sasame.support.policy import policy_rows, set_policy

    _, engine = open_database(db)
    with transaction(engine) as session:
        policy = set_policy(session, key, value, now=system_clock(), by=OWNER)
    shown = dict(policy_rows(policy))[key.strip()]
    console.print(f"{key.strip()} = {shown}")
