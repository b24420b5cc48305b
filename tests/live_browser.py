"""What browser tests share: Debian's Chromium (never a downloaded browser) and the dashboard served
by uvicorn on a free 127.0.0.1 port in a thread.

Where /usr/bin/chromium is missing the tests skip, unless SASAME_REQUIRE_BROWSER=1 (CI), where that
is a failure.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import Engine

from sasame.config import Settings
from sasame.core.clock import Clock
from sasame.web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def require_chromium() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("SASAME_REQUIRE_BROWSER") == "1":
            pytest.fail(f"SASAME_REQUIRE_BROWSER=1 but {CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing")
    return CHROMIUM


@contextmanager
def serve_dashboard(engine: Engine, url: str, clock: Clock) -> Iterator[str]:
    """Serve the dashboard over `engine` and yield its base URL; stop the server and dispose after."""
    app = create_app(engine, Settings(database_url=url, secret_key="browser-test"), clock)
    # Bind first and hand uvicorn the socket, so no other process can take the port in between.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
        engine.dispose()


def watched_page(browser: Any, problems: list[str]) -> Any:
    """A new desktop-sized page whose script errors and console errors land in ``problems``."""
    page = browser.new_page(viewport={"width": 1360, "height": 1000})
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    return page
