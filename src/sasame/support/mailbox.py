"""`sasame support run` and the pipeline step `support.mailbox`: poll the mailbox, triage, answer.

One pass: fetch new mail over IMAP (when configured) and store it in its threads, then triage
every ticket still undecided, carrying out what the policy allows; automatic replies leave
through SMTP when configured, go to the outbox file SASAME_SUPPORT_OUTBOX when that is set (a trial
run), and otherwise wait as drafts. The IMAP cursor lives in
``sync_state`` (stream ``support.imap``) and moves only when the messages are stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.connectors.carriers.labels import LabelService, label_service_from_environment
from sasame.db import transaction
from sasame.support.intake.imap import fetch_new
from sasame.support.intake.settings import MailSettings
from sasame.support.intake.smtp import outbox_for
from sasame.support.llm import ChatModel, LlmSettings
from sasame.support.policy import load_policy
from sasame.support.service import Outbox, receive_all, triage_pending
from sasame.support.triage import TriageContext

STREAM = "support.imap"


def _cursor(session: Session) -> m.SyncState | None:
    return session.scalar(select(m.SyncState).where(m.SyncState.stream == STREAM))


def poll_and_triage(
    session: Session,
    now: datetime,
    *,
    settings: MailSettings,
    outbox: Outbox | None = None,
    labels: LabelService | None = None,
    model: ChatModel | None = None,
) -> dict[str, Any]:
    """Fetch and store new mail (if a mailbox is configured), then triage every undecided ticket."""
    summary: dict[str, Any] = {"fetched": 0, "new": 0}
    if settings.has_imap:
        state = _cursor(session)
        mails, new_cursor = fetch_new(settings, state.cursor if state else None)
        new, _ = receive_all(session, (mail for _, mail in mails), now=now)
        if state is None:
            session.add(m.SyncState(stream=STREAM, cursor=new_cursor, synced_at=now))
        else:
            state.cursor, state.synced_at = new_cursor, now
        summary |= {"fetched": len(mails), "new": new}
    ctx = TriageContext.load(session, load_policy(session), now)
    decisions: Counter[str] = Counter(
        decision for _, _, decision in triage_pending(session, ctx, outbox=outbox, labels=labels, model=model)
    )
    return summary | {
        "auto": decisions["auto"],
        "draft": decisions["draft"],
        "escalate": decisions["escalate"],
    }


def process_mailbox(
    engine: Engine,
    now: datetime,
    *,
    settings: MailSettings | None = None,
    outbox: Outbox | None = None,
    labels: LabelService | None = None,
    model: ChatModel | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One pass in one transaction: the cursor moves only if everything fetched was stored and triaged."""
    settings = settings or MailSettings.from_env(environ)
    if model is None:
        llm = LlmSettings.from_env(environ)
        model = ChatModel(llm) if llm is not None else None
    if outbox is None:
        outbox = outbox_for(settings)
    if labels is None:
        labels = label_service_from_environment(environ)
    with transaction(engine) as session:
        return poll_and_triage(session, now, settings=settings, outbox=outbox, labels=labels, model=model)


def pipeline_step(session: Session, now: datetime) -> dict[str, Any]:
    """The daily pipeline's step `support.mailbox`: the same pass as `sasame support run`."""
    settings = MailSettings.from_env()
    return poll_and_triage(
        session, now, settings=settings, outbox=outbox_for(settings), labels=label_service_from_environment()
    )
