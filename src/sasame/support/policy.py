"""The owner's support policy: what the autopilot may do on its own, stored in the database.

Every setting has a default that is safe (precision before coverage) and a parser that turns the
text an owner types (`sasame support policy set KEY VALUE`, the dashboard form) into a value, or
refuses it with one line naming the setting. Stored values are JSON (money as decimal strings).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.core.errors import InputError
from sasame.core.money import MAX_AMOUNT
from sasame.models import SupportPolicySetting
from sasame.models.support import INTENTS
from sasame.support import knowledge

MODES = ("off", "draft", "auto")
ALWAYS_HUMAN = frozenset({"wrong_item", "damaged_item", "complaint"})
"""Intents a person must handle whatever the policy says (issue 5): the engine only prepares them."""
TONES = ("warm", "formal", "brief")

DEFAULT_MODES: dict[str, str] = {
    "order_status": "auto",
    "return_request": "auto",
    "exchange_request": "auto",
    "change_order": "auto",
    "cancel_order": "auto",
    "change_address": "auto",
    "product_question": "auto",
    "wrong_item": "off",
    "damaged_item": "off",
    "refund_status": "auto",
    "payment_issue": "auto",
    "discount_question": "auto",
    "shipping_question": "auto",
    "account": "auto",
    "complaint": "off",
    "praise": "auto",
    "spam": "auto",
    "other": "auto",
}
"""``other`` on auto answers business mail (wholesale, press, jobs, ...) from the owner's store
answers only; any other message of it still goes to a person (see ``triage``)."""
DEFAULT_ESCALATE_WORDS = (
    "lawyer",
    "solicitor",
    "attorney",
    "legal action",
    "chargeback",
    "dispute",
    "fraud",
    "police",
    "trading standards",
    "better business bureau",
    "bbb",
    "allergic",
    "injury",
    "injured",
    "unsafe",
)
"""Words that put a message in front of a person however routine it looks."""


@dataclass(frozen=True)
class Policy:
    return_window_days: int = 30
    return_conditions: str = "unused, in the original packaging"
    prepaid_return_label: bool = False
    """Buy a return label through the carrier connector (needs a configured carrier account)."""
    modes: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MODES))
    max_auto_order_value: Decimal = Decimal("300.00")
    """Orders worth more than this get a draft for approval instead of an automatic action."""
    auto_confidence: float = 0.90
    """The understanding's calibrated confidence at or above which the engine may act alone."""
    draft_confidence: float = 0.50
    """Below this the message goes to a person without a suggested intent-specific answer."""
    escalate_words: tuple[str, ...] = DEFAULT_ESCALATE_WORDS
    vip_emails: tuple[str, ...] = ()
    """The owner's list of customers who always get a person (issue 5): drafts, never automatic."""
    vip_flagged_customers: bool = False
    """Opt-in: also treat customers flagged VIP in the store's data (``customer.is_vip``, which
    imports and the demo set from order counts) as VIPs. Off by default: the issue makes VIPs the
    owner's own list, and a flag set by a rule nobody chose should not hold back answers."""
    tone: str = "warm"
    signature: str = "The {store} team"
    minutes_per_ticket: int = 6
    """How long a person takes on a routine ticket: the basis of 'hours saved'."""
    support_address: str = ""
    """The From address of replies (default: the mailbox user)."""
    return_address: str = ""
    """Where returns go, one line: '1 Dock Road, Columbus, OH 43004' (needed for prepaid labels)."""
    faq: dict[str, str] = field(default_factory=dict)
    """The owner's store answers (see ``knowledge``), keyed without the ``faq.`` prefix:
    ``po_boxes``, ``material.dad-cap``, ``care.apparel``, ... Empty: nothing is answered from it."""

    def mode_for(self, intent: str) -> str:
        if intent in ALWAYS_HUMAN:
            return "off"
        return self.modes.get(intent, "off")


def _parse_int(low: int, high: int) -> Callable[[str, str], int]:
    def parse(key: str, text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise InputError(f"support policy {key}: {text!r} is not a whole number") from None
        if not low <= value <= high:
            raise InputError(f"support policy {key}: {value} is outside {low}..{high}")
        return value

    return parse


def _parse_probability(key: str, text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise InputError(f"support policy {key}: {text!r} is not a number between 0 and 1") from None
    if not 0.0 <= value <= 1.0:
        raise InputError(f"support policy {key}: {value} is not between 0 and 1")
    return value


def _parse_bool(key: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise InputError(f"support policy {key}: {text!r} is not yes/no")


def _parse_money(key: str, text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise InputError(f"support policy {key}: {text!r} is not an amount") from None
    if not value.is_finite() or value < 0 or value >= MAX_AMOUNT:
        raise InputError(f"support policy {key}: {text!r} is not a positive amount sasame can store")
    return value


def _parse_words(key: str, text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(w.strip().lower() for w in text.split(",") if w.strip()))


def _parse_text(limit: int) -> Callable[[str, str], str]:
    def parse(key: str, text: str) -> str:
        value = text.strip()
        if len(value) > limit:
            raise InputError(f"support policy {key}: longer than {limit} characters")
        return value

    return parse


def _parse_tone(key: str, text: str) -> str:
    value = text.strip().lower()
    if value not in TONES:
        raise InputError(f"support policy {key}: {text!r} is not one of {', '.join(TONES)}")
    return value


PARSERS: dict[str, Callable[[str, str], Any]] = {
    "return_window_days": _parse_int(0, 365),
    "return_conditions": _parse_text(300),
    "prepaid_return_label": _parse_bool,
    "max_auto_order_value": _parse_money,
    "auto_confidence": _parse_probability,
    "draft_confidence": _parse_probability,
    "escalate_words": _parse_words,
    "vip_emails": _parse_words,
    "vip_flagged_customers": _parse_bool,
    "tone": _parse_tone,
    "signature": _parse_text(300),
    "minutes_per_ticket": _parse_int(1, 240),
    "support_address": _parse_text(254),
    "return_address": _parse_text(300),
}
"""Every setting but the per-intent modes, which are keyed `mode.<intent>`."""


def setting_keys() -> list[str]:
    return [
        *PARSERS,
        *(f"mode.{intent}" for intent in INTENTS),
        *(f"faq.{topic}" for topic in knowledge.STORE_TOPICS),
        *(f"faq.{aspect}.<product handle or category>" for aspect in knowledge.PRODUCT_ASPECTS),
    ]


def parse_setting(key: str, text: str) -> Any:
    """Return the value an owner's text means for `key`, or raise InputError naming the setting."""
    if key.startswith("mode."):
        intent = key.removeprefix("mode.")
        if intent not in INTENTS:
            raise InputError(f"support policy {key}: {intent!r} is not an intent ({', '.join(INTENTS)})")
        mode = text.strip().lower()
        if mode not in MODES:
            raise InputError(f"support policy {key}: {text!r} is not one of {', '.join(MODES)}")
        if intent in ALWAYS_HUMAN and mode != "off":
            raise InputError(f"support policy {key}: {intent} messages always go to a person")
        return mode
    if key.startswith("faq."):
        knowledge.parse_knowledge_key(key)
        return knowledge.parse_answer(key, text)
    parser = PARSERS.get(key)
    if parser is None:
        raise InputError(f"support policy: unknown setting {key!r} (known: {', '.join(setting_keys())})")
    return parser(key, text)


def _to_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def apply_setting(policy: Policy, key: str, value: Any) -> Policy:
    """Return the policy with one (already parsed or stored JSON) value in place."""
    if key.startswith("mode."):
        return replace(policy, modes={**policy.modes, key.removeprefix("mode."): str(value)})
    if key.startswith("faq."):
        faq = dict(policy.faq)
        faq.pop(key.removeprefix("faq."), None)
        if value:
            faq[key.removeprefix("faq.")] = str(value)
        return replace(policy, faq=faq)
    if key in ("escalate_words", "vip_emails"):
        words: dict[str, Any] = {key: tuple(str(v) for v in value)}
        return replace(policy, **words)
    if key == "max_auto_order_value":
        return replace(policy, max_auto_order_value=Decimal(str(value)))
    return replace(policy, **{key: value})


def load_policy(session: Session) -> Policy:
    """Return the stored policy, defaults filling whatever the owner has not set."""
    policy = Policy()
    # Store answers are gathered into one dict: one per product and aspect on a large catalogue
    # (12,257 on a 10,000-SKU demo store), where applying them one by one copied the dict each time.
    faq = dict(policy.faq)
    for key, value in session.execute(
        select(SupportPolicySetting.key, SupportPolicySetting.value).order_by(SupportPolicySetting.key)
    ):
        if key.startswith("faq."):
            if value:
                faq[key.removeprefix("faq.")] = str(value)
        elif key in PARSERS or key.startswith("mode."):
            policy = apply_setting(policy, key, value)
    return replace(policy, faq=faq)


def set_policy(session: Session, key: str, text: str, *, now: datetime, by: str) -> Policy:
    """Store one setting from the owner's text; return the policy as it now stands."""
    value = parse_setting(key.strip(), text)
    key = key.strip()
    if key.startswith("faq."):
        _check_product_target(session, key)
    row = session.scalar(select(SupportPolicySetting).where(SupportPolicySetting.key == key))
    if row is None:
        session.add(SupportPolicySetting(key=key, value=_to_json(value), updated_at=now, updated_by=by))
    else:
        row.value, row.updated_at, row.updated_by = _to_json(value), now, by
    session.flush()
    return load_policy(session)


def _check_product_target(session: Session, key: str) -> None:
    """A product answer must name a product handle or a category the store has."""
    _, target = knowledge.parse_knowledge_key(key)
    if target is None:
        return
    known = session.scalar(
        select(m.Product.id)
        .where((func.lower(m.Product.handle) == target) | (func.lower(m.Product.category) == target))
        .limit(1)
    )
    if known is None:
        raise InputError(f"support policy {key}: {target!r} is neither a product handle nor a category")


def policy_rows(policy: Policy) -> list[tuple[str, str]]:
    """Return (key, value as text) for every setting, in the order `policy show` prints them."""
    rows: list[tuple[str, str]] = []
    for key in PARSERS:
        value = getattr(policy, key)
        if isinstance(value, tuple):
            text = ", ".join(value)
        elif isinstance(value, bool):
            text = "yes" if value else "no"
        else:
            text = str(value)
        rows.append((key, text))
    rows += [(f"mode.{intent}", policy.mode_for(intent)) for intent in INTENTS]
    rows += [(f"faq.{key}", text) for key, text in sorted(policy.faq.items())]
    return rows


def policy_json(policy: Policy) -> dict[str, Any]:
    return {key: _to_json(getattr(policy, key)) for key in PARSERS} | {
        "modes": {intent: policy.mode_for(intent) for intent in INTENTS},
        "faq": dict(sorted(policy.faq.items())),
    }
