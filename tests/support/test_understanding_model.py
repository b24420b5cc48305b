"""The shipped intent model: deterministic loading, calibration, out-of-scope, accuracy floor,
and store adaptation from the store's handled tickets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from sasame.db import transaction
from sasame.models import SupportMessage, SupportTicket
from sasame.support.understanding import INTENTS, Catalog, CatalogVariant, understand
from sasame.support.understanding.adaptation import history_examples, memory_from_examples, store_memory
from sasame.support.understanding.intents import IntentModel, StoreMemory, classify, shipped_model, softmax

FIXTURE = Path(__file__).parent / "fixtures" / "intent_messages.jsonl"
ACCURACY_FLOOR = 0.85
"""Measured 52/56 = 0.929 when the model was shipped; the floor leaves room for retraining noise
but fails if a change breaks the model (a keyword baseline scores about 0.6 here)."""


def fixture_messages() -> list[dict[str, str]]:
    return [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_shipped_model_loads_deterministically() -> None:
    first, second = IntentModel.load(), IntentModel.load()
    assert first.classes == second.classes == INTENTS
    assert first.vocabulary == second.vocabulary
    assert np.array_equal(first.coef, second.coef)
    text = "Where is my order #1001? It has been two weeks."
    assert np.array_equal(first.probabilities(text), second.probabilities(text))
    assert shipped_model() is shipped_model()
    meta = first.meta
    assert 0.2 <= first.temperature <= 4.0
    assert 0.0 < first.oos_threshold <= 0.5
    assert meta["trained_on"]["hint3_split"] == "per bot and label, 30% held out, seed 5"  # type: ignore[index]


def test_understanding_is_repeatable_and_probabilities_sum_to_one() -> None:
    a = understand("Order #1001", "Hi, where is my parcel? Tracking has not moved.")
    b = understand("Order #1001", "Hi, where is my parcel? Tracking has not moved.")
    assert a == b
    assert a.intent == "order_status"
    assert a.confidence == a.ranked[0][1]
    assert [p for _, p in a.ranked] == sorted((p for _, p in a.ranked), reverse=True)
    probs = shipped_model().probabilities("where is my parcel")
    assert probs.sum() == pytest.approx(1.0)


def test_temperature_scaling_keeps_the_ranking_and_orders_confidence() -> None:
    model = shipped_model()
    logits = model.logits(model.vector("I would like to return the jacket, it is too small"))
    cooler = softmax(logits / (model.temperature * 2))
    calibrated = softmax(logits / model.temperature)
    hotter = softmax(logits / (model.temperature / 2))
    assert int(np.argmax(cooler)) == int(np.argmax(calibrated)) == int(np.argmax(hotter))
    assert cooler.max() < calibrated.max() < hotter.max()


def test_confidence_is_monotone_in_how_clear_the_ask_is() -> None:
    clear = understand("Cancel my order", "Please cancel order #1001, I ordered it twice by mistake.")
    vague = understand("", "I have a question about my order")
    assert clear.intent == "cancel_order"
    assert clear.confidence > vague.confidence


@pytest.mark.parametrize(
    "body",
    [
        "asdkjh qwe zzxq plorb",
        "What is the capital of Australia?",
        "I need a plumber for my kitchen sink",
    ],
)
def test_out_of_scope_is_not_forced_into_an_intent(body: str) -> None:
    # Known limit (docs/support.md): general-knowledge questions ("which planet is largest?")
    # can still look like product questions to a bag-of-words model.
    u = understand("", body)
    assert u.out_of_scope is True
    assert u.intent == "other"


@pytest.mark.parametrize("body", ["", "   ", "12345", "http://example.com 12", "где мой заказ"])
def test_a_message_without_words_is_other_with_no_confidence(body: str) -> None:
    u = understand("", body)
    assert (u.intent, u.confidence, u.ranked, u.out_of_scope) == ("other", 0.0, (("other", 0.0),), True)


def test_in_scope_message_is_not_out_of_scope() -> None:
    u = understand(
        "Return", "I want to return the shoes I bought, they are too big. How do I send them back?"
    )
    assert (u.intent, u.out_of_scope) == ("return_request", False)
    assert u.confidence >= 0.8


def test_an_amazon_envelope_subject_does_not_sway_the_reading() -> None:
    # The envelope's "(Order: ...)" once pulled a complaint about quality towards order_status.
    body = "The quality of the dad cap is not what I expected for the price."
    relayed = understand("Inquiry from Amazon customer Hannah Brown (Order: 113-4321141-5778901)", body)
    plain = understand("", body)
    assert (relayed.intent, relayed.confidence, relayed.ranked) == (
        plain.intent,
        plain.confidence,
        plain.ranked,
    )
    assert [ref.text for ref in relayed.order_refs] == ["113-4321141-5778901"]


def test_accuracy_on_hand_written_fixture_stays_above_floor() -> None:
    messages = fixture_messages()
    assert len(messages) == 56
    assert {m["intent"] for m in messages} == set(INTENTS)
    correct = sum(understand(m["subject"], m["body"]).intent == m["intent"] for m in messages)
    assert correct / len(messages) >= ACCURACY_FLOOR


def test_escalation_intents_are_recognised_in_clear_cases() -> None:
    assert understand("", "The vase arrived smashed into pieces.").intent == "damaged_item"
    assert (
        understand("", "You sent me the wrong item, I ordered a red mug and got a blue one.").intent
        == "wrong_item"
    )
    assert (
        understand("", "This is the worst service I have ever had, I want to complain.").intent == "complaint"
    )


def test_secondary_ask_is_reported() -> None:
    u = understand(
        "Two things",
        "Where is my order #1001? It has been two weeks.\n"
        "Also, do you ship to Canada? My sister wants to order.",
    )
    assert u.intent == "order_status"
    assert u.secondary_intent == "shipping_question"


def test_pleasantries_and_details_are_not_second_asks() -> None:
    u = understand(
        "Cancel",
        "Hi,\n\nQuick question. I need to cancel my order #1001, I ordered it twice.\n\n"
        "Please get back to me asap.\n\nIs anyone there? I received it on Monday.",
    )
    assert (u.intent, u.secondary_intent) == ("cancel_order", None)
    announced = understand(
        "Where is my parcel",
        "Where is order #1001? It has been two weeks and the tracking has not moved.\n"
        "Also, my discount code didn't work at checkout.",
    )
    assert (announced.intent, announced.secondary_intent) == ("order_status", "discount_question")


def test_catalog_product_names_help_the_classifier() -> None:
    catalog = Catalog((CatalogVariant("ZQ-1", 1, "Zorblax Quilt", "Zorblax Quilt", "M", "Blue"),))
    u = understand("", "Does the Zorblax Quilt come in a larger size?", catalog)
    assert u.intent == "product_question"
    assert [m.sku for m in u.mentions] == ["ZQ-1"]


HISTORY = [
    ("Blorp", "My flumbo has not blipped yet, where is it?", "order_status"),
    ("Blorp", "Still no flumbo blip, where is my flumbo?", "order_status"),
    ("Blorp", "When will my flumbo blip?", "order_status"),
    ("Question", "Is the flumbo stocked in teal?", "product_question"),
    ("Question", "Do you stock the flumbo in teal or red?", "product_question"),
    ("Question", "Will the teal flumbo be stocked again?", "product_question"),
    ("Return", "I want to return my flumbo, it is too big", "return_request"),
    ("Return", "Can I send the flumbo back for a refund?", "return_request"),
    ("Return", "Return label for my flumbo please", "return_request"),
    ("Cancel", "Please cancel my flumbo order", "cancel_order"),
    ("Cancel", "Cancel the flumbo I ordered today", "cancel_order"),
]


def test_store_memory_learns_the_stores_words() -> None:
    memory = memory_from_examples(HISTORY)
    assert memory.size == 11
    assert memory.memory_weight > 0
    adapted = classify("Blorp", "has my flumbo blipped yet?", memory)
    assert adapted.intent == "order_status"
    plain = classify("Blorp", "has my flumbo blipped yet?")
    assert adapted.confidence > plain.confidence


def test_store_memory_needs_enough_history() -> None:
    small = StoreMemory(shipped_model(), ["where is it"], ["order_status"])
    assert (small.size, small.memory_weight) == (1, 0.0)


def _ticket(session: object, n: int, intent: str | None, decision: str | None, **review: object) -> None:
    at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    subject, body, _ = HISTORY[n % len(HISTORY)]
    ticket = SupportTicket(
        thread_key=f"<t{n}@x>",
        subject=subject,
        status="closed",
        intent=intent,
        decision=decision,
        opened_at=at,
        **review,
    )
    session.add(ticket)  # type: ignore[attr-defined]
    session.flush()  # type: ignore[attr-defined]
    for k, (direction, text) in enumerate(
        [("inbound", body), ("outbound", "Thanks, we are on it."), ("inbound", "ok")]
    ):
        session.add(  # type: ignore[attr-defined]
            SupportMessage(
                ticket_id=ticket.id, message_id=f"<m{n}.{k}@x>", direction=direction, from_address="a@x.com",
                to_address="shop@x.com", subject=subject, body=text, sent_at=at,
            )
        )  # fmt: skip


def test_history_examples_take_human_labels_only(engine: Engine) -> None:
    with transaction(engine) as session:
        for n in range(11):
            _ticket(session, n, HISTORY[n][2], "draft")
        _ticket(session, 11, "cancel_order", "auto")  # the engine's own guess, never reviewed: left out
        _ticket(session, 12, "cancel_order", "auto", reviewed_intent="order_status", review_outcome="edited")
        _ticket(session, 13, "praise", "auto", review_outcome="approved")
    with transaction(engine) as session:
        examples = history_examples(session)
        memory = store_memory(session, Catalog(()))
    assert len(examples) == 13
    # Newest first; the first inbound message stands for the ticket; a reviewer's intent wins.
    assert examples[0] == ("Blorp", "When will my flumbo blip?", "praise")
    assert examples[1] == ("Blorp", "Still no flumbo blip, where is my flumbo?", "order_status")
    assert [intent for _, _, intent in examples].count("cancel_order") == 2
    assert memory is not None and memory.size == 13


def test_store_memory_is_none_without_history(engine: Engine) -> None:
    with transaction(engine) as session:
        assert store_memory(session, Catalog(())) is None


def test_typos_are_read_as_the_words_they_miss() -> None:
    model = shipped_model()
    # Two letters swapped, one typed twice or one left out: the vocabulary's word is meant.
    assert model.speller.correct("I'd like a rfeund, has my return been recieved? Apple Pay isnt workng") == (
        "I'd like a refund, has my return been received? Apple Pay isnt working"
    )
    assert model.speller.correct("obsessed witth it") == "obsessed with it"
    # A letter changed or dropped is not undone: real words the vocabulary lacks ("wash", "meant")
    # would become frequent ones ("was", "mean"). Names inside a sentence stay too.
    unchanged = "Will it shrink in the wash? It was meant as a gift. Thanks, Rachel Patel"
    assert model.speller.correct(unchanged) == unchanged
    assert np.allclose(
        model.probabilities("I would like a rfeund please"),
        model.probabilities("I would like a refund please"),
    )
