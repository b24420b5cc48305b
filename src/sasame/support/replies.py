"""Replies in the store's voice, filled only with facts read from the database.

A reply is built from sentences the triage writes from live data (``Reply.say``), each fact it
states also recorded in ``Reply.facts`` under the name the rest of the engine (and the evaluation
against the demo's labels) uses. The wrapper (greeting, sign-off, signature) follows the owner's
policy: tone ``warm`` (the default), ``formal`` or ``brief``.

Days are written in the store's timezone ("Friday, November 27"); the facts keep the ISO date of
the stored instant, which is how the ground truth and the guardrail compare them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sasame.core.money import round_money
from sasame.support.policy import Policy

CARRIER_NAMES = {
    "usps": "USPS",
    "ups": "UPS",
    "fedex": "FedEx",
    "amazon_logistics": "Amazon Logistics",
    "dhl": "DHL",
    "dhl_express": "DHL Express",
    "canada_post": "Canada Post",
    "royal_mail": "Royal Mail",
}
CURRENCY_SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "GBP": "£", "EUR": "€", "JPY": "¥"}


def carrier_name(code: str | None) -> str:
    if not code:
        return "the carrier"
    return CARRIER_NAMES.get(code.lower(), code)


def money_text(amount: Decimal, currency: str) -> str:
    """'$1,234.50' for USD, '1.234,50 SEK'-free: symbol when known, else the code after the amount."""
    rounded = round_money(amount, currency)
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    text = f"{rounded:,}"
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"


def money_fact(amount: Decimal, currency: str) -> str:
    """The amount as the facts keep it: a plain decimal string in the currency's precision."""
    return str(round_money(amount, currency))


def day_text(value: datetime | date, tz: ZoneInfo) -> str:
    """'Friday, November 27': an instant in the store's timezone, or a business day as it is."""
    day = value.astimezone(tz).date() if isinstance(value, datetime) else value
    return f"{day.strftime('%A, %B')} {day.day}"


def short_day_text(day: date) -> str:
    return f"{day.day} {day.strftime('%B')}"


def instant_fact(value: datetime | None) -> str | None:
    return value.date().isoformat() if value is not None else None


GREETINGS = {"warm": "Hi {first},", "formal": "Dear {first},", "brief": "Hi {first},"}
SIGNOFFS = {"warm": "Best wishes,", "formal": "Kind regards,", "brief": "Thanks,"}


@dataclass
class Reply:
    """The body of one answer being written and every fact it states."""

    sentences: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def say(self, text: str, **facts: Any) -> None:
        self.sentences.append(text)
        self.facts.update(facts)

    def note(self, **facts: Any) -> None:
        self.facts.update(facts)

    @property
    def is_empty(self) -> bool:
        return not self.sentences


def first_name(name: str | None) -> str:
    if not name:
        return "there"
    first = name.strip().split()[0] if name.strip() else ""
    return first if first.isalpha() else "there"


def render(reply: Reply, *, name: str | None, policy: Policy, store_name: str) -> str:
    """Wrap the sentences in the owner's greeting, sign-off and signature."""
    tone = policy.tone if policy.tone in GREETINGS else "warm"
    greeting = GREETINGS[tone].format(first=first_name(name))
    signature = policy.signature.replace("{store}", store_name)
    paragraphs = reply.sentences if tone != "brief" else [" ".join(reply.sentences)]
    return f"{greeting}\n\n" + "\n\n".join(paragraphs) + f"\n\n{SIGNOFFS[tone]}\n{signature}"


def reply_subject(subject: str) -> str:
    subject = subject.strip() or "Your message"
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"
