"""The Finance pages and their JSON under /api/finance: the daily P&L, margin by channel, product
and SKU (worst first), reconciliation exceptions, and drill-down from any figure to its postings
and source rows. Routes parse the request, call the finance services, and render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.business.service import store_settings
from sasame.core.clock import business_day
from sasame.core.errors import UserError
from sasame.core.money import round_money
from sasame.finance.pnl import LABELS, PnlReport, PnlRow, compute_pnl
from sasame.finance.queries import DrillFilter, drill_down, entry_detail
from sasame.overview import queries as overview_queries
from sasame.web.deps import api_user, db_session, now, page_user
from sasame.web.pages import render

pages = APIRouter(include_in_schema=False, dependencies=[Depends(page_user)])
api = APIRouter(prefix="/api/finance", tags=["finance"], dependencies=[Depends(api_user)])

SessionDep = Annotated[Session, Depends(db_session)]
NowDep = Annotated[datetime, Depends(now)]
DEFAULT_DAYS = 30
MARGIN_SORTS = ("margin", "contribution", "revenue", "name")
TABLE_FIGURES = (
    "net_revenue",
    "cogs",
    "gross_margin",
    "contribution_after_fulfilment",
    "advertising",
    "contribution_after_marketing",
    "net_operating_income",
)


@dataclass(frozen=True)
class Range:
    first: date
    last: date

    @property
    def last_exclusive(self) -> date:
        return self.last + timedelta(days=1)


def _parse_day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise HTTPException(
            status_code=400, detail=f"{name}: {value!r} is not a date like 2026-03-31"
        ) from error


def _range(session: Session, first: str | None, last: str | None, today: date) -> Range:
    """The requested days, or the last 30 days that have postings (up to today without a ledger)."""
    start, end = _parse_day(first, "from"), _parse_day(last, "to")
    if end is None:
        end = session.scalar(select(func.max(m.PnlDay.business_day))) or session.scalar(
            select(func.max(m.Posting.business_day))
        )
        end = end or today
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise HTTPException(status_code=400, detail=f"to {end} is before from {start}")
    return Range(start, end)


def _today(session: Session, instant: datetime) -> date:
    return business_day(instant, store_settings(session).timezone)


def _report(session: Session, span: Range, by: str) -> PnlReport:
    try:
        return compute_pnl(session, span.first, span.last_exclusive, by)
    except UserError as error:
        raise HTTPException(status_code=400, detail=str(error)) from error


def _sorted(rows: list[PnlRow], sort: str) -> list[PnlRow]:
    """Worst first: lowest margin (no revenue last), lowest contribution, or lowest revenue; what has
    no channel or product ("not assigned") always comes last, since it is not a thing to fix."""
    assigned = [row for row in rows if row.key != ""]
    return _sorted_assigned(assigned, sort) + [row for row in rows if row.key == ""]


def _sorted_assigned(rows: list[PnlRow], sort: str) -> list[PnlRow]:
    if sort == "name":
        return sorted(rows, key=lambda row: row.label)
    if sort == "revenue":
        return sorted(rows, key=lambda row: (row.figures["net_revenue"], row.label))
    if sort == "contribution":
        return sorted(rows, key=lambda row: (row.figures["contribution_after_fulfilment"], row.label))
    return sorted(
        rows, key=lambda row: (row.margin is None, row.margin if row.margin is not None else 0, row.label)
    )


def _exceptions(session: Session, limit: int = 100) -> tuple[list[m.ReconciliationException], int]:
    total = session.scalar(select(func.count()).select_from(m.ReconciliationException)) or 0
    rows = list(
        session.scalars(
            select(m.ReconciliationException)
            .order_by(func.abs(m.ReconciliationException.amount).desc(), m.ReconciliationException.id)
            .limit(limit)
        )
    )
    return rows, int(total)


def _chart(report: PnlReport) -> dict[str, Any]:
    return {
        "currency": report.currency,
        "days": [row.key for row in report.rows],
        "net_revenue": [str(row.figures["net_revenue"]) for row in report.rows],
        "contribution_after_fulfilment": [
            str(row.figures["contribution_after_fulfilment"]) for row in report.rows
        ],
        "net_operating_income": [str(row.figures["net_operating_income"]) for row in report.rows],
    }


@pages.get("/finance")
def finance(
    request: Request,
    session: SessionDep,
    instant: NowDep,
    user: Annotated[m.User, Depends(page_user)],
    first: Annotated[str | None, Query(alias="from")] = None,
    last: Annotated[str | None, Query(alias="to")] = None,
    sort: Annotated[str, Query()] = "margin",
) -> Response:
    profile = store_settings(session)
    span = _range(session, first, last, _today(session, instant))
    sort = sort if sort in MARGIN_SORTS else "margin"
    daily = _report(session, span, "day")
    channels = _report(session, span, "channel")
    products = _report(session, span, "product")
    skus = _report(session, span, "sku")
    exceptions, exception_count = _exceptions(session)
    return render(
        request,
        "finance.html",
        {
            "user": user,
            "store": profile,
            "active": "finance",
            "span": span,
            "daily": daily,
            "chart": _chart(daily),
            "channels": _sorted(channels.rows, sort),
            "products": _sorted(products.rows, sort),
            "skus": _sorted(skus.rows, sort)[:50],
            "sku_count": len(skus.rows),
            "sort": sort,
            "sorts": MARGIN_SORTS,
            "exceptions": exceptions,
            "exception_count": exception_count,
            "payouts": overview_queries.finance_overview(session),
            "labels": LABELS,
            "table_figures": TABLE_FIGURES,
        },
    )


def _drill_filter(
    figure: str,
    span: Range,
    channel_id: int | None,
    variant_id: int | None,
    product_id: int | None,
    unassigned: str | None,
) -> DrillFilter:
    dimension = unassigned if unassigned in ("channel", "sku", "product") else None
    return DrillFilter(
        figure,
        span.first,
        span.last_exclusive,
        channel_id=channel_id,
        variant_id=variant_id,
        product_id=product_id,
        unassigned=dimension is not None,
        dimension=dimension,
    )


@pages.get("/finance/drill")
def finance_drill(
    request: Request,
    session: SessionDep,
    instant: NowDep,
    user: Annotated[m.User, Depends(page_user)],
    figure: Annotated[str, Query()],
    first: Annotated[str | None, Query(alias="from")] = None,
    last: Annotated[str | None, Query(alias="to")] = None,
    channel_id: Annotated[int | None, Query()] = None,
    variant_id: Annotated[int | None, Query()] = None,
    product_id: Annotated[int | None, Query()] = None,
    unassigned: Annotated[str | None, Query()] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    profile = store_settings(session)
    span = _range(session, first, last, _today(session, instant))
    wanted = _drill_filter(figure, span, channel_id, variant_id, product_id, unassigned)
    try:
        drill = drill_down(session, wanted, limit=100, offset=(page - 1) * 100)
    except UserError as error:
        raise HTTPException(status_code=400, detail=str(error)) from error
    return render(
        request,
        "finance_drill.html",
        {
            "user": user,
            "store": profile,
            "active": "finance",
            "span": span,
            "drill": drill,
            "figure_label": LABELS.get(figure, figure),
            "page": page,
            "pages": max(1, (drill.posting_count + 99) // 100),
            "query": request.url.query,
        },
    )


@pages.get("/finance/entry/{entry_id}")
def finance_entry(
    request: Request, session: SessionDep, user: Annotated[m.User, Depends(page_user)], entry_id: int
) -> Response:
    profile = store_settings(session)
    try:
        detail = entry_detail(session, entry_id)
    except UserError as error:
        raise HTTPException(status_code=404, detail=str(error)) from error
    return render(
        request,
        "finance_entry.html",
        {"user": user, "store": profile, "active": "finance", "detail": detail},
    )


# --- JSON -----------------------------------------------------------------------------------------


@api.get("/pnl")
def api_pnl(
    session: SessionDep,
    instant: NowDep,
    first: Annotated[str | None, Query(alias="from")] = None,
    last: Annotated[str | None, Query(alias="to")] = None,
    by: Annotated[str, Query()] = "day",
) -> dict[str, Any]:
    """Return the P&L of the days from..to (inclusive) by day, week, month, channel, product or sku.
    Every figure is a profit effect in the store currency, as a decimal string."""
    return _report(session, _range(session, first, last, _today(session, instant)), by).as_json()


@api.get("/drill")
def api_drill(
    session: SessionDep,
    instant: NowDep,
    figure: Annotated[str, Query()],
    first: Annotated[str | None, Query(alias="from")] = None,
    last: Annotated[str | None, Query(alias="to")] = None,
    channel_id: Annotated[int | None, Query()] = None,
    variant_id: Annotated[int | None, Query()] = None,
    product_id: Annotated[int | None, Query()] = None,
    unassigned: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """Return the postings behind a figure (largest first), with what caused each."""
    span = _range(session, first, last, _today(session, instant))
    try:
        drill = drill_down(
            session, _drill_filter(figure, span, channel_id, variant_id, product_id, unassigned), limit=limit
        )
    except UserError as error:
        raise HTTPException(status_code=400, detail=str(error)) from error
    return drill.as_json()


@api.get("/entry/{entry_id}")
def api_entry(session: SessionDep, entry_id: int) -> dict[str, Any]:
    """Return a journal entry, its postings, the row that caused it and that row's raw source."""
    try:
        detail = entry_detail(session, entry_id)
    except UserError as error:
        raise HTTPException(status_code=404, detail=str(error)) from error
    entry = detail.entry
    currency = store_settings(session).currency
    return {
        "id": entry.id,
        "kind": entry.kind,
        "business_day": entry.business_day.isoformat(),
        "cause": entry.cause,
        "cause_id": entry.cause_id,
        "memo": entry.memo,
        "postings": [
            {
                "account": account.code,
                "name": account.name,
                "amount": str(round_money(posting.amount, posting.currency)),
                "currency": posting.currency,
                "store_amount": str(round_money(posting.store_amount, currency)),
            }
            for posting, account in detail.postings
        ],
        "cause_row": detail.cause_row,
        "source": None
        if detail.source is None
        else {
            "origin": detail.source.origin,
            "natural_key": detail.source.natural_key,
            "file_name": detail.source.file_name,
            "row_number": detail.source.row_number,
            "payload": detail.source.payload,
        },
    }


@api.get("/reconciliation")
def api_reconciliation(session: SessionDep) -> dict[str, Any]:
    """Return the exceptions the last reconciliation found (largest first)."""
    rows, total = _exceptions(session, limit=1000)
    return {
        "total": total,
        "exceptions": [
            {
                "kind": row.kind,
                "subject": row.subject,
                "subject_id": row.subject_id,
                "amount": str(row.amount),
                "currency": row.currency,
                "reason": row.reason,
            }
            for row in rows
        ],
    }
