"""Run the dashboard with uvicorn on the configured host and port."""

from __future__ import annotations

import uvicorn
from sqlalchemy import Engine

from sasame.config import Settings
from sasame.core.clock import Clock, system_clock
from sasame.web.app import create_app


def serve(engine: Engine, settings: Settings, clock: Clock = system_clock) -> None:
    """Serve the dashboard until interrupted (blocks; the caller runs any scheduler beside it)."""
    app = create_app(engine, settings, clock)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", proxy_headers=True)
