"""`sasame inventory ...`: thin commands over the inventory services."""

from __future__ import annotations

import typer

app = typer.Typer(help="Forecast demand, plan what to order, and backtest the policy.", no_args_is_help=True)
