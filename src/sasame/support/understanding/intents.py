"""The intent classifier (baseline: keyword rules; replaced by the shipped linear model)."""

from __future__ import annotations

import re
from dataclasses import dataclass

INTENTS = (
    "order_status",
    "return_request",
    "exchange_request",
    "change_order",
    "cancel_order",
    "change_address",
    "product_question",
    "wrong_item",
    "damaged_item",
    "refund_status",
    "payment_issue",
    "discount_question",
    "shipping_question",
    "account",
    "complaint",
    "praise",
    "spam",
    "other",
)


@dataclass(frozen=True)
class IntentResult:
    intent: str
    confidence: float
    ranked: tuple[tuple[str, float], ...]
    secondary: str | None
    out_of_scope: bool


_RULES = (
    ("damaged_item", r"damaged|broken|cracked|torn|ripped|stain"),
    ("wrong_item", r"wrong (item|size|colou?r|product)|not what i ordered|instead of"),
    ("complaint", r"unacceptable|terrible|worst|disgusted|complain"),
    ("cancel_order", r"\bcancel"),
    ("change_address", r"address"),
    ("exchange_request", r"exchange|swap"),
    ("return_request", r"\breturn"),
    ("refund_status", r"refund"),
    ("order_status", r"where is|tracking|track|not (arrived|received)|shipped|status"),
    ("discount_question", r"discount|code|coupon|promo"),
    ("payment_issue", r"charged|payment|card"),
    ("shipping_question", r"shipping|deliver"),
    ("account", r"account|password|log ?in"),
    ("product_question", r"size|stock|available|colou?r"),
    ("praise", r"love|thank you so much|amazing"),
    ("spam", r"seo|backlink|unsubscribe|crypto"),
)


def classify(subject: str, text: str) -> IntentResult:
    lowered = f"{subject}\n{text}".lower()
    for intent, pattern in _RULES:
        if re.search(pattern, lowered):
            return IntentResult(intent, 0.5, ((intent, 0.5),), None, False)
    return IntentResult("other", 0.2, (("other", 0.2),), None, True)
