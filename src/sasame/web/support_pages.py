"""The Support page: the escalation and approval queues with their context, one-click approve/edit/
send, the owner's policy form, metrics and the audit log of every automated reply and action.

Routes only parse the request and call the support services; every POST carries the CSRF token
(checked by the middleware). Replies leave through the SMTP server configured in SASAME_SMTP_*.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from sasame.business.service import store_settings
from sasame.core.errors import ConfigError, UserError
from sasame.models import Product, User
from sasame.support import metrics, queries
from sasame.support.intake.settings import MailSettings
from sasame.support.intake.smtp import FileOutbox, outbox_for
from sasame.support.knowledge import PRODUCT_ASPECTS, STORE_TOPICS
from sasame.support.policy import load_policy, policy_json, policy_rows, set_policy
from sasame.support.service import Outbox, review, send_draft, triage_pending
from sasame.support.triage import TriageContext
from sasame.web.deps import api_user, db_session, now, page_user
from sasame.web.pages import back_with_message, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(page_user)])
api = APIRouter(prefix="/api/support", tags=["support"], dependencies=[Depends(api_user)])

SessionDep = Annotated[Session, Depends(db_session)]
NowDep = Annotated[datetime, Depends(now)]
UserDep = Annotated[User, Depends(page_user)]


def _outbox(request: Request) -> Outbox:
    """The app's outbox (set by whoever builds the app), else the outbox file or SMTP server of the
    environment."""
    configured = getattr(request.app.state, "support_outbox", None)
    if configured is not None:
        return configured
    outbox = outbox_for(MailSettings.from_env())
    if outbox is None:
        raise ConfigError("SASAME_SMTP_HOST is not set: replies cannot be sent from the dashboard")
    return outbox


ANSWERS_SHOWN = 200
"""Store answers listed on the page; `sasame support policy show` and the API list them all."""


@router.get("/support")
def support_page(request: Request, session: SessionDep, user: UserDep, at: NowDep) -> Response:
    profile = store_settings(session)
    policy = load_policy(session)
    # Settings and modes in the policy panel; the store answers (one per product and aspect on a
    # large catalogue: 12,257 on a 10,000-SKU demo store) in their own table, shortened.
    rows = policy_rows(policy)
    answers = [(key, value) for key, value in rows if key.startswith("faq.")]
    return render(
        request,
        "support.html",
        {
            "user": user,
            "store": profile,
            "active": "support",
            "escalated": queries.queue(session, ("escalated",)),
            "pending": queries.queue(session, ("pending",)),
            "undecided": queries.queue(session, ("open",)),
            "metrics": metrics.support_metrics(session, policy, now=at, timezone=profile.timezone),
            "audit": queries.support_audit(session),
            "policy": [(key, value) for key, value in rows if not key.startswith("faq.")],
            "answers": answers,
            "answers_shown": ANSWERS_SHOWN,
            "faq_keys": faq_keys(session),
            "message": request.query_params.get("message"),
            "outbox_file": _outbox_file(request),
        },
    )


def _outbox_file(request: Request) -> str:
    """The outbox file replies are written to instead of being sent, if that is where they go."""
    try:
        outbox = _outbox(request)
    except ConfigError:
        return ""
    return str(outbox.path) if isinstance(outbox, FileOutbox) else ""


def faq_keys(session: Session) -> list[str]:
    """The store answers an owner can write: every topic, and each aspect per category and product."""
    targets = sorted(set(session.scalars(select(Product.category)))) + list(
        session.scalars(select(Product.handle).where(Product.is_active.is_(True)).order_by(Product.handle))
    )
    return [f"faq.{topic}" for topic in STORE_TOPICS] + [
        f"faq.{aspect}.{target.lower()}" for aspect in PRODUCT_ASPECTS for target in targets
    ]


@router.get("/support/tickets/{ticket_id}")
def ticket_page(request: Request, ticket_id: int, session: SessionDep, user: UserDep, at: NowDep) -> Response:
    detail = queries.ticket_detail(session, ticket_id, at)
    if detail is None:
        raise HTTPException(status_code=404, detail=f"ticket {ticket_id} does not exist")
    from sasame.models.support import INTENTS

    return render(
        request,
        "support_ticket.html",
        {
            "user": user,
            "store": store_settings(session),
            "active": "support",
            "detail": detail,
            "intents": INTENTS,
            "message": request.query_params.get("message"),
        },
    )


@router.post("/support/tickets/{ticket_id}/send")
def send_ticket_reply(
    request: Request,
    ticket_id: int,
    session: SessionDep,
    user: UserDep,
    at: NowDep,
    body: Annotated[str, Form()],
) -> Response:
    try:
        outbox = _outbox(request)
        send_draft(
            session, ticket_id, by=user.email, now=at, outbox=outbox, body=body, policy=load_policy(session)
        )
    except UserError as error:
        return back_with_message(f"/support/tickets/{ticket_id}", str(error))
    return back_with_message("/support", f"Reply to ticket {ticket_id} sent.")


@router.post("/support/tickets/{ticket_id}/review")
def review_ticket(
    ticket_id: int,
    session: SessionDep,
    user: UserDep,
    at: NowDep,
    outcome: Annotated[str, Form()],
    intent: Annotated[str, Form()] = "",
) -> Response:
    try:
        review(session, ticket_id, by=user.email, now=at, outcome=outcome, intent=intent or None)
    except UserError as error:
        return back_with_message(f"/support/tickets/{ticket_id}", str(error))
    return back_with_message(f"/support/tickets/{ticket_id}", f"Marked {outcome}.")


@router.post("/support/policy")
def update_policy(
    session: SessionDep,
    user: UserDep,
    at: NowDep,
    key: Annotated[str, Form()],
    value: Annotated[str, Form()],
) -> Response:
    try:
        set_policy(session, key, value, now=at, by=user.email)
    except UserError as error:
        session.rollback()
        return back_with_message("/support", str(error))
    return back_with_message("/support", f"{key} saved.")


@router.post("/support/triage")
def triage_now(request: Request, session: SessionDep, user: UserDep, at: NowDep) -> Response:
    """Triage every undecided ticket now (what the pipeline step does daily)."""
    try:
        outbox: Outbox | None = _outbox(request)
    except ConfigError:
        outbox = None  # without SMTP, automatic answers wait as drafts
    ctx = TriageContext.load(session, load_policy(session), at)
    done = triage_pending(session, ctx, outbox=outbox)
    counts: dict[str, int] = {}
    for _, _, decision in done:
        counts[decision] = counts.get(decision, 0) + 1
    shown = ", ".join(f"{n} {decision}" for decision, n in sorted(counts.items())) or "nothing to do"
    return back_with_message("/support", f"Triaged {len(done)} tickets: {shown}.")


@api.get("/metrics")
def metrics_json(session: SessionDep, at: NowDep) -> JSONResponse:
    profile = store_settings(session)
    result = metrics.support_metrics(session, load_policy(session), now=at, timezone=profile.timezone)
    return JSONResponse(result.to_json())


@api.get("/policy")
def policy_api(session: SessionDep) -> JSONResponse:
    return JSONResponse(policy_json(load_policy(session)))


@api.get("/queue")
def queue_json(session: SessionDep) -> JSONResponse:
    rows: list[dict[str, Any]] = [
        row.__dict__ | {"opened_at": row.opened_at.isoformat()}
        for row in queries.queue(session, ("escalated", "pending"))
    ]
    return JSONResponse(rows)


webhook = APIRouter(prefix="/webhooks", include_in_schema=False)
MAX_WEBHOOK_BYTES = 1024 * 1024


@webhook.post("/support")
async def helpdesk_webhook(request: Request) -> JSONResponse:
    """Store one signed helpdesk message in its thread; the next triage pass answers it."""
    import os

    from sasame.ingest.webhooks import body_facts, record_rejection, verify_base64_hmac
    from sasame.support.intake.webhook import SECRET_SETTING, SIGNATURE_HEADER, parse_helpdesk_message
    from sasame.support.service import receive

    body = await request.body()
    if len(body) > MAX_WEBHOOK_BYTES:
        return JSONResponse({"detail": "request body too large"}, status_code=413)
    at = request.app.state.clock()
    secret = os.environ.get(SECRET_SETTING, "")
    signature = request.headers.get(SIGNATURE_HEADER)
    if not secret or not verify_base64_hmac(body, signature, secret):
        reason = (
            f"{SECRET_SETTING} is not set, so no support webhook can be verified"
            if not secret
            else ("no signature" if not signature else "signature does not match")
        )
        client = request.client.host if request.client else None
        with request.app.state.sessions() as session, session.begin():
            record_rejection(
                session, platform="support", reason=reason, now=at, details=body_facts(body, None, client)
            )
        return JSONResponse({"detail": reason}, status_code=401)
    try:
        mail = parse_helpdesk_message(body)
        with request.app.state.sessions() as session, session.begin():
            received = receive(session, mail, now=at)
            answer = {
                "ticket_id": received.ticket.id,
                "message_id": mail.message_id,
                "created": received.is_new,
            }
    except UserError as error:
        return JSONResponse({"detail": str(error)}, status_code=422)
    return JSONResponse(answer, status_code=201 if answer["created"] else 200)
