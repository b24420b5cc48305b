"""`understand()`: clean the message, classify its intent, extract its entities."""

from __future__ import annotations

from dataclasses import dataclass

from sasame.support.understanding.entities import (
    Catalog,
    CatalogMention,
    OrderReference,
    catalog_mentions,
    colours_in,
    order_references,
    sentiment,
    sizes_in,
    urgency,
)
from sasame.support.understanding.intents import INTENTS, StoreMemory, classify, shipped_model
from sasame.support.understanding.text import clean_body, clean_subject, intent_subject, without_courtesy

MAX_TEXT_CHARS = 4000
MAX_BODY_CHARS = 50_000
MAX_SUBJECT_CHARS = 300


@dataclass(frozen=True)
class Understanding:
    intent: str  # one of INTENTS ("other" when the model does not know)
    confidence: float  # calibrated probability that `intent` is right
    ranked: tuple[tuple[str, float], ...]  # top intents with calibrated probabilities
    secondary_intent: str | None  # a second ask in the same message, if any
    order_refs: tuple[OrderReference, ...]
    mentions: tuple[CatalogMention, ...]
    sizes: tuple[str, ...]
    colours: tuple[str, ...]
    sentiment: float  # -1..1
    urgency: str  # "low" | "normal" | "high"
    out_of_scope: bool
    clean_text: str  # what the classifier read: subject + new text (quotes/signature removed)


def understand(
    subject: str, body: str, catalog: Catalog | None = None, memory: StoreMemory | None = None
) -> Understanding:
    """Return what a customer email asks, how sure we are, and what it refers to.

    ``memory`` (optional, from ``adaptation.store_memory(session)``) adapts the shipped model
    to the store's own handled conversations; without it, a catalog loaded with
    ``Catalog.from_session`` brings its own (``catalog.memory``).
    """
    if memory is None and catalog is not None:
        memory = catalog.memory
    subject_text = clean_subject(subject)[:MAX_SUBJECT_CHARS]
    # The ask is at the top of a customer's mail; a pasted newsletter or log adds nothing but time.
    new_text = clean_body(body[:MAX_BODY_CHARS])[:MAX_TEXT_CHARS]
    clean_text = f"{subject_text}\n{new_text}".strip() if subject_text else new_text
    # The classifier reads the customer's words: a marketplace's envelope subject only holds the
    # order number, which the references below still find in ``clean_text``.
    asked_subject = intent_subject(subject, body[:MAX_BODY_CHARS])[:MAX_SUBJECT_CHARS]
    # ... and only the sentences that say something: courtesy dilutes the ask's features.
    asked_text = without_courtesy(new_text)
    if catalog is not None:
        result = classify(catalog.mask_products(asked_subject), catalog.mask_products(asked_text), memory)
    else:
        result = classify(asked_subject, asked_text, memory)
    # Order numbers: the new text and subject first; a quoted earlier mail (the shop's own
    # notification) is a fallback, since customers often reply to it without retyping the number.
    refs = order_references(clean_text)
    if not refs:
        refs = order_references(body)
    sizes = sizes_in(new_text, catalog)
    colours = colours_in(new_text, catalog)
    mentions = catalog_mentions(clean_text, catalog, sizes, colours) if catalog else ()
    # A misspelt "amazng" is still praise: the lexicon reads the speller's words (and the store's
    # "Ribbed Tank" is no "thank").
    mood = sentiment(shipped_model().speller.correct(new_text, keep=catalog.words if catalog else ()))
    return Understanding(
        intent=result.intent,
        confidence=result.confidence,
        ranked=result.ranked,
        secondary_intent=result.secondary,
        order_refs=refs,
        mentions=mentions,
        sizes=sizes,
        colours=colours,
        sentiment=mood,
        urgency=urgency(clean_text, mood, result.intent),
        out_of_scope=result.out_of_scope,
        clean_text=clean_text,
    )


__all__ = ["INTENTS", "Understanding", "understand"]
