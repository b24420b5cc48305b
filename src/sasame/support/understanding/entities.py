"""Entities in a customer message: order references, catalog mentions, sentiment and urgency.

Order references follow each channel's numbering:

* Shopify: ``#1001`` (the shop's order name), also written "order 1001", "order no. 1001";
* Amazon: ``123-1234567-1234567`` (3-7-7 digits);
* Etsy: receipt numbers, 9-11 digits ("receipt 2900001234", "Etsy order #2900001234");
* WooCommerce: plain numbers ("order 2345") or a store prefix such as ``W-2345``.

A bare number counts only next to an order word (order, receipt, purchase, ref, "#") so that
phone numbers, prices, dates and tracking numbers are not taken for orders.

Sentiment and urgency are lexicon based (documented in docs/support.md): a message's sentiment
is (positive hits - negative hits) / (hits + 2), clipped to [-1, 1], with "!!"/capitals adding
weight; urgency is "high" for legal/chargeback/deadline words or strong anger, "low" for praise
and plain questions without time pressure, "normal" otherwise.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from sasame.support.understanding.intents import StoreMemory


@dataclass(frozen=True)
class OrderReference:
    """An order number as written, normalised (``#1001``, ``111-...``, ``2900001234``, ``W-2001``)."""

    text: str
    channel_kind: str | None  # "shopify" | "amazon" | "etsy" | "woocommerce" | None (ambiguous)

    def lookup_numbers(self) -> tuple[str, ...]:
        """Return the order numbers (``Order.number``) this reference may be stored as."""
        digits = self.text.lstrip("#")
        forms = [self.text]
        if digits.isdigit():
            forms += [f"#{digits}", digits]
        return tuple(dict.fromkeys(forms))


@dataclass(frozen=True)
class CatalogMention:
    sku: str
    variant_id: int | None
    size: str | None
    colour: str | None
    score: float


@dataclass(frozen=True)
class CatalogVariant:
    sku: str
    variant_id: int | None
    product_title: str
    variant_title: str
    size: str | None
    colour: str | None


@dataclass
class Catalog:
    """A small read model of the store's catalog for matching mentions (SKUs, titles, sizes, colours)."""

    variants: tuple[CatalogVariant, ...]
    sizes: tuple[str, ...] = ()
    colours: tuple[str, ...] = ()
    _by_sku: dict[str, CatalogVariant] = field(default_factory=dict, repr=False)
    _titles: dict[str, list[CatalogVariant]] = field(default_factory=dict, repr=False)
    memory: StoreMemory | None = field(default=None, repr=False, compare=False)
    """The store adaptation ``understand`` uses when given this catalog (see ``from_session``)."""
    _product_pattern: re.Pattern[str] | None = field(default=None, repr=False)
    _form_index: list[tuple[str, str, float, frozenset[str]]] = field(default_factory=list, repr=False)
    words: frozenset[str] = field(default=frozenset(), repr=False)
    """The lowercase words of the catalog's product titles, sizes and colours."""

    def __post_init__(self) -> None:
        if not self.sizes:
            self.sizes = tuple(dict.fromkeys(v.size for v in self.variants if v.size))
        if not self.colours:
            self.colours = tuple(dict.fromkeys(v.colour for v in self.variants if v.colour))
        self._by_sku = {v.sku.lower(): v for v in self.variants}
        titles: dict[str, list[CatalogVariant]] = {}
        for variant in self.variants:
            titles.setdefault(_normalise(variant.product_title), []).append(variant)
        self._titles = titles
        named = [*titles, *self.sizes, *self.colours]
        self.words = frozenset(word for name in named for word in re.findall(r"[a-z]+", name.lower()))
        forms: set[str] = set()
        self._form_index = []
        for title in titles:
            title_forms = {form for form in _title_forms(title) if len(form) >= 4}
            forms |= title_forms
            for form in sorted(title_forms):
                self._form_index.append((title, form, 1.0 if form == title else 0.95, _trigrams(form)))
        if forms:
            patterns = (r"\W+".join(map(re.escape, form.split())) for form in forms)
            alternatives = sorted(patterns, key=len, reverse=True)
            self._product_pattern = re.compile(rf"(?i)(?<![a-z0-9])(?:{'|'.join(alternatives)})(?![a-z0-9])")

    def mask_products(self, text: str) -> str:
        """Replace product names by the token ``_product_``, so the classifier reads "a product".

        A store's product names are words the shipped model never saw ("Ribbed Tank"); as one
        known token they say what matters for the intent: the customer names a product.
        """
        if self._product_pattern is None:
            return text
        return self._product_pattern.sub(" _product_ ", text)

    @classmethod
    def from_session(cls, session: Session, adapt: bool = True) -> Catalog:
        """Load the active, non-bundle variants with their product titles.

        With ``adapt`` (the default) the store's memory of handled tickets is fitted too
        (``adaptation.store_memory``; None with fewer than 10) and ``understand`` uses it, so
        every caller that loads the catalog from the database gets the store-adapted model.
        """
        from sasame.models import Product, Variant

        rows = session.execute(
            select(Variant.id, Variant.sku, Product.title, Variant.title, Variant.size, Variant.colour)
            .join(Product, Product.id == Variant.product_id)
            .where(Variant.is_active.is_(True), Variant.is_bundle.is_(False))
            .order_by(Variant.id)
        ).all()
        catalog = cls(tuple(CatalogVariant(r[1], r[0], r[2], r[3], r[4], r[5]) for r in rows))
        if adapt:
            from sasame.support.understanding.adaptation import store_memory

            catalog.memory = store_memory(session, catalog)
        return catalog

    def by_sku(self, sku: str) -> CatalogVariant | None:
        return self._by_sku.get(sku.lower())

    @property
    def titles(self) -> dict[str, list[CatalogVariant]]:
        return self._titles


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9]+", " ", text.lower())).strip()


# ------------------------------------------------------------------------------------------
# Order references
# ------------------------------------------------------------------------------------------

_AMAZON = re.compile(r"(?<![\d-])(\d{3})[- ](\d{7})[- ](\d{7})(?![\d-])")
_PREFIXED = re.compile(r"(?<![\w-])([A-Z]{1,3}-\d{3,8})(?![\w-])")
_HASH = re.compile(r"(?<![\w#&])#\s?(\d{3,11})(?!\d)")
_ORDER_WORD = (
    r"(?:order|ordr|oder|odrer|purchase|receipt|ref(?:erence)?|confirmation|invoice|transaction|"
    r"bestellung|commande)"
)
_WORDED = re.compile(
    rf"(?i)\b{_ORDER_WORD}\s*(?:no\.?|nr\.?|num(?:ber)?|id|#|:)?\s*(?:is|was|=)?\s*[:#]?\s*(\d{{3,11}})(?![\d-])"
)
_ETSY_DIGITS = 9, 11


def _kind_for_digits(digits: str, hashed: bool) -> str | None:
    if _ETSY_DIGITS[0] <= len(digits) <= _ETSY_DIGITS[1]:
        return "etsy"
    if hashed:
        return "shopify"
    return None


def order_references(text: str) -> tuple[OrderReference, ...]:
    """Return the order references in ``text`` in order of appearance, without duplicates."""
    found: list[tuple[int, OrderReference]] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, ref: OrderReference) -> None:
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found.append((start, ref))

    for match in _AMAZON.finditer(text):
        add(match.start(), match.end(), OrderReference("-".join(match.groups()), "amazon"))
    for match in _PREFIXED.finditer(text):
        add(match.start(), match.end(), OrderReference(match.group(1), "woocommerce"))
    for match in _HASH.finditer(text):
        digits = match.group(1)
        kind = _kind_for_digits(digits, hashed=True)
        add(match.start(), match.end(), OrderReference(digits if kind == "etsy" else f"#{digits}", kind))
    for match in _WORDED.finditer(text):
        digits = match.group(1)
        kind = _kind_for_digits(digits, hashed=False)
        if kind is None and text[match.start(1) - 1 : match.start(1)] == "#":
            kind = "shopify"
        add(match.start(1), match.end(1), OrderReference(digits, kind))
    seen: set[str] = set()
    result = []
    for _, ref in sorted(found, key=lambda item: item[0]):
        if ref.text.lstrip("#") not in seen:
            seen.add(ref.text.lstrip("#"))
            result.append(ref)
    return tuple(result)


# ------------------------------------------------------------------------------------------
# Sizes, colours, catalog mentions
# ------------------------------------------------------------------------------------------

_SIZE_WORDS = {
    "xxs": "XXS",
    "xs": "XS",
    "extra small": "XS",
    "small": "S",
    "medium": "M",
    "large": "L",
    "extra large": "XL",
    "xl": "XL",
    "xxl": "XXL",
    "2xl": "XXL",
    "3xl": "3XL",
    "xxxl": "3XL",
}
_SIZE_CONTEXT = re.compile(
    r"(?i)\b(?:size|sz|in (?:an?|the)?)\s*([0-9]{1,2}|xxs|xs|s|m|l|xl|xxl|2xl|3xl|xxxl|small|medium|large|"
    r"extra small|extra large)\b"
)
_SIZE_ALONE = re.compile(r"(?<![\w'’-])(XXS|XS|XL|XXL|2XL|3XL|XXXL|S|M|L)(?![\w'’-])")
_SIZE_WORDS_ALONE = re.compile(r"(?i)\b(xxs|xs|xl|xxl|2xl|3xl|xxxl|medium|extra small|extra large)\b")
"""Unambiguous size words ("small" and "large" alone are too often something else)."""

BASIC_COLOURS = (
    "black", "white", "grey", "gray", "navy", "blue", "red", "green", "olive", "sage", "pink", "purple",
    "yellow", "orange", "brown", "beige", "cream", "ivory", "tan", "khaki", "burgundy", "maroon", "teal",
    "mustard", "charcoal", "sand", "rust", "lilac", "lavender", "coral", "mint", "natural", "oat",
    "silver", "gold", "rose",
)  # fmt: skip


def sizes_in(text: str, catalog: Catalog | None = None) -> tuple[str, ...]:
    """Return the garment sizes mentioned (normalised: 'medium' -> 'M'), in order."""
    found: list[tuple[int, str]] = []
    for match in _SIZE_CONTEXT.finditer(text):
        word = match.group(1).lower()
        found.append((match.start(1), _SIZE_WORDS.get(word, word.upper())))
    for match in _SIZE_ALONE.finditer(text):
        # A lone capital S/M/L is a size only when written as one ("an M", "the L", "S or M").
        word = match.group(1)
        if len(word) == 1:
            before = text[max(0, match.start() - 6) : match.start()].lower()
            after = text[match.end() : match.end() + 6].lower()
            # (A comma counts on the same line only: "Thanks,\nS" signs off with an initial.)
            if not re.search(r"(?:(?:\ban?|the|or|a|size|in|to|need)\s*|,[ \t]*)\Z", before) and not re.match(
                r"\s*(or|not|instead|size|/|,)", after
            ):
                continue
        found.append((match.start(), _SIZE_WORDS.get(word.lower(), word.upper())))
    for match in _SIZE_WORDS_ALONE.finditer(text):
        if any(start == match.start(1) for start, _ in found):
            continue
        found.append((match.start(), _SIZE_WORDS.get(match.group(1).lower(), match.group(1).upper())))
    known = {s.upper() for s in catalog.sizes} if catalog and catalog.sizes else None
    ordered = [size for _, size in sorted(found)]
    if known:
        ordered = [size for size in ordered if size.upper() in known or not size.isdigit()]
    return tuple(dict.fromkeys(ordered))


def colours_in(text: str, catalog: Catalog | None = None) -> tuple[str, ...]:
    """Return the colours mentioned (catalog colours first recognised, then basic colour words)."""
    lowered = text.lower()
    vocabulary = list(catalog.colours) if catalog else []
    vocabulary += [c for c in BASIC_COLOURS if c not in {v.lower() for v in vocabulary}]
    found: list[tuple[int, str]] = []
    for colour in vocabulary:
        match = re.search(rf"(?<![a-z]){re.escape(colour.lower())}(?![a-z])", lowered)
        if match:
            found.append((match.start(), colour.lower()))
    found.sort()
    result: list[str] = []
    for _, colour in found:
        # "navy blue" is one colour: keep the longer name when a shorter one is inside it.
        if not any(colour in other and colour != other for _, other in found):
            result.append(colour)
    return tuple(dict.fromkeys(result))


_SKU = re.compile(r"\b[A-Z0-9]{2,}(?:-[A-Z0-9]+)+\b")


def catalog_mentions(
    text: str, catalog: Catalog, sizes: Iterable[str] = (), colours: Iterable[str] = ()
) -> tuple[CatalogMention, ...]:
    """Return the catalog variants the text names, best first.

    An exact SKU scores 1.0. Product titles are matched fuzzily (difflib ratio of the title's
    words against the same number of consecutive words in the text, >= 0.8), then narrowed to
    the variants of the mentioned size and colour when those are given.
    """
    mentions: dict[str, CatalogMention] = {}
    for match in _SKU.finditer(text.upper()):
        variant = catalog.by_sku(match.group(0))
        if variant:
            mentions[variant.sku] = _mention(variant, 1.0)
    words = _normalise(text).split()
    size_set = {s.upper() for s in sizes}
    colour_set = {c.lower() for c in colours}
    text = " ".join(words)
    text_grams = _trigrams(text)
    best_by_title: dict[str, float] = {}
    for title, form, factor, grams in catalog._form_index:
        # Cheap filter first: a name written (even with a typo) shares most of its trigrams.
        if len(grams & text_grams) < 0.6 * len(grams):
            continue
        score = _form_score(form, factor, words, text)
        if score > best_by_title.get(title, 0.0):
            best_by_title[title] = score
    # "Canvas Tote No. 2" written in full also contains "Canvas Tote": the longer title wins.
    exact = [title for title, score in best_by_title.items() if score >= 1.0]
    for title in list(best_by_title):
        if any(title != longer and f" {title} " in f" {longer} " for longer in exact):
            del best_by_title[title]
    scored = [(score, title) for title, score in best_by_title.items() if score >= 0.8]
    scored.sort(key=lambda item: (-item[0], item[1]))
    for score, title in scored[:3]:
        variants = catalog.titles[title]
        narrowed = [
            v
            for v in variants
            if (not size_set or (v.size or "").upper() in size_set)
            and (not colour_set or (v.colour or "").lower() in colour_set)
        ]
        if (narrowed and len(narrowed) < len(variants)) or len(variants) == 1:
            chosen = narrowed or variants
            for variant in chosen[:3]:
                mentions.setdefault(variant.sku, _mention(variant, round(score, 3)))
        else:
            first = variants[0]
            mentions.setdefault(
                first.sku,
                CatalogMention(first.sku, first.variant_id, None, None, round(score * 0.9, 3)),
            )
    return tuple(sorted(mentions.values(), key=lambda m: (-m.score, m.sku)))


def _mention(variant: CatalogVariant, score: float) -> CatalogMention:
    return CatalogMention(variant.sku, variant.variant_id, variant.size, variant.colour, score)


def _title_forms(title: str) -> set[str]:
    """A normalised title and how customers shorten it: without numbers ("no 2"), and first and
    last word of a longer name ("Art Print A3" -> "art print", "Enamel Camp Mug" -> "enamel mug")."""
    forms = {title}
    plain = [w for w in title.split() if not any(ch.isdigit() for ch in w) and w != "no"]
    if plain:
        forms.add(" ".join(plain))
    if len(plain) > 2:
        forms.add(f"{plain[0]} {plain[-1]}")
    return forms


def _trigrams(text: str) -> frozenset[str]:
    padded = f" {text} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def _form_score(form: str, factor: float, words: list[str], text: str) -> float:
    """Best difflib ratio of one title form against any window of the text's words of the same
    length, times ``factor`` (1.0 for the full title, 0.95 for a short form)."""
    if f" {form} " in f" {text} ":
        return factor
    size = len(form.split())
    best = 0.0
    # seq2 is cached by SequenceMatcher: set it once, vary the window; the cheap upper bounds
    # skip most windows before the full ratio.
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(form)
    for start in range(0, max(1, len(words) - size + 1)):
        window = " ".join(words[start : start + size])
        if abs(len(window) - len(form)) > 4:
            continue
        matcher.set_seq1(window)
        if matcher.real_quick_ratio() * factor <= best or matcher.quick_ratio() < 0.8:
            continue
        best = max(best, matcher.ratio() * factor)
    return best


# ------------------------------------------------------------------------------------------
# Email, sentiment, urgency
# ------------------------------------------------------------------------------------------

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def email_address(sender: str) -> str | None:
    """Return the lower-cased address in a From value ('Ann <Ann@X.com>' -> 'ann@x.com')."""
    match = _EMAIL.search(sender or "")
    return match.group(0).lower() if match else None


_POSITIVE = {
    "thank", "thanks", "love", "loved", "great", "amazing", "awesome", "perfect", "happy", "wonderful",
    "excellent", "fantastic", "beautiful", "lovely", "best", "pleased", "delighted", "appreciate", "nice",
    "quick", "fast", "gorgeous", "brilliant", "recommend", "impressed", "glad", "superb", "perfectly",
    "obsessed", "adore", "favourite", "favorite", "comfy", "stunning", "thrilled", "cute",
}  # fmt: skip
_POSITIVE_SYMBOLS = ("😍", "❤", "♥", "🥰", "😊", "👍", "💕", "🙌")
"""Emoji that say as much as "love" (the word tokens below skip them)."""
_NEGATIVE = {
    "angry", "annoyed", "frustrated", "frustrating", "disappointed", "disappointing", "terrible", "awful",
    "horrible", "worst", "unacceptable", "ridiculous", "useless", "broken", "damaged", "wrong", "late",
    "never", "still", "scam", "fraud", "rude", "poor", "bad", "furious", "upset", "waste", "refund",
    "complaint", "ruined", "cracked", "torn", "missing", "lost", "joke", "pathetic", "disgusted", "fed",
    "sick", "nobody", "ignored", "hate", "shame", "misleading", "stained", "ripped", "faulty", "defective",
    "unhappy", "dissatisfied", "appalling", "shocking", "annoying", "disgusting", "unreliable",
}  # fmt: skip
_NEGATORS = {"not", "no", "never", "dont", "don't", "didnt", "didn't", "isnt", "isn't", "wasnt", "wasn't"}
_HIGH_URGENCY = re.compile(
    r"(?i)\b(urgent|urgently|asap|immediately|right away|today|tomorrow|lawyer|legal|chargeback|"
    r"dispute|bbb|trading standards|report you|scam|fraud|police|deadline|emergency|wedding|birthday|"
    r"last chance|final warning|as soon as possible)\b"
)


def sentiment(text: str) -> float:
    """Return a lexicon sentiment in [-1, 1] (negated positives count as negative)."""
    tokens = re.findall(r"[a-z']+", text.lower())
    positive = negative = 0.0
    for index, token in enumerate(tokens):
        negated = any(t in _NEGATORS for t in tokens[max(0, index - 2) : index])
        stem = token.rstrip("s") if token not in _POSITIVE and token not in _NEGATIVE else token
        if token in _POSITIVE or stem in _POSITIVE:
            if negated:
                negative += 1
            else:
                positive += 1
        elif token in _NEGATIVE or stem in _NEGATIVE:
            negative += 1
    positive += sum(text.count(symbol) for symbol in _POSITIVE_SYMBOLS)
    shouting = text.count("!!") + text.count("?!") + len(re.findall(r"\b[A-Z]{4,}\b", text))
    if negative > positive:
        negative += 0.5 * shouting
    score = (positive - negative) / (positive + negative + 2.0)
    return max(-1.0, min(1.0, round(score, 3)))


def urgency(text: str, sentiment_score: float, intent: str) -> str:
    """Return 'high', 'normal' or 'low' (see the module docstring for the rules)."""
    if _HIGH_URGENCY.search(text) or sentiment_score <= -0.5:
        return "high"
    if intent in ("praise", "spam") or (
        intent in ("product_question", "discount_question", "shipping_question", "other")
        and sentiment_score >= 0
    ):
        return "low"
    return "normal"
