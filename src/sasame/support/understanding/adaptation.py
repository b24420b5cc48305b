"""Store adaptation: fit a :class:`StoreMemory` on the store's own handled conversations.

The examples are closed tickets whose intent a human gave (the owner's own reading when they
answered by hand, or a correction made on review: ``reviewed_intent`` wins over ``intent``),
each represented by its first inbound message. Tickets the engine decided on its own and nobody
reviewed (or a reviewer rejected without giving the right intent) are left out, so the model
never learns from its own unchecked guesses.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sasame.support.understanding.entities import Catalog
from sasame.support.understanding.intents import IntentModel, StoreMemory, shipped_model
from sasame.support.understanding.text import clean_body, intent_subject, without_courtesy

MAX_EXAMPLES = 5000
"""The most recent handled tickets kept in memory (enough for any small store, bounded in time)."""


def history_examples(session: Session, limit: int = MAX_EXAMPLES) -> list[tuple[str, str, str]]:
    """Return (subject, body, intent) of the store's human-labelled closed tickets, newest first."""
    from sasame.models import SupportMessage, SupportTicket

    label = func.coalesce(SupportTicket.reviewed_intent, SupportTicket.intent)
    human = (
        SupportTicket.reviewed_intent.is_not(None)
        | SupportTicket.review_outcome.in_(("approved", "edited"))
        | SupportTicket.decision.is_(None)
        | (SupportTicket.decision != "auto")
    )
    first_inbound = (
        select(SupportMessage.ticket_id, func.min(SupportMessage.id).label("message_id"))
        .where(SupportMessage.direction == "inbound")
        .group_by(SupportMessage.ticket_id)
        .subquery()
    )
    rows = session.execute(
        select(SupportMessage.subject, SupportMessage.body, label)
        .join(first_inbound, first_inbound.c.message_id == SupportMessage.id)
        .join(SupportTicket, SupportTicket.id == SupportMessage.ticket_id)
        .where(SupportTicket.status == "closed", label.is_not(None), human)
        .order_by(SupportTicket.id.desc())
        .limit(limit)
    ).all()
    return [(subject or "", body or "", intent) for subject, body, intent in rows]


def memory_from_examples(
    examples: list[tuple[str, str, str]], catalog: Catalog | None = None, model: IntentModel | None = None
) -> StoreMemory:
    """Fit the memory on (subject, body, intent) examples, read exactly as ``understand`` reads."""
    model = model or shipped_model()
    mask = catalog.mask_products if catalog is not None else _unchanged
    texts = [
        f"{mask(intent_subject(s, b))}\n{mask(without_courtesy(clean_body(b)))}".strip()
        for s, b, _ in examples
    ]
    return StoreMemory(model, texts, [intent for _, _, intent in examples])


def store_memory(session: Session, catalog: Catalog | None = None) -> StoreMemory | None:
    """Return the store's adapted model, or None when it has too little labelled history (< 10).

    Pass the same ``catalog`` that ``understand`` will get (loaded here when omitted).
    """
    examples = history_examples(session)
    if len(examples) < 10:
        return None
    return memory_from_examples(
        examples, catalog if catalog is not None else Catalog.from_session(session, adapt=False)
    )


def _unchanged(text: str) -> str:
    return text
