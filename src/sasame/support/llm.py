"""An optional language model that rephrases replies, behind a guardrail on facts.

Any OpenAI-compatible chat-completions endpoint works (a hosted API, or a local Ollama or vLLM):
``SASAME_LLM_BASE_URL`` (e.g. ``http://127.0.0.1:11434/v1``), ``SASAME_LLM_API_KEY`` (optional
for local servers) and ``SASAME_LLM_MODEL``. Nothing calls it unless the base URL and the model
are set; the key travels only in the Authorization header and never appears in an error.

The guardrail: the model sees the customer's message, the facts read from the database and the
template reply, and writes its version. Every fact-like token in that version (order numbers,
dates, amounts, tracking and RMA numbers, SKUs, sizes, other numbers) must appear in what the
model was given, else the draft is refused and the message goes to a person.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from sasame.core.errors import ConfigError

MONTHS = {
    name: index
    for index, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + ")"
DATE_PATTERNS = (
    re.compile(rf"\b{_MONTH}\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b", re.IGNORECASE),
    re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\b", re.IGNORECASE),
    re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"),
    re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/\d{2,4})?\b"),
)
AMOUNT = re.compile(
    r"(?:[$£€¥]|\b(?:USD|EUR|GBP|CAD|AUD)\s?)\s?(\d[\d,]*(?:\.\d+)?)|(\d[\d,]*\.\d{2})\s?(?:USD|EUR|GBP|CAD|AUD)\b",
    re.IGNORECASE,
)
IDENTIFIER = re.compile(r"(?<![\w-])#?[A-Za-z0-9]*\d[A-Za-z0-9-]{3,}(?![\w-])")
"""Order, tracking, RMA and SKU-like tokens: letters and digits (with dashes), at least one digit."""
SKU = re.compile(r"\b[A-Z]{2,}[A-Z0-9]*(?:-[A-Z0-9]+)+\b")
SIZE = re.compile(r"\b(XXS|XS|S|M|L|XL|XXL|3XL)\b")
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")


def _dates(text: str) -> set[tuple[int, int]]:
    found: set[tuple[int, int]] = set()
    for match in DATE_PATTERNS[0].finditer(text):
        found.add((MONTHS[match.group(1).lower()], int(match.group(2))))
    for match in DATE_PATTERNS[1].finditer(text):
        found.add((MONTHS[match.group(2).lower()], int(match.group(1))))
    for match in DATE_PATTERNS[2].finditer(text):
        found.add((int(match.group(2)), int(match.group(3))))
    for match in DATE_PATTERNS[3].finditer(text):
        month, day = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12 and 1 <= day <= 31:
            found.add((month, day))
    return found


def _amounts(text: str) -> dict[Decimal, str]:
    """The amounts written with a currency, by value ('$5' and '5.00 USD' are the same), as written."""
    found: dict[Decimal, str] = {}
    for match in AMOUNT.finditer(text):
        written = (match.group(1) or match.group(2)).replace(",", "")
        try:
            found.setdefault(Decimal(written).normalize(), written)
        except InvalidOperation:
            continue
    return found


def _identifiers(text: str) -> set[str]:
    return {token.lstrip("#").upper() for token in IDENTIFIER.findall(text)} | set(SKU.findall(text))


def _numbers(text: str) -> set[str]:
    return {n for n in NUMBER.findall(text)}


@dataclass
class GuardrailVerdict:
    allowed: bool
    unsupported: list[str] = field(default_factory=list)


def check_facts(draft: str, sources: list[str]) -> GuardrailVerdict:
    """Refuse a draft stating any date, amount, identifier, size or number the sources do not contain."""
    corpus = "\n".join(sources)
    unsupported: list[str] = []
    known_dates = _dates(corpus)
    for month, day in sorted(_dates(draft)):
        if (month, day) not in known_dates:
            unsupported.append(f"date {date(2000, month, day).strftime('%B')} {day}")
    known_amounts = _amounts(corpus)
    stated_amounts = _amounts(draft)
    for amount in sorted(stated_amounts):
        if amount not in known_amounts:
            unsupported.append(f"amount {stated_amounts[amount]}")
    known_ids = _identifiers(corpus)
    for token in sorted(_identifiers(draft)):
        if token not in known_ids:
            unsupported.append(f"identifier {token}")
    known_sizes = set(SIZE.findall(corpus))
    for size in sorted(set(SIZE.findall(draft)) - known_sizes):
        unsupported.append(f"size {size}")
    # Any other number (days, quantities, percentages) must also come from the sources.
    covered = {str(v) for d in _dates(draft) for v in d} | set(stated_amounts.values())
    known_numbers = _numbers(corpus) | set(known_amounts.values())
    identifiers = _identifiers(draft)
    for number in sorted(_numbers(draft) - known_numbers - covered - identifiers):
        unsupported.append(f"number {number}")
    return GuardrailVerdict(not unsupported, unsupported)


@dataclass(frozen=True)
class LlmSettings:
    base_url: str
    model: str
    api_key: str = field(default="", repr=False)
    timeout: float = 30.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LlmSettings | None:
        env = os.environ if environ is None else environ
        base_url = env.get("SASAME_LLM_BASE_URL", "").strip()
        model = env.get("SASAME_LLM_MODEL", "").strip()
        if not base_url and not model:
            return None
        if not base_url or not model:
            raise ConfigError("SASAME_LLM_BASE_URL and SASAME_LLM_MODEL must be set together")
        return cls(base_url=base_url.rstrip("/"), model=model, api_key=env.get("SASAME_LLM_API_KEY", ""))


SYSTEM_PROMPT = (
    "You are the customer support writer of the shop {store}. Rewrite the draft reply so it reads "
    "naturally and kindly in the shop's {tone} voice. Use ONLY the facts in FACTS and the draft: never "
    "add a date, amount, order number, tracking number, SKU, size or promise that is not there. Keep the "
    "greeting and the signature. Answer with the reply text only."
)


class ChatModel:
    """A client of one OpenAI-compatible chat-completions endpoint."""

    def __init__(self, settings: LlmSettings, transport: httpx.BaseTransport | None = None) -> None:
        headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        self.settings = settings
        self.client = httpx.Client(
            base_url=settings.base_url, headers=headers, timeout=settings.timeout, transport=transport
        )

    def close(self) -> None:
        self.client.close()

    def rephrase(self, *, store: str, tone: str, message: str, facts: dict[str, Any], draft: str) -> str:
        payload = {
            "model": self.settings.model,
            "temperature": 0.2,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT.format(store=store, tone=tone)},
                {
                    "role": "user",
                    "content": f"CUSTOMER MESSAGE:\n{message}\n\nFACTS:\n{json.dumps(facts, default=str)}\n\n"
                    f"DRAFT REPLY:\n{draft}",
                },
            ],
        }
        where = f"language model {self.settings.model} at {self.settings.base_url}"
        try:
            response = self.client.post("/chat/completions", json=payload)
        except httpx.HTTPError as error:
            raise ConfigError(f"{where}: no answer ({type(error).__name__})") from None
        if response.status_code >= 400:
            raise ConfigError(f"{where}: HTTP {response.status_code}")
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ConfigError(f"{where}: the answer is not a chat completion") from None
        if not isinstance(content, str) or not content.strip():
            raise ConfigError(f"{where}: the completion is empty")
        return content.strip()
