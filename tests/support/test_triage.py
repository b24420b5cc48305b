"""Triage on the hand-written store: each routine ask answered from live data, the rest escalated."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from support_store import BOB, JANE, NOW

from sasame import models as m
from sasame.db import transaction
from sasame.support.policy import load_policy, set_policy
from sasame.support.triage import (
    ASK_CUES,
    REFERENCE_ONLY,
    IncomingMessage,
    TriageContext,
    TriageResult,
    triage,
)


def run(
    engine: Engine, subject: str, body: str, sender: str = JANE, written_at: datetime | None = None
) -> TriageResult:
    """Triage one message at NOW; ``written_at``: its Date (default: none, as if written now)."""
    with transaction(engine) as session:
        ctx = TriageContext.load(session, load_policy(session), NOW)
        message = IncomingMessage(id="m1", sender=sender, subject=subject, body=body, received_at=written_at)
        return triage(ctx, message)


def line(order_id: int, variant_id: int, sku: str, title: str, price: str) -> m.OrderLine:
    """One unit of a variant added to a stored order."""
    return m.OrderLine(
        order_id=order_id, variant_id=variant_id, sku=sku, title=title, quantity=1, unit_price=Decimal(price)
    )


def test_where_is_my_order_answers_with_tracking_and_the_expected_day(
    engine: Engine, store: dict[str, int]
) -> None:
    result = run(engine, "Where is my order?", "Hi, where is order #1002? It's been days.\n\nJane")
    assert (result.intent, result.order_ref, result.decision) == ("order_status", "#1002", "auto")
    assert result.reply is not None
    assert "It shipped on Tuesday, March 3 with UPS, tracking number 1Z999AA10123456784." in result.reply
    assert 'The latest scan says: "Departed UPS facility, Memphis TN".' in result.reply
    assert "UPS expects to deliver it by Saturday, March 7." in result.reply
    assert result.reply.startswith("Hi Jane,")
    assert result.reply_facts["estimated_delivery_on"] == "2026-03-07"
    assert result.reply_facts["is_late"] is False
    assert result.actions == []


def test_without_a_number_the_order_is_the_senders_that_fits(engine: Engine, store: dict[str, int]) -> None:
    # Jane has two orders not yet delivered (#1002, #1003): without a number that is a question.
    vague = run(
        engine, "parcel", "Hi, can you tell me where my order is? I have not received a shipping email."
    )
    assert (vague.intent, vague.order_ref, vague.decision) == ("order_status", None, "draft")
    assert "draft: no order number given and 2 of the sender's orders could be meant" in vague.reasons
    # Naming the product settles it: only #1003 holds the enamel pin.
    named = run(engine, "order", "Can you tell me where my enamel pin order is?")
    assert (named.intent, named.order_ref, named.decision) == ("order_status", "#1003", "auto")
    assert named.reply_facts["is_shipped"] is False


def test_return_inside_the_window_opens_an_rma(engine: Engine, store: dict[str, int]) -> None:
    result = run(
        engine, "Return", "I'd like to return the linen shirt from order #1001, it's too big. Thanks, Jane"
    )
    assert (result.intent, result.order_ref, result.decision) == ("return_request", "#1001", "auto")
    assert result.reply_facts["return_eligible"] is True
    assert result.reply_facts["item_sku"] == "LIN-WHT-L"
    planned = [a.to_json() for a in result.actions]
    assert planned == [
        {
            "kind": "create_return",
            "order": "#1001",
            "order_id": store["order_#1001"],
            "rma_number": "RMA-10001",
            "reason": "too_large",
            "lines": [{"order_line_id": store["line_#1001"], "sku": "LIN-WHT-L", "quantity": 1}],
        }
    ]
    assert result.reply is not None and "Your return number is RMA-10001" in result.reply
    # Triage only reads: nothing was written.
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(m.Return)) == 0


def test_return_after_the_window_is_declined_with_the_dates(engine: Engine, store: dict[str, int]) -> None:
    result = run(engine, "return", "Can I return order #1004 please? It doesn't fit.")
    assert (result.intent, result.decision) == ("return_request", "auto")
    assert result.reply_facts["return_eligible"] is False
    assert result.reply is not None
    assert "our return window is 30 days from delivery" in result.reply
    assert "delivered on Saturday, January 10" in result.reply
    assert result.actions == []


def test_cancel_an_unshipped_order(engine: Engine, store: dict[str, int]) -> None:
    result = run(engine, "cancel", "Please cancel order #1003, I ordered by mistake.")
    assert (result.intent, result.decision) == ("cancel_order", "auto")
    assert [a.kind for a in result.actions] == ["cancel_order"]
    assert result.reply is not None and "The payment of $12.00 goes back" in result.reply


def test_cancel_a_shipped_order_says_it_is_too_late(engine: Engine, store: dict[str, int]) -> None:
    result = run(engine, "cancel", "Please cancel order #1002, I don't need it any more.")
    assert (result.intent, result.decision) == ("cancel_order", "auto")
    assert result.reply_facts["can_modify"] is False
    assert result.actions == []


def test_cancel_an_order_marked_fulfilled_without_a_shipment_goes_to_a_person(
    engine: Engine, store: dict[str, int]
) -> None:
    # An import can say "fulfilled" before any parcel is recorded: too late to cancel, and no
    # tracking to quote, so a person checks what left rather than the reply guessing.
    with transaction(engine) as session:
        order = session.scalars(select(m.Order).where(m.Order.number == "#1003")).one()
        order.fulfillment_status = "fulfilled"
    result = run(engine, "cancel", "Please cancel order #1003, I ordered by mistake.")
    assert (result.intent, result.decision) == ("cancel_order", "draft")
    assert result.reply_facts["can_modify"] is False
    assert result.actions == []


def test_product_question_gives_the_next_purchase_order_day(engine: Engine, store: dict[str, int]) -> None:
    result = run(
        engine, "size M", "When will the Linen Shirt in size M be back in stock?", sender="new@example.org"
    )
    assert result.intent == "product_question"
    assert result.reply is not None
    assert "sold out right now; it's back around 12 March" in result.reply
    assert result.reply_facts["sku"] == "LIN-WHT-M"
    assert result.reply_facts["next_arrival_on"] == "2026-03-12"


def test_a_size_recommendation_asked_in_so_many_words_is_a_product_question(
    engine: Engine, store: dict[str, int]
) -> None:
    text = "I'm 5'6\" and about 140 lbs - would you recommend S or M in the Linen Shirt? This is ridiculous."
    cue = ASK_CUES["product_question"].search(text)
    assert cue is not None and cue.group(0) == "would you recommend S or M"
    result = run(engine, "Availability", text, sender="new@example.org")
    assert result.intent == "product_question"
    assert result.confidence >= 0.9


def test_the_size_a_customer_usually_wears_does_not_narrow_a_restock_question(
    engine: Engine, store: dict[str, int]
) -> None:
    # "I'm usually a L" tells who they are; the question is about the white shirt, every size.
    result = run(
        engine,
        "Question",
        "I'm usually a L in most brands. Is the Linen Shirt in white going to be restocked?",
        sender="new@example.org",
    )
    assert result.intent == "product_question"
    assert "size" not in result.reply_facts and "sku" not in result.reply_facts
    assert result.reply is not None
    listed = "In white, in stock: White / S, White / L; sold out: White / M (back around 12 March)."
    assert listed in result.reply
    # A size asked about in its own sentence still picks the variant.
    asked = run(
        engine,
        "Question",
        "I'm usually a L in most brands. Is the Linen Shirt in white size M going to be restocked?",
        sender="new@example.org",
    )
    assert (asked.reply_facts["sku"], asked.reply_facts["next_arrival_on"]) == ("LIN-WHT-M", "2026-03-12")


def test_damaged_item_is_escalated_with_a_costed_resolution(engine: Engine, store: dict[str, int]) -> None:
    result = run(
        engine, "broken", "The linen shirt from order #1001 arrived torn and damaged. Very disappointed."
    )
    assert (result.intent, result.decision) == ("damaged_item", "escalate")
    suggestion = next(a.to_json() for a in result.actions if a.kind == "suggest_resolution")
    # L is in stock: reship at the variant's unit cost plus the outbound label.
    assert suggestion == {
        "kind": "suggest_resolution",
        "order": "#1001",
        "problem": "damaged",
        "item_sku": "LIN-WHT-L",
        "resolution": "reship",
        "cost": "29.9000",
        "currency": "USD",
        "basis": "unit cost + outbound label",
    }
    assert "request_photos" in [a.kind for a in result.actions]


def test_someone_elses_order_number_is_never_answered_alone(engine: Engine, store: dict[str, int]) -> None:
    result = run(engine, "order", "Where is my order #1002?", sender="stranger@example.net")
    assert result.decision in ("draft", "escalate")
    assert result.order_ref is None


def test_always_escalate_words_and_vips(engine: Engine, store: dict[str, int]) -> None:
    angry = run(engine, "order", "Where is order #1002? If it's not here tomorrow I'll file a chargeback.")
    assert angry.decision == "escalate"
    assert any("chargeback" in reason for reason in angry.reasons)
    # Bob is flagged VIP in the store's data, but VIPs are the owner's list: he is answered alone.
    flagged = run(engine, "order", "Where is my order #1005?", sender=BOB)
    assert (flagged.decision, flagged.order_ref) == ("auto", "#1005")
    assert "draft: VIP customer" not in flagged.reasons
    with transaction(engine) as session:
        set_policy(session, "vip_emails", "Bob@Example.com", now=NOW, by="owner")
    listed = run(engine, "order", "Where is my order #1005?", sender=BOB)
    assert (listed.decision, listed.reasons[-1]) == ("draft", "draft: VIP customer")


def test_customers_flagged_vip_count_only_when_the_owner_opts_in(
    engine: Engine, store: dict[str, int]
) -> None:
    with transaction(engine) as session:
        policy = set_policy(session, "vip_flagged_customers", "yes", now=NOW, by="owner")
    assert policy.vip_flagged_customers is True
    flagged = run(engine, "order", "Where is my order #1005?", sender=BOB)
    assert flagged.decision == "draft"
    assert "draft: VIP customer" in flagged.reasons
    jane = run(engine, "Where is my order?", "Hi, where is order #1002? It's been days.\n\nJane")
    assert jane.decision == "auto"


@pytest.mark.parametrize(
    ("setting", "value"), [("mode.order_status", "draft"), ("max_auto_order_value", "10")]
)
def test_the_owners_policy_lowers_autonomy(
    engine: Engine, store: dict[str, int], setting: str, value: str
) -> None:
    with transaction(engine) as session:
        set_policy(session, setting, value, now=NOW, by="owner")
    status = run(engine, "order", "Where is order #1002?")
    cancel = run(engine, "cancel", "Please cancel order #1003.")
    if setting == "mode.order_status":
        assert (status.decision, cancel.decision) == ("draft", "auto")
    else:
        # Only actions on orders are capped by value: the status answer still goes out alone.
        assert (status.decision, cancel.decision) == ("auto", "draft")
        assert Decimal("12.00") > Decimal(value)


def _late(engine: Engine, body: str, days: int = 3) -> TriageResult:
    later = NOW + timedelta(days=days)  # the carrier expected #1002 by March 7
    with transaction(engine) as session:
        ctx = TriageContext.load(session, load_policy(session), later)
        return triage(ctx, IncomingMessage(id="m", sender=JANE, subject="late", body=body))


def test_an_upset_customer_asking_where_a_late_parcel_is_gets_an_apologetic_status_answer(
    engine: Engine, store: dict[str, int]
) -> None:
    result = _late(
        engine, "Where is order #1002?? It still hasn't arrived. This is ridiculous, I'm really not happy."
    )
    assert (result.intent, result.order_ref, result.decision) == ("order_status", "#1002", "auto")
    assert result.reply is not None
    assert result.reply.split("\n\n")[1] == (
        "I'm sorry your order is taking longer than it should - here is where it is."
    )
    assert "UPS expected to deliver it by Saturday, March 7; it's running behind" in result.reply
    assert (result.reply_facts["is_late"], result.reply_facts["estimated_delivery_on"]) == (
        True,
        "2026-03-07",
    )
    calm = _late(engine, "Where is my order #1002?")
    assert calm.decision == "auto"
    assert calm.reply is not None and "it's running behind" in calm.reply and "I'm sorry" not in calm.reply


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            "Order #1002 still hasn't arrived and nobody seems to care. Where is it? This is terrible.",
            "a complaint about the service ('nobody')",
        ),
        (
            "Where is order #1002?? This is the third time I'm writing. Absolutely unacceptable.",
            'a complaint about the service ("third time I\'m writ")',
        ),
        (
            "Where is order #1002?? This is unacceptable, I want my shipping money back.",
            "compensation is asked for ('money back')",
        ),
        (
            "hi folks,\n\ni'm really unhappy with how long my order is taking. it's been 4 days!"
            "\n\norder no 1002",
            "it complains about the wait and asks nothing",
        ),
    ],
)
def test_an_upset_customer_with_a_late_parcel_who_wants_more_than_its_whereabouts_gets_a_person(
    engine: Engine, store: dict[str, int], body: str, reason: str
) -> None:
    result = _late(engine, body)
    assert (result.order_ref, result.decision) == ("#1002", "escalate")
    assert f"escalate: an upset customer whose order is late: {reason}" in result.reasons


def test_a_greeting_to_customer_service_is_no_complaint_about_the_service(
    engine: Engine, store: dict[str, int]
) -> None:
    greeted = _late(
        engine,
        "Dear Customer Service Team,\n\nWhere is order #1002? It still hasn't arrived. This is ridiculous.",
    )
    assert (greeted.intent, greeted.order_ref, greeted.decision, greeted.reasons) == (
        "order_status",
        "#1002",
        "auto",
        [],
    )
    assert greeted.reply is not None and greeted.reply.startswith("Hi Jane,\n\nI'm sorry your order")
    # Said in a sentence, the same words still complain about the service.
    said = _late(
        engine, "Where is order #1002? It still hasn't arrived. Your customer service is ridiculous."
    )
    assert said.decision == "escalate"
    assert (
        "escalate: an upset customer whose order is late: a complaint about the service ('customer service')"
        in said.reasons
    )


def test_a_thank_you_in_words_the_model_does_not_know_is_praise(
    engine: Engine, store: dict[str, int]
) -> None:
    result = run(engine, "Thanks", "Honestly adore my new linen shirt 😍")
    assert (result.intent, result.decision) == ("praise", "auto")
    assert result.reasons == [
        "auto: praise by its words: only positive words, no ask (the model: product_question 0.80)"
    ]
    other = run(engine, "Hi", "Wearing my linen shirt every day, you guys are brilliant!")
    assert (other.intent, other.decision) == ("praise", "auto")
    # A "but", a question, or no one speaking of their own (a search query) is no thank-you alone.
    for body in (
        "Adore my new linen shirt, but the button came off.",
        "Honestly adore my new linen shirt. Can I get it in blue?",
        "best linen shirt for summer",
        # A problem told among kind words: a sentence without a positive word is no thank-you.
        "I've shopped with you for years and always been happy. I was charged twice the total for my order.",
        "Love my new linen shirt! My card was declined the first time though.",
    ):
        result = run(engine, "Hi", body)
        assert result.decision != "auto", body
        assert not any(r.startswith("auto: praise by its words") for r in result.reasons), body


def test_a_line_that_only_names_the_order_or_signs_off_keeps_a_thank_you_one(
    engine: Engine, store: dict[str, int]
) -> None:
    # The model alone: 0.20 for other; "obsessed with" makes it praise 0.67. The order-number line
    # says nothing, kind or unkind: the rest is all praise.
    result = run(
        engine,
        "Happy customer",
        "Good afternoon,\n\nobsessed with my new linen shirt 😍\n\nOrder number: 1001\n\nThank you,\nJane",
    )
    assert (result.intent, result.order_ref, result.decision) == ("praise", "#1001", "auto")
    assert (
        result.reasons[-1]
        == "auto: praise by its words: only positive words, no ask (the model: praise 0.67)"
    )
    assert [
        bool(REFERENCE_ONLY.fullmatch(line))
        for line in (
            "Order: #13277",
            "order no. 13137",
            "- Yuki Patel",
            "- loved it",
            "My order 1234 was perfect",
        )
    ] == [True, True, True, False, False]


def test_an_upset_customer_whose_order_has_not_shipped_after_a_week_gets_a_person(
    engine: Engine, store: dict[str, int]
) -> None:
    # #1003 was placed on March 5 and has not shipped: on March 13 that is the store's own delay.
    later = NOW + timedelta(days=8)
    with transaction(engine) as session:
        ctx = TriageContext.load(session, load_policy(session), later)
        result = triage(
            ctx,
            IncomingMessage(
                id="m", sender=JANE, subject="late", body="Has order #1003 shipped yet?? This is ridiculous!"
            ),
        )
    assert (result.order_ref, result.decision) == ("#1003", "escalate")
    assert (
        "escalate: an upset customer whose order is late: it has not shipped a week after it was placed"
        in result.reasons
    )


@pytest.mark.parametrize(
    ("event", "days", "decision", "reason"),
    [
        ("Delivery exception: package delayed in transit", 4, "auto", None),
        ("Weather delay", 4, "auto", None),
        # Eight days past the expected day (and as long without a scan): the parcel is stuck.
        (
            "Delivery exception: package delayed in transit",
            13,
            "escalate",
            "the carrier reported a delay and the parcel is over 7 days overdue or silent",
        ),
        (
            "Delivery exception: address incomplete, delay expected",
            4,
            "escalate",
            "the parcel's tracking status is exception",
        ),
        (
            "Delivery attempted, no access to building",
            4,
            "escalate",
            "the parcel's tracking status is exception",
        ),
    ],
)
def test_a_carrier_exception_escalates_unless_it_only_reports_a_recent_delay(
    engine: Engine, store: dict[str, int], event: str, days: int, decision: str, reason: str | None
) -> None:
    with transaction(engine) as session:
        shipment = session.scalars(
            select(m.Shipment).where(m.Shipment.order_id == store["order_#1002"])
        ).one()
        session.add(
            m.TrackingEvent(
                shipment_id=shipment.id,
                occurred_at=NOW + timedelta(days=2),
                status="exception",
                description=event,
            )
        )
    result = _late(engine, "Hi, where is order #1002? Thanks", days=days)
    assert result.decision == decision
    if reason is None:
        assert result.reply is not None and f'The latest scan says: "{event}".' in result.reply
        assert (result.reply_facts["tracking_status"], result.reply_facts["is_late"]) == ("exception", True)
    else:
        assert f"escalate: {reason}" in result.reasons


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (
            "Can you change it to 88 Harbour St, Unit 5, Portland, ME 04101?",
            "88 Harbour St, Unit 5, Portland, ME 04101",
        ),
        ("it should be 1501 W 12th St, Austin, TX 78703.", "1501 W 12th St, Austin, TX 78703"),
        ("please send order 14647 to 6 Birch Lane, Boulder, CO 80302", "6 Birch Lane, Boulder, CO 80302"),
        (
            "new address: 2200 Ocean Ave #4, Santa Monica, CA 90405",
            "2200 Ocean Ave #4, Santa Monica, CA 90405",
        ),
        ("call me on 555 1234 about it", None),
    ],
)
def test_new_addresses_are_read_from_the_message(text: str, address: str | None) -> None:
    from sasame.support.triage import find_address

    assert find_address(text) == address


def test_an_address_change_before_shipping(engine: Engine, store: dict[str, int]) -> None:
    result = run(
        engine,
        "address",
        "Please change the delivery address on order #1003 to 27 Elm Court, Madison, WI 53703",
    )
    assert (result.intent, result.decision) == ("change_address", "auto")
    assert [a.to_json() for a in result.actions] == [
        {
            "kind": "change_address",
            "order": "#1003",
            "order_id": store["order_#1003"],
            "address": "27 Elm Court, Madison, WI 53703",
        }
    ]


def test_an_order_status_reading_that_asks_nothing_about_the_parcel_goes_to_a_person(
    engine: Engine, store: dict[str, int]
) -> None:
    result = run(
        engine,
        "Re: Order #1002 has shipped",
        "Hiya\n\nSo much plastic packaging for one linen shirt, not very eco for an 'eco' brand.\n\n"
        "order no #1002",
    )
    assert (result.intent, result.order_ref, result.decision) == ("order_status", "#1002", "escalate")
    assert (
        result.reasons[-1]
        == "escalate: read as an order status question, but it asks nothing about the parcel"
    )
    asked = run(engine, "Re: Order #1002 has shipped", "Hiya, whree is it? order no #1002")
    assert (asked.intent, asked.decision) == ("order_status", "auto")


def test_a_size_up_from_a_size_not_named_waits_for_a_person(engine: Engine, store: dict[str, int]) -> None:
    # "A size up" from the size the customer has, which the message does not say: the catalog
    # cannot tell which variant is meant, and listing the options answers nothing.
    result = run(engine, "Linen shirt", "Hi, do you have the linen shirt in a size up? Thanks", sender=BOB)
    assert (result.intent, result.decision) == ("product_question", "draft")
    assert "draft: asks for a size up or down from one it does not name" in result.reasons
    named = run(engine, "sizes", "Do you have the linen shirt in L?", sender=BOB)
    assert (named.intent, named.decision) == ("product_question", "auto")


def test_a_second_ask_about_other_colours_or_sizes_is_answered_from_the_catalog(
    engine: Engine, store: dict[str, int]
) -> None:
    # The enamel pin has one variant without a size, the linen shirt comes in white only: the
    # catalog's answer to "a size up?" / "other colours?" is no, and it is said, not left to a person.
    pin = run(
        engine,
        "address",
        "Please change the delivery address on order #1003 to 27 Elm Court, Madison, WI 53703\n\n"
        "Also, do you have the same one in a size up?",
    )
    assert (pin.intent, pin.understanding.secondary_intent, pin.decision) == (
        "change_address",
        "product_question",
        "auto",
    )
    assert pin.reply is not None and "The Enamel Pin comes in one size only." in pin.reply
    shirt = run(
        engine,
        "Return",
        "I'd like to return the linen shirt from order #1001, it's too big. "
        "Also - does this come in other colours?",
    )
    assert (shirt.intent, shirt.decision) == ("return_request", "auto")
    assert shirt.reply is not None and "The Linen Shirt comes in white only." in shirt.reply


def test_spam_is_closed_alone_only_when_the_sender_is_no_customer(
    engine: Engine, store: dict[str, int]
) -> None:
    pitch = (
        "Hello,\n\nOur SEO team can get your website to page 1 of Google in 30 days, guaranteed. "
        "Shall I send you a free audit and price list?\n\nRegards,\nMark\nSEO Consultant"
    )
    stranger = run(engine, "Boost your ranking", pitch, sender="mark@seo-boost.example.net")
    assert (stranger.intent, stranger.decision, stranger.reply) == ("spam", "auto", None)
    assert stranger.confidence >= 0.98
    assert [a.kind for a in stranger.actions] == ["mark_spam"]
    # The same words from a customer (Jane has orders) may be a real message the model misread.
    customer = run(engine, "Boost your ranking", pitch, sender=JANE)
    assert (customer.intent, customer.decision) == ("spam", "draft")
    assert "draft: read as spam, but the sender is a customer" in customer.reasons


def test_closing_as_spam_takes_a_higher_bar_than_replying(engine: Engine, store: dict[str, int]) -> None:
    # Read as spam at about 0.95: enough for a reply under the policy's 0.90, not for closing a
    # message unread (a press request misread as spam at 0.92 was closed on a fresh demo store).
    prize = run(
        engine,
        "You won!",
        "Dear winner,\n\nYour email was selected in our lottery. To claim your 500,000 USD prize reply "
        "with your full name and bank details.\n\nMr. Smith",
        sender="claims@lottery.example",
    )
    assert prize.intent == "spam"
    assert 0.90 <= prize.confidence < 0.98
    assert prize.decision == "draft"
    assert prize.reasons == [f"draft: spam confidence {prize.confidence:.2f} < 0.98"]


def test_a_cancellation_read_as_where_is_my_order_is_not_answered_with_tracking(
    engine: Engine, store: dict[str, int]
) -> None:
    # "I haven't received a shipping email" pulls the reading towards order status; the customer
    # asked to cancel, and a status answer would ignore that.
    result = run(
        engine,
        "Re: Order #1003 confirmed",
        "hey there,\nI need to cancel my enamel pin order - I ordered the same thing twice. "
        "I haven't received a shipping email yet.\nThanks in advance\nJane",
    )
    assert result.intent == "order_status"
    assert result.decision != "auto"
    assert "draft: read as an order status question, but it asks to cancel" in result.reasons


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        (
            "Inquiry from Amazon customer Jane Doe (Order: 113-5432249-4489560)",
            "I'm writing about my recent order. I received my order of the linen shirt today but it has "
            "a big tear along the seam.\n\nHope to hear back soon.",
        ),
        (
            "Unacceptable",
            "So much plastic packaging for one linen shirt. Please pass this on to a manager.\n\nRef: #1001",
        ),
        ("Order #1001", "The quality of the linen shirt is not what I expected for the price."),
        ("Linen shirt", "The colour of the linen shirt in white looks nothing like the photos."),
        (
            "Return",
            "I'd like to return the linen shirt from order #1001. The stitching came loose after one "
            "wash, honestly disappointed.",
        ),
    ],
)
def test_fault_and_complaint_words_reach_a_person_whatever_the_reading(
    engine: Engine, store: dict[str, int], subject: str, body: str
) -> None:
    # Must-escalate messages fresh demo stores' models read as order status, a return or a product
    # question: their own words send them to a person.
    result = run(engine, subject, body)
    assert result.intent not in ("damaged_item", "complaint")  # the shipped model misreads them here too
    assert result.decision == "escalate"
    assert any(r.startswith("escalate: the message may be a fault or a complaint:") for r in result.reasons)


def test_a_change_read_for_a_delivered_order_is_not_answered_as_if_it_were_on_its_way(
    engine: Engine, store: dict[str, int]
) -> None:
    # #1001 was delivered on 25 February: "swap it for an M" is an exchange the reading missed,
    # and "once it arrives, send it back" would be wrong.
    result = run(engine, "", "i need to swap Linen Shirt in L for an M please.\n\nOrder: 1001")
    assert (result.intent, result.order_ref, result.decision) == ("change_order", "#1001", "draft")
    assert "draft: a change asked about a delivered order (an exchange?)" in result.reasons
    assert result.reply_facts["can_modify"] is False
    assert result.reply_facts["delivered_on"] == "2026-02-25"
    assert result.reply is not None and "Once it arrives" not in result.reply


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (
            "Confirm your identity: http://sellercentral-amazon.verify-id.net/login",
            "a link that imitates amazon on another domain (sellercentral-amazon.verify-id.net)",
        ),
        ("Download: http://docs-share.biz/inv88412.zip", "a link that downloads zip files (docs-share.biz)"),
        ("Track it at https://www.ups.com/track?tracknum=1Z999", None),
        ("See https://sellercentral.amazon.co.uk/help or https://www.etsy.com/your/orders", None),
        ("our lookbook: https://example.com/lookbook.pdf", None),
    ],
)
def test_links_that_only_phishing_needs_are_found(text: str, found: str | None) -> None:
    from sasame.support.triage import phishing_signal

    assert phishing_signal(text) == found


def test_a_phishing_message_from_a_stranger_is_closed_as_spam_but_never_a_customers(
    engine: Engine, store: dict[str, int]
) -> None:
    body = (
        "Hello,\n\nPlease find attached the overdue invoice. Kindly process payment today to avoid late "
        "fees.\n\nDownload: http://docs-share.biz/inv88412.zip\n\nAccounts"
    )
    stranger = run(engine, "Re: invoice #88412 overdue", body, sender="accounts@docs-share.biz")
    assert (stranger.intent, stranger.decision, stranger.order_ref, stranger.reply) == (
        "spam",
        "auto",
        None,
        None,
    )
    assert [a.to_json() for a in stranger.actions] == [
        {"kind": "mark_spam", "sender": "accounts@docs-share.biz"}
    ]
    assert stranger.reasons == ["auto: spam by its link: a link that downloads zip files (docs-share.biz)"]
    # The same text from a customer is never closed unread.
    customer = run(engine, "Re: invoice #88412 overdue", body, sender=JANE)
    assert customer.decision != "auto"
    assert not any(a.kind == "mark_spam" for a in customer.actions)


def test_the_orders_a_message_can_be_about_weigh_on_its_reading(
    engine: Engine, store: dict[str, int]
) -> None:
    # The text alone reads this product question as "where is my order?" (0.73). From someone with
    # no order at all, no order intent fits: its probability keeps a tenth (Bayes), and so it goes
    # to a person instead of a draft status answer.
    text = "It's a birthday present so I'm a bit anxious. Do you still make the linen shirt in white?"
    stranger = run(engine, "Question", text, sender="new.person@example.org")
    assert (stranger.intent, stranger.confidence, stranger.decision) == ("order_status", 0.2095, "escalate")
    assert stranger.reasons[:2] == [
        "auto: with no recent order, order_status is 0.21 likely (the text alone: 0.73)",
        "escalate: intent confidence 0.21 < 0.50",
    ]
    # Jane has an order on its way, which a status question can be about: the reading stands.
    jane = run(engine, "Question", text)
    assert (jane.intent, jane.confidence, jane.decision) == ("order_status", 0.726, "draft")
    assert not any(r.startswith("auto:") for r in jane.reasons)
    # The other way round: a product question whose runners-up are order intents gains from them.
    # (Not "would you recommend S or M", which asks it in so many words.)
    sizing = "S or M in the linen shirt, what would you recommend? I'm writing about my recent order"
    asked = run(engine, "Question", sizing, sender="new.person@example.org")
    assert (asked.intent, asked.confidence) == ("product_question", 0.7352)
    assert (
        asked.reasons[0]
        == "auto: with no recent order, product_question is 0.74 likely (the text alone: 0.67)"
    )


def test_only_what_rules_an_intent_out_counts_as_the_orders_state(
    engine: Engine, store: dict[str, int]
) -> None:
    from sasame.support import queries
    from sasame.support.triage import _state_fits

    with transaction(engine) as session:
        delivered, on_its_way, unshipped = (
            queries.order_facts(session, store[f"order_#{n}"], NOW) for n in (1001, 1002, 1003)
        )
    # Nothing is returned before it arrives; a delivered parcel can still be missing, and a
    # shipped order can still be asked to be cancelled.
    assert [_state_fits("return_request", [o]) for o in (delivered, on_its_way, unshipped)] == [
        True,
        False,
        False,
    ]
    assert [_state_fits("order_status", [o]) for o in (delivered, on_its_way, unshipped)] == [
        True,
        True,
        True,
    ]
    assert [_state_fits("cancel_order", [o]) for o in (delivered, on_its_way)] == [True, True]
    # ... but a parcel that arrived and went back (a refund on record) is no parcel anyone awaits.
    refunded = replace(
        delivered, refunds=[queries.RefundFacts(id=1, refunded_at=NOW, amount=Decimal("60.00"))]
    )
    assert _state_fits("order_status", [refunded]) is False
    assert _state_fits("order_status", [refunded, on_its_way]) is True
    assert [_state_fits(i, []) for i in ("order_status", "refund_status", "product_question")] == [
        False,
        False,
        True,
    ]


def test_a_refund_still_missing_after_a_return_is_a_refund_question(
    engine: Engine, store: dict[str, int]
) -> None:
    from sasame.support import actions

    with transaction(engine) as session:
        actions.create_return(
            session,
            order_id=store["order_#1001"],
            rma_number="RMA-10001",
            reason="too_large",
            lines=[{"order_line_id": store["line_#1001"], "quantity": 1}],
            now=NOW - timedelta(days=8),
        )
    # The model alone: refund status 0.83. "still haven't received my refund" says so.
    chased = run(
        engine,
        "Refund?",
        "Hello, I posted the linen shirt back last week (order 1001) and still haven't received my refund. "
        "Can you check?",
    )
    assert (chased.intent, chased.order_ref, chased.decision) == ("refund_status", "#1001", "auto")
    assert chased.reply_facts["return_received"] is False
    assert chased.reply is not None and "Your return RMA-10001 hasn't reached us yet." in chased.reply
    # The model alone reads a return request (0.56): "no refund yet" is the refund asked about.
    told = run(
        engine,
        "Refund?",
        "Hi,\n\nIt's been over a week since I sent my return back for order #1001 and no refund yet.\n\nJane",
    )
    assert (told.intent, told.order_ref) == ("refund_status", "#1001")


def test_the_days_a_message_names_are_read_in_the_stores_order() -> None:
    from datetime import date

    from sasame.support.triage import written_days

    today = date(2026, 11, 28)
    assert written_days("my order from 11/19", today, "America/New_York") == {date(2026, 11, 19)}
    assert written_days("my order from 11/10", today, "Europe/London") == {date(2026, 10, 11)}
    assert written_days("placed on November 6, or 6 Dec?", today) == {date(2026, 11, 6), date(2025, 12, 6)}
    assert written_days("on the 30th", today) == {date(2026, 10, 30)}
    assert written_days("I ordered it yesterday", today) == {date(2026, 11, 27)}
    assert written_days("call me on 555 1234", today) == set()


def test_without_a_number_the_day_the_customer_names_picks_the_order(
    engine: Engine, store: dict[str, int]
) -> None:
    # Jane has two delivered orders, #1001 (placed February 20) and #1004 (January 5).
    vague = run(engine, "Return", "How do I return my order? It doesn't fit.")
    assert (vague.order_ref, vague.decision) == (None, "draft")
    dated = run(engine, "Return", "How do I return my order from 2/20? It doesn't fit.")
    assert (dated.intent, dated.order_ref) == ("return_request", "#1001")
    assert dated.reply_facts["return_eligible"] is True


def test_a_cancellation_answers_the_shipping_question_that_comes_with_it(
    engine: Engine, store: dict[str, int]
) -> None:
    text = "Please cancel order #1003, I ordered by mistake.\n\nI haven't received a shipping email yet?!"
    result = run(engine, "cancel", text)
    assert (result.intent, result.understanding.secondary_intent, result.order_ref) == (
        "cancel_order",
        "order_status",
        "#1003",
    )
    # The model alone is unsure (0.77); "Please cancel" says it in so many words, and whether it
    # has shipped is in the answer, so nothing holds it back.
    assert result.reasons == [
        "auto: the message asks in so many words ('Please cancel'): cancel_order is 0.97 likely "
        "(the model alone: 0.77 for cancel_order)"
    ]
    assert result.decision == "auto"
    assert [a.kind for a in result.actions] == ["cancel_order"]


def test_an_address_change_read_as_also_changing_the_order_is_one_ask(
    engine: Engine, store: dict[str, int]
) -> None:
    text = (
        "I put the wrong address on order #1003. Can you change it to 6 Birch Lane, Boulder, CO 80302? Thanks"
    )
    result = run(engine, "address", text)
    assert (result.intent, result.understanding.secondary_intent, result.decision) == (
        "change_address",
        "change_order",
        "auto",
    )
    assert [a.to_json()["address"] for a in result.actions] == ["6 Birch Lane, Boulder, CO 80302"]


def test_a_parcel_not_ordered_yet_is_no_order_to_look_for() -> None:
    from sasame.support.triage import HYPOTHETICAL_ORDER, WHERE_IS_ORDER

    asked = "If I order today will it arrive before Christmas?"
    assert WHERE_IS_ORDER.search(asked) and HYPOTHETICAL_ORDER.search(asked)
    placed = "I ordered on Monday - will my order arrive before Christmas?"
    assert WHERE_IS_ORDER.search(placed) and not HYPOTHETICAL_ORDER.search(placed)


def _store_inbound(engine: Engine, message_id: str, sender: str, body: str, days_ago: int) -> None:
    with transaction(engine) as session:
        ticket = m.SupportTicket(
            thread_key=message_id, subject="Leads", status="open", opened_at=NOW - timedelta(days=days_ago)
        )
        session.add(ticket)
        session.flush()
        session.add(
            m.SupportMessage(
                ticket_id=ticket.id,
                message_id=message_id,
                direction="inbound",
                from_address=sender,
                to_address="shop@example.com",
                subject="Leads",
                body=body,
                sent_at=NOW - timedelta(days=days_ago),
            )
        )


def test_a_spam_reading_sent_again_word_for_word_by_a_stranger_is_closed(
    engine: Engine, store: dict[str, int]
) -> None:
    body = (
        "Hi,\n\nWould you be interested in a verified list of 25,000 boutique owners with emails "
        "and phone numbers? Special price this week."
    )
    stranger = "Lead Seller <sales@leads.example.org>"

    def read(sender: str, message_id: str) -> TriageResult:
        with transaction(engine) as session:
            ctx = TriageContext.load(session, load_policy(session), NOW)
            message = IncomingMessage(
                id=message_id,
                sender=sender,
                subject="Leads",
                body=body,
                message_id=message_id,
                received_at=NOW,
            )
            return triage(ctx, message)

    first = read(stranger, "<m2@leads>")
    assert (first.intent, first.decision) == ("spam", "draft")  # read as spam, but not sure enough
    # "a verified list of" is a cold pitch's words: 0.80 from the model, 0.98 with them, short of
    # the closing bar (0.98).
    assert first.reasons[0] == (
        "auto: the message asks in so many words ('verified list of'): spam is 0.98 likely "
        "(the model alone: 0.80 for spam)"
    )
    assert first.confidence == 0.9751
    # The same text from the same address a week earlier: bulk mail, closed without a reply.
    _store_inbound(engine, "<m1@leads>", stranger, body, days_ago=7)
    again = read(stranger, "<m2@leads>")
    assert (again.intent, again.decision, again.reply) == ("spam", "auto", None)
    assert again.confidence == 0.7969  # the model's own reading: the repetition decides, not a number
    assert again.reasons == ["auto: read as spam, and the sender sent this very text before"]
    assert [a.kind for a in again.actions] == ["mark_spam"]
    # Another address sending it, or only a later copy on record: no evidence.
    assert read("other@leads.example.org", "<m3@leads>").decision == "draft"
    with transaction(engine) as session:
        ctx = TriageContext.load(session, load_policy(session), NOW - timedelta(days=8))
        early = IncomingMessage(id="m0", sender=stranger, subject="Leads", body=body, received_at=ctx.now)
        assert triage(ctx, early).decision == "draft"
    # A customer's message is never closed unread, however often they send it.
    _store_inbound(engine, "<m4@leads>", JANE, body, days_ago=3)
    assert read(JANE, "<m5@leads>").decision != "auto"


def test_a_pitch_spam_only_by_its_words_sent_again_word_for_word_is_closed(
    engine: Engine, store: dict[str, int]
) -> None:
    # The model alone reads this cold pitch as out of scope; "verified list of" makes it spam, not
    # surely enough to close it. The same text from the same address before: bulk mail.
    body = (
        "Hi! Interested in a verified list of 8,000 Shopify store owners in Australia? "
        "Happy to send a sample file."
    )
    seller = "data@lists.example.net"

    def read(sender: str, message_id: str) -> TriageResult:
        with transaction(engine) as session:
            ctx = TriageContext.load(session, load_policy(session), NOW)
            message = IncomingMessage(
                id=message_id, sender=sender, subject="Quick question", body=body, message_id=message_id
            )
            return triage(ctx, message)

    cue = (
        "auto: the message asks in so many words ('verified list of'): spam is 0.71 likely "
        "(the model alone: 0.61 for other)"
    )
    first = read(seller, "<p2@lists>")
    assert (first.intent, first.decision, first.confidence) == ("spam", "draft", 0.7086)
    assert first.reasons[0] == cue
    _store_inbound(engine, "<p1@lists>", seller, body, days_ago=5)
    again = read(seller, "<p2@lists>")
    assert (again.intent, again.decision, again.reply) == ("spam", "auto", None)
    assert again.reasons == [cue, "auto: read as spam, and the sender sent this very text before"]
    assert [a.kind for a in again.actions] == ["mark_spam"]
    # A customer sending the same text twice is read by a person.
    _store_inbound(engine, "<p3@lists>", JANE, body, days_ago=2)
    assert read(JANE, "<p4@lists>").decision != "auto"


def test_an_influencers_pitch_for_free_products_is_spam_in_so_many_words(
    engine: Engine, store: dict[str, int]
) -> None:
    body = (
        "Hey lovely! Big fan of your brand. I can promote your brand to my followers in exchange for "
        "free items + $150. xx"
    )
    # The model alone: spam 0.93, short of the bar to close unread (0.98); the pitch's words lift it.
    pitch = run(engine, "Partnership", body, sender="kayla.glow@example.net")
    assert (pitch.intent, pitch.decision, pitch.confidence, pitch.reply) == ("spam", "auto", 0.9922, None)
    assert pitch.reasons == [
        "auto: the message asks in so many words ('promote your brand to my followers'): spam is 0.99 likely "
        "(the model alone: 0.93 for spam)"
    ]
    # The same words from a customer are read by a person.
    assert run(engine, "Partnership", body).decision == "draft"


def test_a_change_naming_the_variant_the_order_also_holds_changes_the_other_line(
    engine: Engine, store: dict[str, int]
) -> None:
    # Unfulfilled #1003 gets a linen shirt in S and one in L: "switch the linen shirt to L" can
    # only mean the S one (the L is what the customer wants more of).
    with transaction(engine) as session:
        for size in ("S", "L"):
            session.add(
                line(
                    store["order_#1003"],
                    store[f"variant_{size}"],
                    f"LIN-WHT-{size}",
                    f"Linen Shirt - White / {size}",
                    "60.00",
                )
            )
    result = run(
        engine, "Change", "Could you please switch the linen shirt in order #1003 to L?\n\nThanks,\nJ"
    )
    assert (result.intent, result.order_ref, result.decision) == ("change_order", "#1003", "auto")
    assert [(a.kind, a.params["from_sku"], a.params["to_sku"]) for a in result.actions] == [
        ("change_item", "LIN-WHT-S", "LIN-WHT-L")
    ]


def test_a_product_named_with_its_number_is_not_its_shorter_namesake(
    engine: Engine, store: dict[str, int]
) -> None:
    # Unfulfilled #1003 gets a linen shirt in S and, added here, a Linen Shirt No. 2 in S.
    with transaction(engine) as session:
        second = m.Product(handle="linen-shirt-2", title="Linen Shirt No. 2", category="tops")
        session.add(second)
        session.flush()
        for size in ("S", "M"):
            session.add(
                m.Variant(
                    product_id=second.id,
                    sku=f"LIN2-WHT-{size}",
                    title=f"Linen Shirt No. 2 - White / {size}",
                    size=size,
                    colour="White",
                    price=Decimal("65.00"),
                    currency="USD",
                    unit_cost=Decimal("24.00"),
                    weight_grams=300,
                )
            )
        session.flush()
        second_s = session.query(m.Variant).filter_by(sku="LIN2-WHT-S").one()
        order_id = store["order_#1003"]
        session.add(line(order_id, store["variant_S"], "LIN-WHT-S", "Linen Shirt - White / S", "60.00"))
        session.add(line(order_id, second_s.id, "LIN2-WHT-S", "Linen Shirt No. 2 - White / S", "65.00"))
    numbered = run(engine, "Change", "Could you please switch the linen shirt no. 2 in order #1003 to M?")
    assert (numbered.intent, numbered.order_ref) == ("change_order", "#1003")
    assert (numbered.reply_facts["item_sku"], numbered.reply_facts["wanted_sku"]) == (
        "LIN2-WHT-S",
        "LIN2-WHT-M",
    )
    assert "draft: the change asked for is unclear" not in numbered.reasons
    # "the linen shirt" may be either: customers shorten "No. 2" away.
    short = run(engine, "Change", "Could you please switch the linen shirt in order #1003 to M?")
    assert "draft: the change asked for is unclear" in short.reasons


def test_an_item_named_in_a_short_or_misspelt_form_is_the_orders_line_of_that_product(
    engine: Engine, store: dict[str, int]
) -> None:
    # Delivered #1001 also holds an enamel pin; "the lnen shirt" names no line word for word, but
    # the catalog matches it to the linen shirt, of which the order has one line.
    with transaction(engine) as session:
        session.add(line(store["order_#1001"], store["variant_PIN"], "PIN-1", "Enamel Pin", "12.00"))
    result = run(engine, "Return", "I'd like to return the lnen shirt from order #1001, it's too big.")
    assert (result.intent, result.order_ref, result.decision) == ("return_request", "#1001", "auto")
    assert result.reply_facts["item_sku"] == "LIN-WHT-L"
    assert [line["sku"] for line in result.actions[0].params["lines"]] == ["LIN-WHT-L"]


def test_a_size_said_of_a_product_without_sizes_does_not_make_a_change_unclear(
    engine: Engine, store: dict[str, int]
) -> None:
    with transaction(engine) as session:
        pin = session.get(m.Variant, store["variant_PIN"])
        assert pin is not None
        gold = m.Variant(
            product_id=pin.product_id,
            sku="PIN-GOLD",
            title="Enamel Pin - Gold",
            colour="Gold",
            price=Decimal("12.00"),
            currency="USD",
            unit_cost=Decimal("3.00"),
            weight_grams=20,
        )
        session.add(gold)
        session.flush()
        session.add(
            m.StockLevel(variant_id=gold.id, location_id=store["warehouse"], on_hand=9, counted_at=NOW)
        )
    text = "Is it too late to change my order #1003? I'd like the enamel pin in gold instead. I'm an S."
    result = run(engine, "Change", text)
    assert (result.intent, result.order_ref, result.decision) == ("change_order", "#1003", "auto")
    assert [(a.kind, a.params["from_sku"], a.params["to_sku"]) for a in result.actions] == [
        ("change_item", "PIN-1", "PIN-GOLD")
    ]


@pytest.mark.parametrize(
    "body",
    [
        "I got a pink linen shirt instead of white. Please fix this.\n\nPlease get back to me asap.",
        "i received the linen shirt in white but there's a black one instead of the enamel pin. ref 1001",
    ],
)
def test_an_item_received_instead_of_the_one_ordered_reaches_a_person(
    engine: Engine, store: dict[str, int], body: str
) -> None:
    # Without store memory the first was read as an exchange and drafted (a must-escalate message
    # a click could have answered with an RMA): what came instead of what was ordered is a wrong item.
    result = run(engine, "Urgent", body)
    assert result.decision == "escalate"
    assert result.intent == "wrong_item" or any(
        r.startswith("escalate: the message may be a fault or a complaint:") for r in result.reasons
    )


@pytest.mark.parametrize(
    "body",
    [
        "Could you send me an L instead of the S I got? It's too small.",
        "I'd like the linen shirt in L instead of S please.",
    ],
)
def test_an_exchange_asked_with_instead_is_no_wrong_item(
    engine: Engine, store: dict[str, int], body: str
) -> None:
    result = run(engine, "Exchange", body)
    assert not any("fault or a complaint" in r for r in result.reasons)


def test_the_size_wanted_in_an_exchange_does_not_pick_another_products_order(
    engine: Engine, store: dict[str, int]
) -> None:
    # Jane's linen shirts: L in #1001 (delivered February 25), S in #1004 (January 10). Give #1004
    # an enamel pin recorded in size M: "swap my linen shirt for an M" wants M, and the pin's M
    # says nothing about which shirt.
    with transaction(engine) as session:
        session.get(m.Variant, store["variant_PIN"]).size = "M"  # type: ignore[union-attr]
        session.add(line(store["order_#1004"], store["variant_PIN"], "PIN-1", "Enamel Pin", "12.00"))
    result = run(engine, "Size exchange", "Can I swap my linen shirt for an M?")
    assert (result.intent, result.order_ref, result.decision) == ("exchange_request", None, "draft")
    assert "draft: no order number given and 2 of the sender's orders could be meant" in result.reasons
    # Too small for an M: the S shirt (#1004), not the L.
    small = run(engine, "Size exchange", "Can I swap my linen shirt for an M? It's too small.")
    assert (small.intent, small.order_ref) == ("exchange_request", "#1004")
    # The size the customer has ("the L I got") still picks the order.
    held = run(engine, "Size exchange", "Can I swap the linen shirt in L I got for an M? It's too big.")
    assert (held.intent, held.order_ref) == ("exchange_request", "#1001")
    # Nor does the size asked for pick the order that holds one: the S shirt (#1004) is not the
    # one too big to wear; the L (#1001) is.
    wanted = run(engine, "Inquiry", "The linen shirt is too big, could I exchange it for S?")
    assert (wanted.intent, wanted.order_ref) == ("exchange_request", "#1001")
    # The catalog's match of "linen shirt for an L" is the L variant, and the L shirt's order is
    # not the one to swap for an L.
    swap_l = run(engine, "Size exchange", "Can I swap my linen shirt for an L?")
    assert (swap_l.intent, swap_l.order_ref) == ("exchange_request", "#1004")


def test_an_exchange_asked_in_so_many_words_is_answered(engine: Engine, store: dict[str, int]) -> None:
    # The model alone: exchange 0.74. "I'd like to exchange <the item> for a <variant>" is the ask.
    result = run(
        engine, "Exchange", "I'd like to exchange the linen shirt from order #1001 for a medium please."
    )
    assert (result.intent, result.order_ref, result.decision) == ("exchange_request", "#1001", "auto")
    assert result.confidence == 0.9669
    assert result.reply_facts["wanted_sku"] == "LIN-WHT-M"
    assert result.reply_facts["wanted_in_stock"] is False
    assert [a.kind for a in result.actions] == ["create_return"]
    # "Could you send me an L instead of the S I got?" swaps one they have for another; "swp" is a swap.
    instead = run(
        engine, "Question", "Could you send me an L instead of the S I got? Happy to send the S back."
    )
    assert instead.intent == "exchange_request"
    assert instead.confidence >= 0.9 and "draft: intent confidence" not in " ".join(instead.reasons)
    typed = ASK_CUES["exchange_request"].search("i need to swp rib beanie in rust for a charcoal please.")
    assert typed is not None and typed.group(0) == "i need to swp rib beanie in rust for a"
    # "Mug No. 2" or "order no. 13137" ends no sentence in the cues.
    cue = ASK_CUES["exchange_request"].search("I need to swap Stoneware Mug No. 2 for a charcoal one please.")
    assert cue is not None and cue.group(0) == "I need to swap Stoneware Mug No. 2 for a"
    refund = ASK_CUES["refund_status"].search("has my return for order no. 13137 been received?")
    assert refund is not None and refund.group(0) == "my return for order no. 13137 been received"


def test_a_change_or_cancellation_asked_in_so_many_words_is_answered(
    engine: Engine, store: dict[str, int]
) -> None:
    # #1003 (placed this morning, unfulfilled) also holds a linen shirt in S.
    with transaction(engine) as session:
        session.add(
            line(store["order_#1003"], store["variant_S"], "LIN-WHT-S", "Linen Shirt - White / S", "60.00")
        )
    # The model alone: change 0.83. "can you change the linen shirt to L" is the ask.
    result = run(
        engine,
        "(no subject)",
        "Good afternoon!\n\nI just placed #1003 and picked the wrong size - "
        "can you change the linen shirt to L?\n\nJane",
    )
    assert (result.intent, result.order_ref, result.decision) == ("change_order", "#1003", "auto")
    assert result.confidence == 0.9806
    assert [a.to_json()["to_sku"] for a in result.actions] == ["LIN-WHT-L"]
    change, cancel = ASK_CUES["change_order"], ASK_CUES["cancel_order"]
    assert change.search("could you please switch the Stoneware Mug No. 2 in my order from today to oat?")
    # A new address is no item change.
    assert change.search("can you change it to 930 Pine Street, Suite 210, Seattle?") is None
    assert cancel.search("Can you cancel order no. 14821 please? I found something else.")


def test_the_colour_of_the_item_to_return_picks_the_order(engine: Engine, store: dict[str, int]) -> None:
    # Jane's linen shirts: white L in #1001 (delivered February 25), and, recoloured here, blue S
    # in #1004 (January 10).
    with transaction(engine) as session:
        session.get(m.Variant, store["variant_S"]).colour = "Blue"  # type: ignore[union-attr]
    result = run(engine, "Return", "Hi, I'd like to return the linen shirt in white please. Jane")
    assert (result.intent, result.order_ref) == ("return_request", "#1001")
    assert "draft: no order number given and 2 of the sender's orders could be meant" not in result.reasons
    # In an exchange the colour written is the one wanted: the order already holding it is not
    # the one to exchange (the blue shirt's #1004), the other is.
    wanted = run(engine, "Exchange", "I love the linen shirt but need it in blue. How does an exchange work?")
    assert (wanted.intent, wanted.order_ref) == ("exchange_request", "#1001")
    white = run(engine, "Exchange", "I love the linen shirt but need it in white. How does an exchange work?")
    assert (white.intent, white.order_ref) == ("exchange_request", "#1004")


def test_the_colour_asked_for_does_not_pick_the_line_to_exchange(
    engine: Engine, store: dict[str, int]
) -> None:
    # #1001 holds the linen shirt in white and, added here, in blue (both L).
    with transaction(engine) as session:
        white = session.get(m.Variant, store["variant_L"])
        assert white is not None
        blue = m.Variant(
            product_id=white.product_id,
            sku="LIN-BLU-L",
            title="Linen Shirt - Blue / L",
            size="L",
            colour="Blue",
            price=Decimal("60.00"),
            currency="USD",
            unit_cost=Decimal("22.50"),
            weight_grams=300,
        )
        session.add(blue)
        session.flush()
        session.add(line(store["order_#1001"], blue.id, "LIN-BLU-L", "Linen Shirt - Blue / L", "60.00"))
    text = "I'd like to exchange the linen shirt in white from order #1001 for the blue one."
    result = run(engine, "Exchange", text)
    assert (result.intent, result.order_ref) == ("exchange_request", "#1001")
    assert "draft: which item to exchange is unclear" not in result.reasons
    assert (result.reply_facts["item_sku"], result.reply_facts["wanted_sku"]) == ("LIN-WHT-L", "LIN-BLU-L")


def test_where_is_my_order_asked_in_other_plain_words_is_answered(
    engine: Engine, store: dict[str, int]
) -> None:
    # The model alone: order status 0.67 ("by the weekend" also reads like a shipping question).
    result = run(
        engine,
        "Order",
        "Good morning, I need the enamel pin by the weekend, will my recent order arrive in time?",
    )
    assert (result.intent, result.order_ref, result.decision) == ("order_status", "#1003", "auto")
    assert result.reasons == [
        "auto: the message asks in so many words ('will my recent order arrive'): "
        "order_status is 0.95 likely (the model alone: 0.67 for order_status)"
    ]
    assert result.reply_facts["is_shipped"] is False
    cue = ASK_CUES["order_status"]
    assert cue.search("Morning, has my recent order shipped yet??")
    assert cue.search("Is there any way to find out where my order is?")


def test_an_ask_in_so_many_words_weighs_on_the_reading(engine: Engine, store: dict[str, int]) -> None:
    from sasame.support.triage import ASK_CUE_LIKELIHOOD_RATIO, _with_ask_cue
    from sasame.support.understanding import understand

    # Bayes over the model's top readings: refund status 0.4 times 10, renormalised.
    u = replace(
        understand("", "hiya! where is my refud?? my recent order"),
        ranked=(("order_status", 0.5), ("refund_status", 0.4), ("return_request", 0.1)),
    )
    ranked, words = _with_ask_cue(u)  # type: ignore[misc]
    assert ASK_CUE_LIKELIHOOD_RATIO == 10.0
    assert words == "where is my refud"
    assert ranked == (("refund_status", 0.8696), ("order_status", 0.1087), ("return_request", 0.0217))
    # An ask the model does not count among its readings is not forced on it ...
    assert _with_ask_cue(replace(u, ranked=(("order_status", 0.9), ("return_request", 0.1)))) is None
    # ... nor one that even ten times as likely stays behind another reading ...
    assert _with_ask_cue(replace(u, ranked=(("order_status", 0.95), ("refund_status", 0.05)))) is None
    # ... and two asks in so many words are no evidence for either.
    two = replace(u, clean_text="Where is my refund? Also please cancel my order.")
    assert _with_ask_cue(two) is None


@pytest.mark.parametrize(
    ("body", "cued"),
    [
        (
            "Please cancel my order #1003. Your customer service is appalling and nobody answers.",
            "cancel_order",
        ),
        (
            "I'd like to return the linen shirt from order #1001, the quality is shocking and I'm very "
            "disappointed.",
            "return_request",
        ),
    ],
)
def test_an_ask_in_so_many_words_never_clears_a_complaint_the_model_finds_plausible(
    engine: Engine, store: dict[str, int], body: str, cued: str
) -> None:
    # The model alone reads a complaint first (0.46, 0.49); the cue makes the ask the reading, and
    # the complaint the model found plausible still sends it to a person.
    result = run(engine, "Order", body)
    assert result.understanding.ranked[0][0] == cued
    assert result.intent == cued
    assert result.decision == "escalate"
    assert "escalate: it may be complaint (probability >= 0.1)" in result.reasons


def test_another_ask_in_so_many_words_makes_the_answer_a_draft(engine: Engine, store: dict[str, int]) -> None:
    # Read as the code question, the answer would say nothing about the parcel asked after first.
    result = run(
        engine,
        "Help - order 1002",
        "Any update on my linen shirt order?\n\nAlso, my discount code didn't work at checkout.",
    )
    assert (result.intent, result.decision) == ("discount_question", "draft")
    assert result.reasons[-1] == "draft: the message also asks about order_status in so many words"


@pytest.mark.parametrize(
    ("body", "intent"),
    [
        ("wht's the satus of my order #1002", "order_status"),
        ("Any upddate on my order? Ref: #1002", "order_status"),
    ],
)
def test_the_checks_read_misspelt_words_as_meant(
    engine: Engine, store: dict[str, int], body: str, intent: str
) -> None:
    # "satus" and "upddate" ask about the parcel as much as "status" and "update" do.
    result = run(engine, "", body)
    assert result.intent == intent
    assert not any("asks nothing about the parcel" in r for r in result.reasons)


def test_the_day_an_order_was_placed_is_read_apart_from_other_days() -> None:
    from datetime import date

    from sasame.support.triage import delivery_days, order_days

    today = date(2026, 11, 28)
    text = "the crew socks from the order I placed on 11/3 for the rust one. I got it on November 5."
    assert order_days(text, today, "America/New_York") == {date(2026, 11, 3)}
    assert order_days("I ordered it yesterday", today) == {date(2026, 11, 27)}
    assert order_days("my order from 11/19", today, "America/New_York") == set()  # no "placed" word
    assert order_days("When can I expect the order I placed 6 days ago?", today) == {date(2026, 11, 22)}
    # A delivery's day is not the order's: "I got it 3 days ago" names no day it was placed.
    assert order_days("I got it 3 days ago", today) == set()
    # It is the day the parcel arrived, matched against deliveries ("I got it on 11/13" about the
    # candle delivered on the 13th, not the order placed that day).
    assert delivery_days("How does an exchange work? I got it on 11/13.", today, "America/New_York") == {
        date(2026, 11, 13)
    }
    assert delivery_days("it arrived 3 days ago", today) == {date(2026, 11, 25)}
    assert delivery_days("I placed it on 11/3", today, "America/New_York") == set()


def test_a_thank_you_for_a_parcel_received_today_guesses_no_order(
    engine: Engine, store: dict[str, int]
) -> None:
    # #1002 was delivered this morning; Jane's earlier parcels (#1001, #1004) arrived too. A
    # thank-you needs no order, and "today" only guesses at which parcel she means.
    with transaction(engine) as session:
        shipment = session.query(m.Shipment).filter_by(order_id=store["order_#1002"]).one()
        shipment.delivered_at = NOW - timedelta(hours=3)
    result = run(engine, "Thank you!", "Received my order today - the quality is amazing. Thank you so much!")
    assert (result.intent, result.order_ref, result.decision) == ("praise", None, "auto")


def test_a_change_asked_of_an_order_just_delivered_sets_up_no_return_unasked(
    engine: Engine, store: dict[str, int]
) -> None:
    from sasame.support.triage import CHANGE_NOT_EXCHANGE, EXCHANGE_WORDS

    # #1001 was delivered on February 25. "Change my order" believes it open: no return goes out
    # alone, whether it is read as a change (here) or as an exchange (the guard below).
    text = "can i change my order #1001? i'd like the linen shirt in M instead of L."
    change = run(engine, "Change", text)
    assert (change.intent, change.decision, [a.kind for a in change.actions]) == ("change_order", "draft", [])
    assert change.reasons[-1] == "draft: a change asked about a delivered order (an exchange?)"
    parcel = "can i change my parcel? i'd like the mountain tee in XL instead of L."
    assert CHANGE_NOT_EXCHANGE.search(parcel) and not EXCHANGE_WORDS.search(parcel)
    assert EXCHANGE_WORDS.search("can I change my order and exchange the tee for an XL?")


def test_the_size_an_exchange_asks_for_is_read_after_a_size_word() -> None:
    from sasame.support.triage import _asked_values

    # "for a size L" asks for the L (the word "size" was taken for the value, so the L picked the
    # older order already holding an L tee).
    assert _asked_values("can i exchange the classic crew tee for a size l?") == {"l"}
    assert _asked_values("swap it for an m") == {"m"}
    assert _asked_values("could you change it to extra large") == {"extra large"}


def test_the_order_placed_days_ago_is_the_one_asked_about(engine: Engine, store: dict[str, int]) -> None:
    # Jane has #1002 (placed March 1, in transit) and #1003 (placed today, unfulfilled).
    result = run(engine, "WHERE IS MY ORDER", "When can I expect the order I placed 4 days ago?")
    assert (result.intent, result.order_ref) == ("order_status", "#1002")


def test_the_days_a_message_names_count_from_when_it_was_written(
    engine: Engine, store: dict[str, int]
) -> None:
    # "Yesterday" in a message read today is Wednesday March 4 (#1003 was placed March 5, a day
    # either side counts); in one written on Monday March 2 and read only now, it is March 1: #1002.
    text = "When will the order I placed yesterday arrive?"
    now = run(engine, "Order", text)
    monday = run(engine, "Order", text, written_at=datetime(2026, 3, 2, 15, tzinfo=UTC))
    assert (now.intent, now.order_ref) == ("order_status", "#1003")
    assert (monday.intent, monday.order_ref) == ("order_status", "#1002")


def test_the_size_a_customer_usually_wears_picks_no_order(engine: Engine, store: dict[str, int]) -> None:
    # Jane's delivered orders hold an L shirt (#1001) and an S shirt (#1004): "I'm usually a S" says
    # who she is, not which parcel she thanks us for, so the thank-you names no order.
    text = "I'm usually a S in most brands. Just a quick thank you - everything arrived perfectly."
    result = run(engine, "Question", text)
    assert (result.intent, result.order_ref, result.decision) == ("praise", None, "auto")


def test_a_quoted_tracking_number_names_the_parcel(engine: Engine, store: dict[str, int]) -> None:
    # Jane's #1002 is the parcel in transit; the number she quotes (spaced as on a label) is #1001's.
    text = "what's the status of my parcel!! The tracking number is 9400 1118 9922 3344 5566 77."
    result = run(engine, "Tracking", text)
    assert (result.intent, result.order_ref) == ("order_status", "#1001")
    assert result.reply_facts["tracking_number"] == "9400111899223344556677"


def test_a_message_is_about_an_order_placed_before_it_was_written(
    engine: Engine, store: dict[str, int]
) -> None:
    # #1002 (shipped Tuesday) and #1003 (placed today at 10:00Z) may both be meant now; a
    # cancellation written at 09:00Z cannot be about #1003.
    text = "Please cancel my order, I ordered by mistake."
    now = run(engine, "Cancel", text)
    before = run(engine, "Cancel", text, written_at=datetime(2026, 3, 5, 9, tzinfo=UTC))
    assert (now.intent, now.order_ref, now.decision) == ("cancel_order", None, "draft")
    assert (before.intent, before.order_ref) == ("cancel_order", "#1002")


def test_a_change_asked_right_after_ordering_is_answered_even_once_delivered(
    engine: Engine, store: dict[str, int]
) -> None:
    # #1001 was delivered on February 25. Asked without a word of ordering just now, the change is
    # more likely an exchange the reading missed; "I only ordered a few minutes ago" is not one.
    vague = run(engine, "Change", "Could you please switch the linen shirt in order #1001 to size M?")
    fresh = run(
        engine,
        "Change",
        "Could you please switch the linen shirt in order #1001 to size M? I only ordered a few minutes ago.",
    )
    for result in (vague, fresh):
        assert (result.intent, result.order_ref) == ("change_order", "#1001")
        assert result.reply_facts["can_modify"] is False
        assert result.reply_facts["delivered_on"].startswith("2026-02-25")
    assert "draft: a change asked about a delivered order (an exchange?)" in vague.reasons
    assert not any("a change asked about a delivered order" in r for r in fresh.reasons)


def test_a_change_to_what_the_order_already_holds_is_not_turned_around(
    engine: Engine, store: dict[str, int]
) -> None:
    # Unfulfilled #1003 holds a linen shirt in L only (as after the change was already made):
    # "switch the linen shirt in S to L" must not become "change the L to an S".
    with transaction(engine) as session:
        session.add(
            line(store["order_#1003"], store["variant_L"], "LIN-WHT-L", "Linen Shirt - White / L", "60.00")
        )
    text = "Could you please switch the linen shirt in S in order #1003 to L? I only ordered it today."
    result = run(engine, "Change my order", text)
    assert (result.intent, result.order_ref, result.decision) == ("change_order", "#1003", "draft")
    assert "draft: the change asked for is unclear" in result.reasons
    assert result.actions == []


@pytest.mark.parametrize(
    "body",
    [
        "The linen shirt I ordered on Thursday still hasn't arrived and nobody seems to care. "
        "I expected beter.",
        "Order #1002 is still not here and no one even cares.",
    ],
)
def test_a_complaint_about_nobody_caring_reaches_a_person(
    engine: Engine, store: dict[str, int], body: str
) -> None:
    result = run(engine, "Not happy", body)
    assert result.decision == "escalate"
    cue = [r for r in result.reasons if r.startswith("escalate: the message may be a fault or a complaint:")]
    assert cue or result.intent == "complaint"
