"""POST /webhooks/{shopify,woocommerce,stripe}: authenticated by the platform's signature, not by login.

These routes are exempt from the dashboard's CSRF check (see security.SIGNED_PATHS): the HMAC of
the raw body with a secret only the platform and the owner know is a stronger proof than a cookie.
Refused requests leave one audit_log row and change nothing else; accepted ones are applied in
one transaction, committed when the route returns.
"""

from __future__ import annotations

import os

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sasame.core.errors import UserError
from sasame.ingest.webhooks import (
    SECRET_SETTINGS,
    apply_webhook,
    body_facts,
    record_rejection,
    verify_base64_hmac,
    verify_stripe,
)

router = APIRouter(prefix="/webhooks", include_in_schema=False)

SIGNATURE_HEADERS = {
    "shopify": "x-shopify-hmac-sha256",
    "woocommerce": "x-wc-webhook-signature",
    "stripe": "stripe-signature",
}
TOPIC_HEADERS = {"shopify": "x-shopify-topic", "woocommerce": "x-wc-webhook-topic", "stripe": ""}
MAX_BODY_BYTES = 5 * 1024 * 1024
"""An order with hundreds of lines is well under 1 MiB; anything far bigger is refused unread."""


@router.post("/shopify")
async def shopify(request: Request) -> JSONResponse:
    return await _receive(request, "shopify")


@router.post("/woocommerce")
async def woocommerce(request: Request) -> JSONResponse:
    return await _receive(request, "woocommerce")


@router.post("/stripe")
async def stripe(request: Request) -> JSONResponse:
    return await _receive(request, "stripe")


async def _receive(request: Request, platform: str) -> JSONResponse:
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
        return JSONResponse({"detail": "request body too large"}, status_code=413)
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return JSONResponse({"detail": "request body too large"}, status_code=413)
    now = request.app.state.clock()
    topic = request.headers.get(TOPIC_HEADERS[platform]) if TOPIC_HEADERS[platform] else None
    signature = request.headers.get(SIGNATURE_HEADERS[platform])
    secret = os.environ.get(SECRET_SETTINGS[platform], "")
    if not secret:
        # Unverifiable is unauthenticated: 401 like a bad signature, with the setting named for the owner.
        reason = f"{SECRET_SETTINGS[platform]} is not set, so no {platform} webhook can be verified"
        status = 401
    elif platform == "stripe":
        failure = verify_stripe(body, signature, secret, now)
        reason, status = (failure, 401) if failure else ("", 200)
    elif verify_base64_hmac(body, signature, secret):
        reason, status = "", 200
    else:
        reason = "no signature" if not signature else "signature does not match"
        status = 401
    if status != 200:
        client = request.client.host if request.client else None
        with request.app.state.sessions() as session, session.begin():
            record_rejection(
                session, platform=platform, reason=reason, now=now, details=body_facts(body, topic, client)
            )
        return JSONResponse({"detail": reason}, status_code=status)
    try:
        with request.app.state.sessions() as session, session.begin():
            outcome = apply_webhook(session, platform=platform, topic=topic or "", body=body, now=now)
    except UserError as error:
        # A signed body that sasame cannot use (or an order it has not seen yet): nothing was
        # written; the platform retries later, and the reason is in its delivery log.
        return JSONResponse({"detail": str(error)}, status_code=422)
    return JSONResponse(outcome.as_json())
