"""`sasame pnl`, `sasame reconcile` and `sasame export`: thin commands over the finance services."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the finance commands to the top-level `sasame` app."""
