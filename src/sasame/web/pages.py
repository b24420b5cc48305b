"""Server-rendered pages: parse the request, call a query, render a template. Nothing else."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import exists, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from sasame.accounts import authenticate
from sasame.business.service import store_settings
from sasame.core.errors import UserError
from sasame.ingest import queries as ingest_queries
from sasame.models import User
from sasame.overview import queries
from sasame.web import presenters, uploads
from sasame.web.deps import db_session, now, page_user
from sasame.web.security import SESSION_USER, csrf_token

HEADLINE_DAYS = (7, 30, 90)

public = APIRouter(include_in_schema=False)
pages = APIRouter(include_in_schema=False, dependencies=[Depends(page_user)])

SessionDep = Annotated[Session, Depends(db_session)]
NowDep = Annotated[datetime, Depends(now)]
UserDep = Annotated[User, Depends(page_user)]


def back_with_message(path: str, message: str, anchor: str = "") -> RedirectResponse:
    """After a form's POST: back to the page, which shows `message` (its `message` parameter)."""
    return RedirectResponse(
        f"{path}?message={quote(message)}" + (f"#{anchor}" if anchor else ""), status_code=303
    )


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render a template with what every page needs: the CSRF token and the current path."""
    base = {"csrf_token": csrf_token(request.session), "path": request.url.path}
    return request.app.state.templates.TemplateResponse(
        request, template, {**base, **context}, status_code=status_code
    )


def safe_next(value: str | None) -> str:
    """Return a same-site path to go to after login; anything else (another host) becomes '/'."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


# --- login -------------------------------------------------------------------------------------


@public.get("/login")
def login_form(request: Request, session: SessionDep, next: str = "/") -> Response:
    if request.session.get(SESSION_USER) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", _login_context(session, next))


def _login_context(session: Session, next_path: str, **extra: Any) -> dict[str, Any]:
    has_users = bool(session.scalar(select(exists().select_from(User))))
    return {"next": safe_next(next_path), "has_users": has_users, "email": "", "error": None, **extra}


@public.post("/login")
def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    throttle = request.app.state.throttle
    address = request.client.host if request.client else "unknown"
    wait = throttle.retry_after(email, address)
    if wait is not None:
        minutes = max(1, int(wait / timedelta(minutes=1)) + 1)
        error = f"Too many failed attempts. Try again in {minutes} minute{'s' if minutes > 1 else ''}."
        response = render(request, "login.html", _login_context(session, next, email=email, error=error), 429)
        response.headers["Retry-After"] = str(int(wait.total_seconds()) + 1)
        return response
    user = authenticate(session, email, password)
    if user is None:
        throttle.failed(email, address)
        error = "That email and password do not match an account."
        return render(request, "login.html", _login_context(session, next, email=email, error=error), 400)
    throttle.succeeded(email)
    # A fresh session (and CSRF token) at login, so nothing planted before it survives.
    request.session.clear()
    request.session[SESSION_USER] = user.id
    csrf_token(request.session)
    return RedirectResponse(safe_next(next), status_code=303)


@pages.post("/logout")
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


# --- overview ----------------------------------------------------------------------------------


def _headline_days(days: int) -> int:
    return days if days in HEADLINE_DAYS else 30


@pages.get("/")
def overview(
    request: Request,
    session: SessionDep,
    user: UserDep,
    instant: NowDep,
    days: Annotated[int, Query()] = 30,
) -> Response:
    profile = store_settings(session)
    today = queries.store_today(profile, instant)
    headline = queries.headline(session, today, profile.currency, _headline_days(days))
    series = queries.sales_series(session, "week", profile.currency, today)
    return render(
        request,
        "overview.html",
        {
            "user": user,
            "store": profile,
            "headline": headline,
            "headline_days": HEADLINE_DAYS,
            "sales": presenters.sales_json(series),
            "active": "overview",
        },
    )


@pages.get("/overview/headline")
def overview_headline(
    request: Request, session: SessionDep, instant: NowDep, days: Annotated[int, Query()] = 30
) -> Response:
    """Return only the headline block, for htmx to swap in when the period changes."""
    profile = store_settings(session)
    today = queries.store_today(profile, instant)
    headline = queries.headline(session, today, profile.currency, _headline_days(days))
    return render(
        request, "_headline.html", {"store": profile, "headline": headline, "headline_days": HEADLINE_DAYS}
    )


# --- areas -------------------------------------------------------------------------------------


@pages.get("/marketing")
def marketing(request: Request, session: SessionDep, user: UserDep, instant: NowDep) -> Response:
    profile = store_settings(session)
    data = queries.marketing_overview(session, queries.store_today(profile, instant))
    return render(
        request, "marketing.html", {"user": user, "store": profile, "data": data, "active": "marketing"}
    )


@pages.get("/operations")
def operations(request: Request, session: SessionDep, user: UserDep, instant: NowDep) -> Response:
    profile = store_settings(session)
    data = queries.operations_overview(session, instant)
    return render(
        request, "operations.html", {"user": user, "store": profile, "data": data, "active": "operations"}
    )


# --- imports -----------------------------------------------------------------------------------

IMPORTED_FILES_PER_PAGE = 25


def _imports_context(sessions: sessionmaker[Session], user: User, page: int, **extra: Any) -> dict[str, Any]:
    with sessions() as session:
        profile = store_settings(session)
        files = ingest_queries.imported_files(session, page, IMPORTED_FILES_PER_PAGE)
        rejected = ingest_queries.rejected_webhooks(session)
    return {
        "user": user,
        "store": profile,
        "files": files,
        "rejected": rejected,
        "formats": ingest_queries.supported_formats(),
        "format_titles": ingest_queries.format_titles(),
        "max_file_mib": uploads.MAX_FILE_BYTES // uploads.MIB,
        "max_files": uploads.MAX_FILES,
        "results": None,
        "form_error": None,
        "chosen_format": "",
        "active": "imports",
        **extra,
    }


@pages.get("/imports")
def imports(request: Request, user: UserDep, page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    return render(request, "imports.html", _imports_context(request.app.state.sessions, user, page))


@pages.post("/imports")
async def upload_imports(request: Request, user: UserDep, instant: NowDep) -> Response:
    """Import the uploaded files, each in its own transaction, and show what happened to each."""
    sessions = request.app.state.sessions
    try:
        upload, files = await uploads.read_upload_form(request)
    except UserError as error:
        context = await run_in_threadpool(_imports_context, sessions, user, 1, form_error=str(error))
        return render(request, "imports.html", context, status_code=400)
    try:
        results = await run_in_threadpool(uploads.import_uploads, sessions, upload, now=instant)
    finally:
        for file in files:
            await file.close()
    context = await run_in_threadpool(
        _imports_context, sessions, user, 1, results=results, chosen_format=upload.format_name or ""
    )
    return render(request, "imports.html", context)
