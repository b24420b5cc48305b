"""The JSON API under /api: the same queries as the pages, money as decimal strings with currency."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from sasame.business.service import store_settings
from sasame.core.errors import UserError
from sasame.ingest import queries as ingest_queries
from sasame.overview import queries
from sasame.web import presenters, schemas, uploads
from sasame.web.deps import api_user, db_session, now

public = APIRouter(prefix="/api", tags=["health"])
api = APIRouter(prefix="/api", dependencies=[Depends(api_user)])

SessionDep = Annotated[Session, Depends(db_session)]
NowDep = Annotated[datetime, Depends(now)]


@public.get("/health", response_model=schemas.Health)
def health() -> dict[str, str]:
    """Say the server is up (no login needed, no data revealed)."""
    return {"status": "ok"}


@api.get("/openapi.json", include_in_schema=False)
def openapi_document(request: Request) -> dict[str, Any]:
    """Return this API's OpenAPI document (behind login like the rest of /api)."""
    return request.app.openapi()


@api.get("/store", tags=["store"], response_model=schemas.Store)
def store(session: SessionDep) -> dict[str, str]:
    """Return the store's name, currency and IANA timezone."""
    profile = store_settings(session)
    return {"name": profile.name, "currency": profile.currency, "timezone": profile.timezone}


@api.get("/overview/headline", tags=["overview"], response_model=schemas.Headline)
def overview_headline(
    session: SessionDep, instant: NowDep, days: Annotated[int, Query(ge=1, le=366)] = 30
) -> dict[str, Any]:
    """Return orders, revenue and average order value for the last `days` business days vs the
    `days` before, in total and by channel."""
    profile = store_settings(session)
    today = queries.store_today(profile, instant)
    return presenters.headline_json(queries.headline(session, today, profile.currency, days))


@api.get("/overview/sales", tags=["overview"], response_model=schemas.Sales)
def overview_sales(
    session: SessionDep, instant: NowDep, grain: Literal["day", "week", "month"] = "week"
) -> dict[str, Any]:
    """Return orders and store-currency revenue per channel for every day, week (from Monday) or
    month of the whole history, by the orders' business day."""
    profile = store_settings(session)
    today = queries.store_today(profile, instant)
    return presenters.sales_json(queries.sales_series(session, grain, profile.currency, today))


@api.get("/support", tags=["support"], response_model=schemas.Support)
def support(session: SessionDep) -> dict[str, Any]:
    """Return open tickets by status and the latest messages."""
    return presenters.support_json(queries.support_overview(session))


@api.get("/inventory", tags=["inventory"], response_model=schemas.Inventory)
def inventory(session: SessionDep) -> dict[str, Any]:
    """Return stock on hand per SKU and location with the units on open purchase orders."""
    return presenters.inventory_json(queries.inventory_overview(session))


@api.get("/finance", tags=["finance"], response_model=schemas.Finance)
def finance(session: SessionDep) -> dict[str, Any]:
    """Return the latest payouts with their line totals by kind."""
    return presenters.finance_json(queries.finance_overview(session))


@api.get("/marketing", tags=["marketing"], response_model=schemas.Marketing)
def marketing(session: SessionDep, instant: NowDep) -> dict[str, Any]:
    """Return the last 30 days' ad spend and platform-reported conversion value by platform, and
    email revenue by flow or campaign."""
    profile = store_settings(session)
    today = queries.store_today(profile, instant)
    return presenters.marketing_json(queries.marketing_overview(session, today))


@api.get("/operations", tags=["operations"], response_model=schemas.Operations)
def operations(session: SessionDep, instant: NowDep) -> dict[str, Any]:
    """Return orders unfulfilled for more than 3 days and the open alerts."""
    return presenters.operations_json(queries.operations_overview(session, instant))


UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [uploads.FILES_FIELD],
                    "properties": {
                        uploads.FILES_FIELD: {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": f"Up to {uploads.MAX_FILES} export files, "
                            f"{uploads.MAX_FILE_BYTES // uploads.MIB} MiB each",
                        },
                        uploads.FORMAT_FIELD: {
                            "type": "string",
                            "enum": [f.name for f in ingest_queries.supported_formats()],
                            "description": "Read every file as this format instead of detecting it",
                        },
                    },
                }
            }
        },
    }
}


@api.get("/imports", tags=["imports"], response_model=schemas.ImportedFiles)
def imported_files(
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Return the imported files, newest first, with how many raw rows point to each."""
    return presenters.imported_files_json(ingest_queries.imported_files(session, page, per_page))


@api.post("/imports", tags=["imports"], response_model=schemas.ImportResults, openapi_extra=UPLOAD_BODY)
async def upload_imports(request: Request, instant: NowDep) -> dict[str, Any]:
    """Import the uploaded export files like `sasame import`: each in its own transaction, so a
    file with an error writes nothing and does not stop the others. Send the session's CSRF token
    in the `X-CSRF-Token` header."""
    try:
        upload, files = await uploads.read_upload_form(request)
    except UserError as error:
        raise HTTPException(status_code=400, detail=str(error)) from error
    try:
        sessions = request.app.state.sessions
        results = await run_in_threadpool(uploads.import_uploads, sessions, upload, now=instant)
    finally:
        for file in files:
            await file.close()
    titles = ingest_queries.format_titles()
    return {
        "results": [
            presenters.import_result_json(r.file, r.summary.as_json() if r.summary else None, r.error, titles)
            for r in results
        ]
    }
