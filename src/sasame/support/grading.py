"""Grade a triage result against a labelled message: intent, order, and every fact the reply states.

A label (the demo's ground truth, or any LABELLED.jsonl line) carries the true intent, the order
number (or none) and ``facts``: what is true about the order and the question at the time.
An answered message is correct when

* the intent is the labelled one;
* the order is the labelled one (a reply about no order is right only when none is labelled);
* every fact the reply states that the label also knows has the labelled value (dates as ISO days,
  money as decimal strings, names compared without case), and
* the reply states the facts a correct answer to that intent cannot leave out, when the label
  has them (``REQUIRED``): the tracking number of a shipped order, the refund amount, whether a
  return is still possible, ...; and it quotes exactly the owner's store answers (``faq_<topic>``)
  the question asks for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sasame.support.triage import ORDER_INTENTS, TriageResult

REQUIRED: dict[str, tuple[str, ...]] = {
    "order_status": ("is_shipped", "tracking_number", "estimated_delivery_on", "delivered_on", "is_late"),
    "return_request": ("return_eligible",),
    "exchange_request": ("return_eligible", "wanted_sku", "wanted_in_stock"),
    "cancel_order": ("can_modify",),
    "change_address": ("can_modify",),
    "change_order": ("can_modify",),
    "refund_status": ("is_refunded", "refund_amount"),
    "product_question": ("product",),
    "shipping_question": ("country",),
    "discount_question": ("discount_codes",),
    "payment_issue": ("financial_status",),
}
"""Per intent, the labelled facts a correct reply must state whenever the label has a value."""
REQUIRED_WHEN_ASKED: dict[str, tuple[str, ...]] = {
    "product_question": ("sku", "in_stock", "next_arrival_on"),
}
"""A reply naming several options satisfies these through its per-SKU ``availability``."""
"""Facts required only when the customer named the variant (the label has its size or colour)."""


@dataclass
class Grade:
    intent_ok: bool
    order_ok: bool
    facts_ok: bool
    problems: list[str] = field(default_factory=list)

    @property
    def correct(self) -> bool:
        return self.intent_ok and self.order_ok and self.facts_ok


def _same(stated: Any, labelled: Any) -> bool:
    if isinstance(stated, str) and isinstance(labelled, str):
        return stated.strip().lower() == labelled.strip().lower()
    if isinstance(labelled, bool) or isinstance(stated, bool):
        return bool(stated) == bool(labelled) and stated is not None and labelled is not None
    if stated is None or labelled is None:
        return stated is None and labelled is None
    return str(stated) == str(labelled)


def grade(result: TriageResult, label: dict[str, Any]) -> Grade:
    problems: list[str] = []
    intent_ok = result.intent == label.get("intent")
    if not intent_ok:
        problems.append(f"intent {result.intent} != {label.get('intent')}")
    labelled_order = label.get("order_number")
    states_order = bool(result.reply_facts.get("order_number")) or result.intent in ORDER_INTENTS
    if labelled_order and states_order:
        order_ok = result.order_ref == labelled_order
    elif labelled_order:
        # A thank-you or a general answer that names no order is not wrong about the order.
        order_ok = result.order_ref in (None, labelled_order)
    else:
        order_ok = not result.reply_facts.get("order_number")
    if not order_ok:
        problems.append(f"order {result.order_ref} != {labelled_order}")
    facts: dict[str, Any] = label.get("facts") or {}
    facts_ok = True
    if result.reply is not None and order_ok:
        availability = result.reply_facts.get("availability") or {}
        stated_facts = dict(result.reply_facts)
        sku = facts.get("sku")
        if isinstance(sku, str) and sku in availability and "sku" not in stated_facts:
            # A reply listing several options states the labelled variant's availability among them.
            stated_facts |= {"sku": sku, **availability[sku]}
        for key, stated in stated_facts.items():
            if key in facts and not _same(stated, facts[key]):
                facts_ok = False
                problems.append(f"fact {key}: reply says {stated!r}, label {facts[key]!r}")
        required = list(REQUIRED.get(result.intent, ()))
        if (facts.get("size") or facts.get("colour")) and facts.get(
            "topic", "availability"
        ) == "availability":
            required += REQUIRED_WHEN_ASKED.get(result.intent, ())
        if facts.get("is_refunded") is False:
            required.append("return_received")
        if facts.get("is_shipped") is False and "is_late" in required:
            required.remove("is_late")
        if facts.get("return_eligible") is False:
            # Past the window the answer is no; which variant was wanted no longer matters.
            required = [key for key in required if not key.startswith("wanted_")]
        # The owner's store answers (``faq_<topic>``, see support.knowledge): the reply quotes every
        # one the question asks for and no other (an answer to a question not asked is wrong too).
        required += [key for key in facts if key.startswith("faq_")]
        for key in stated_facts:
            if key.startswith("faq_") and key not in facts:
                facts_ok = False
                problems.append(f"fact {key}: the reply quotes a store answer the question did not ask for")
        for key in required:
            if facts.get(key) is not None and key not in stated_facts:
                facts_ok = False
                problems.append(f"fact {key} ({facts[key]!r}) is missing from the reply")
    return Grade(intent_ok, order_ok, facts_ok, problems)
