"""The classifier's features: word uni/bigrams and within-word character 3-5-grams, and the
speller that reads a typo as the vocabulary's word it misses.

Training (``tools/train_intent_model.py``) and inference use this one function, so the shipped
vocabulary always means the same thing. The speller runs at inference only: it corrects towards
the trained vocabulary. Numbers, e-mail addresses and links become class tokens:
an order number says "there is an order", never which one.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Collection

_URL = re.compile(r"(?i)\b(?:https?://|www\.)\S+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_AMAZON = re.compile(r"\b\d{3}-\d{7}-\d{7}\b")
_MONEY = re.compile(r"[$€£]\s?\d[\d,.]*|\b\d[\d,.]*\s?(?:usd|eur|gbp|dollars?|euros?|pounds?)\b")
_HASH_NUMBER = re.compile(r"#\s?\w*\d[\w-]*")
_NUMBER = re.compile(r"\b\w*\d[\w-]*")
_TOKEN = re.compile(r"_[a-z]+_|[a-z]+(?:'[a-z]+)?|[!?]")


def normalise(text: str) -> str:
    """Lower-case and replace links, addresses, money and numbers by class tokens."""
    text = text.lower()
    text = _URL.sub(" _url_ ", text)
    text = _EMAIL.sub(" _email_ ", text)
    text = _AMAZON.sub(" _ordernum_ ", text)
    text = _MONEY.sub(" _money_ ", text)
    text = _HASH_NUMBER.sub(" _ordernum_ ", text)
    text = _NUMBER.sub(" _num_ ", text)
    return text.replace("’", "'")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(normalise(text))


def feature_counts(text: str) -> Counter[str]:
    """Return the raw feature counts of a text (before tf-idf weighting)."""
    words = tokens(text)
    counts: Counter[str] = Counter()
    for word in words:
        counts["w:" + word] += 1
    for first, second in itertools.pairwise(words):
        counts["b:" + first + " " + second] += 1
    for word in words:
        if word.startswith("_") or len(word) < 3:
            continue
        padded = f" {word} "
        for n in (3, 4, 5):
            for start in range(len(padded) - n + 1):
                counts["c:" + padded[start : start + n]] += 1
    return counts


def weighted(
    counts: Counter[str], vocabulary: dict[str, int], idf: list[float] | None = None
) -> dict[int, float]:
    """Return the L2-normalised sublinear tf-idf vector {feature index: weight} of known features."""
    vector: dict[int, float] = {}
    for feature, count in counts.items():
        index = vocabulary.get(feature)
        if index is None:
            continue
        weight = 1.0 + math.log(count)
        if idf is not None:
            weight *= idf[index]
        vector[index] = weight
    norm = math.sqrt(sum(v * v for v in vector.values()))
    if norm > 0:
        vector = {k: v / norm for k, v in vector.items()}
    return vector


_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
_SENTENCE_START = re.compile(r"(?:^|[.!?\n])\s*$")
MIN_CORRECTED_LENGTH = 4
"""Shorter unknown words ("hep", "ur") have too many neighbours to choose from."""
MIN_CORRECTION_SHARE = 0.001
"""A correction must be a word of at least this share of the training texts: an unknown word
next to a rare one is more likely a real word the vocabulary lacks ("meant", not "mean")."""


class Speller:
    """Correct typos to the classifier's own words: an unknown word one slip (see ``_one_edit``)
    away from words of the vocabulary becomes the most common of them ("rfeund" -> "refund",
    "workng" -> "working", "recieved" -> "received").

    ``document_frequency`` maps the vocabulary's words to the share of training texts that hold
    them (from the shipped idf). Known words stay, even misspelt ones the training data taught;
    so do capitalised words inside a sentence (names).
    """

    def __init__(self, document_frequency: dict[str, float]) -> None:
        self.frequency = document_frequency

    def correct(self, text: str, keep: Collection[str] = ()) -> str:
        """``text`` with its typos corrected; words in ``keep`` (lowercase: a store's product
        words, "tank" in "Ribbed Tank", which is no misspelt "thank") stay as written."""
        return _WORD.sub(lambda match: self._word(match, text, keep), text)

    def _word(self, match: re.Match[str], text: str, keep: Collection[str]) -> str:
        word = match.group(0)
        lowered = word.lower()
        if len(word) < MIN_CORRECTED_LENGTH or "'" in word or lowered in self.frequency or lowered in keep:
            return word
        if word[0].isupper() and not _SENTENCE_START.search(text[: match.start()]):
            return word
        best = max(self._one_edit(lowered), key=self.frequency.__getitem__, default=None)
        return best if best is not None and self.frequency[best] >= MIN_CORRECTION_SHARE else word

    def _one_edit(self, word: str) -> set[str]:
        """The known words one slip away: two letters swapped, a letter typed twice, or one left
        out. (Not a letter changed or removed: those turn real words the vocabulary lacks into
        frequent ones, "wash" into "was".)"""
        splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
        edits = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        edits |= {a + b[1:] for a, b in splits if len(b) > 1 and b[0] == b[1]}
        edits |= {a + c + b for a, b in splits for c in _LETTERS}
        return {w for w in edits if w in self.frequency}
