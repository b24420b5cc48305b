"""Finance use cases: post the ledger (and, below, the reports built on it).

Services take a session and never commit; the CLI command, request or pipeline job does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sasame.finance.cogs import METHODS, Method
from sasame.finance.posting import post_everything

DEFAULT_COST_METHOD: Method = "fifo"


def post_ledger(session: Session, now: datetime, method: str = DEFAULT_COST_METHOD) -> dict[str, Any]:
    """Post every business event that is new or changed into the ledger; return a summary.

    Idempotent: a second run with nothing new writes nothing. ``method`` is the cost method of
    goods sold: ``fifo`` (cost layers) or ``average`` (moving average).
    """
    if method not in METHODS:
        from sasame.core.errors import ConfigError

        raise ConfigError(f"cost method: {method!r} is not one of {', '.join(METHODS)}")
    chosen: Method = "average" if method == "average" else "fifo"
    return post_everything(session, now, method=chosen)
