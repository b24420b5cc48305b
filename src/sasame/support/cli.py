"""`sasame support ...`: thin commands over the support services."""

from __future__ import annotations

import typer

app = typer.Typer(help="Answer routine customer messages and escalate the rest.", no_args_is_help=True)
