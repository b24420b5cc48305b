"""The dashboard application: pages, the JSON API, static files and the security around them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sasame.config import Settings
from sasame.core.clock import Clock, system_clock, zone
from sasame.db import session_factory
from sasame.web import api, finance_pages, inventory_pages, pages, presenters, support_pages, webhooks
from sasame.web.background import BackgroundWork
from sasame.web.deps import LoginRequired
from sasame.web.security import CSRFMiddleware, LoginThrottle, resolve_secret_key

HERE = Path(__file__).parent
SESSION_COOKIE = "sasame_session"
SESSION_MAX_AGE = 14 * 24 * 3600
"""Two weeks: the owner stays logged in on their own machine without logging in daily."""

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # htmx and Chart.js set inline styles from script; nothing else may inject styles.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def create_app(engine: Engine, settings: Settings, clock: Clock = system_clock) -> FastAPI:
    """Build the dashboard over a migrated database; the clock is read once per request."""
    app = FastAPI(
        title="sasame",
        summary="The operations of a small e-commerce business, as JSON. Log in at /login first.",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served behind login by the API router instead
    )
    app.state.sessions = session_factory(engine)
    app.state.background = BackgroundWork(engine)
    app.state.clock = clock
    app.state.throttle = LoginThrottle(clock)
    app.state.templates = _templates()

    # Added innermost first: headers wrap everything, sessions wrap the CSRF check that reads them.
    app.add_middleware(CSRFMiddleware)
    app.add_middleware(
        SessionMiddleware,
        secret_key=resolve_secret_key(settings),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=False,  # the embedded default is plain http on 127.0.0.1
    )
    app.add_middleware(SecurityHeadersMiddleware)

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api.public)
    app.include_router(api.api)
    app.include_router(pages.public)
    app.include_router(pages.pages)
    app.include_router(finance_pages.pages)
    app.include_router(finance_pages.api)
    app.include_router(support_pages.router)
    app.include_router(support_pages.api)
    app.include_router(support_pages.webhook)
    app.include_router(inventory_pages.pages)
    app.include_router(inventory_pages.api)
    app.include_router(webhooks.router)

    @app.exception_handler(LoginRequired)
    async def redirect_to_login(request: Request, error: LoginRequired) -> Response:
        target = "/login" if error.next_path == "/" else f"/login?next={_quote(error.next_path)}"
        return RedirectResponse(target, status_code=303)

    return app


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    env = templates.env
    env.filters["money"] = presenters.format_money
    env.filters["change"] = lambda current, previous: presenters.format_change(
        presenters.change_ratio(current, previous)
    )
    env.filters["count"] = presenters.format_count
    env.filters["local_time"] = _local_time
    env.filters["day"] = _day
    env.filters["ratio"] = _ratio
    env.filters["money_label"] = presenters.money_label
    env.globals["change_class"] = _change_class
    env.globals["window_text"] = _window_text
    return templates


def _local_time(instant: datetime, timezone: str) -> str:
    """Show an instant as store-local wall time, since that is the day the owner thinks in."""
    return instant.astimezone(zone(timezone)).strftime("%Y-%m-%d %H:%M")


def _day(value: date | str) -> str:
    """'Nov 9, 2026', from a date or the ISO text a stored plan's lists keep."""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return f"{value:%b} {value.day}, {value.year}"


def _ratio(value: Decimal | None) -> str:
    """Show a ratio such as a return on ad spend as '3.25×', computed in Decimal like money."""
    return "—" if value is None else f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}×"


def _window_text(window: tuple[date, date]) -> str:
    """Show a half-open [first, last_exclusive) window of days as its first and last day."""
    first, last = window[0], window[1] - timedelta(days=1)
    if first.year == last.year:
        return f"{first:%b} {first.day} – {last:%b} {last.day}, {last.year}"
    return f"{_day(first)} – {_day(last)}"


def _change_class(current: object, previous: object) -> str:
    ratio = presenters.change_ratio(current, previous)  # type: ignore[arg-type]
    if ratio is None or ratio == 0:
        return "flat"
    return "up" if ratio > 0 else "down"


class SecurityHeadersMiddleware:
    """Add the headers that keep pages from being framed, sniffed or fed foreign scripts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
                if not is_static:
                    # Pages and API answers hold the business's figures: keep them out of caches.
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
