"""Readers for the public support datasets the shipped model is trained and evaluated on.

Used by ``tools/train_intent_model.py`` and ``benchmarks/support_real_data.py`` (never at run
time). The data stays where it is (``../shared/data``); only derived weights are shipped.

* Bitext customer-support sample (CDLA-Sharing-1.0, synthetic): 27 intents mapped to ours.
* HINT3 v2 (ODbL/DbCL, real chatbot queries): SOFMattress and Curekart, split 70/30 per label
  with seed 5 *before* any training; the 30 % is never trained on. Labels outside our
  vocabulary map to ``other`` (out of scope); ambiguous ones are dropped (see ``HINT3_MAP``).
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

SPLIT_SEED = 5
TEST_SHARE = 0.3

BITEXT_MAP = {
    "track_order": "order_status",
    "cancel_order": "cancel_order",
    "check_cancellation_fee": "cancel_order",
    "change_order": "change_order",
    "change_shipping_address": "change_address",
    "set_up_shipping_address": "change_address",
    "get_refund": "return_request",
    "check_refund_policy": "return_request",
    "track_refund": "refund_status",
    "payment_issue": "payment_issue",
    "check_payment_methods": "payment_issue",
    "delivery_options": "shipping_question",
    "delivery_period": "shipping_question",
    "create_account": "account",
    "delete_account": "account",
    "edit_account": "account",
    "recover_password": "account",
    "registration_problems": "account",
    "switch_account": "account",
    "newsletter_subscription": "account",
    "complaint": "complaint",
    "contact_customer_service": "other",
    "contact_human_agent": "other",
    "check_invoice": "other",
    "get_invoice": "other",
    "place_order": "other",
    "review": "other",
}
"""Bitext has no exchange, product, wrong/damaged item, discount, praise or spam intents; those
come from HINT3 (product, offers) and the hand-written examples."""

HINT3_MAP: dict[str, dict[str, str | None]] = {
    "sofmattress": {
        "ORDER_STATUS": "order_status",
        "DELAY_IN_DELIVERY": "order_status",
        "RETURN_EXCHANGE": "return_request",
        "CANCEL_ORDER": "cancel_order",
        "CHECK_PINCODE": "shipping_question",
        "EMI": "payment_issue",
        "COD": "payment_issue",
        "OFFERS": "discount_question",
        "WHAT_SIZE_TO_ORDER": "product_question",
        "PRODUCT_VARIANTS": "product_question",
        "MATTRESS_COST": "product_question",
        "ORTHO_FEATURES": "product_question",
        "ERGO_FEATURES": "product_question",
        "COMPARISON": "product_question",
        "PILLOWS": "product_question",
        "SIZE_CUSTOMIZATION": "product_question",
        "WARRANTY": "product_question",
        "100_NIGHT_TRIAL_OFFER": "other",
        "LEAD_GEN": "other",
        "DISTRIBUTORS": "other",
        "ABOUT_SOF_MATTRESS": "other",
    },
    "curekart": {
        "ORDER_STATUS": "order_status",
        "DELAY_IN_PARCEL": "order_status",
        "CANCEL_ORDER": "cancel_order",
        "MODIFY_ADDRESS": "change_address",
        "PAYMENT_AND_BILL": "payment_issue",
        "MODES_OF_PAYMENTS": "payment_issue",
        "CHECK_PINCODE": "shipping_question",
        "INTERNATIONAL_SHIPPING": "shipping_question",
        "RECOMMEND_PRODUCT": "product_question",
        "ORIGINAL_PRODUCT": "product_question",
        "EXPIRY_DATE": "product_question",
        "SIDE_EFFECT": "product_question",
        "IMMUNITY": "product_question",
        "SIGN_UP": "account",
        "PORTAL_ISSUE": "account",
        "REFER_EARN": "discount_question",
        # Refund status, returns and replacements in one label: no single intent of ours.
        "REFUNDS_RETURNS_REPLACEMENTS": None,
        "ORDER_QUERY": "other",
        "RESUME_DELIVERY": "other",
        "ORDER_TAKING": "other",
        "CHAT_WITH_AGENT": "other",
        "CALL_CENTER": "other",
        "CONSULT_START": "other",
        "STORE_INFORMATION": "other",
        "FRANCHISE": "other",
        "WORK_FROM_HOME": "other",
        "USER_GOAL_FORM": "other",
        "START_OVER": "other",
    },
}
"""HINT3 labels → ours. ``other`` = out of our vocabulary (the out-of-scope test); None = dropped."""


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    source: str  # "bitext" | "hint3:sofmattress" | ... | "handwritten"
    native_label: str = ""


def read_bitext(data_dir: Path) -> list[Example]:
    path = data_dir / "bitext_cs" / "Bitext_Sample_Customer_Support_Training_Dataset.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [
        Example(row["instruction"].strip(), BITEXT_MAP[row["intent"]], "bitext", row["intent"])
        for row in rows
        if row["intent"] in BITEXT_MAP and row["instruction"].strip()
    ]


def read_hint3(data_dir: Path, bot: str) -> list[Example]:
    path = data_dir / "hint3" / "v2" / "train" / f"{bot}_train.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    mapping = HINT3_MAP[bot]
    examples = []
    for row in rows:
        label, text = row["label"].strip(), row["sentence"].strip()
        if label not in mapping:
            raise ValueError(f"{path}: label {label!r} has no mapping in HINT3_MAP")
        intent = mapping[label]
        if intent is not None and text:
            examples.append(Example(text, intent, f"hint3:{bot}", label))
    return examples


def split_hint3(data_dir: Path) -> tuple[list[Example], list[Example]]:
    """Return (train, test) HINT3 examples: per bot and native label, 30 % to test (seed 5)."""
    train: list[Example] = []
    test: list[Example] = []
    rng = random.Random(SPLIT_SEED)
    for bot in sorted(HINT3_MAP):
        groups: dict[str, list[Example]] = defaultdict(list)
        for example in read_hint3(data_dir, bot):
            groups[example.native_label].append(example)
        for label in sorted(groups):
            members = sorted(groups[label], key=lambda e: e.text)
            rng.shuffle(members)
            n_test = round(len(members) * TEST_SHARE)
            test += members[:n_test]
            train += members[n_test:]
    return train, test
