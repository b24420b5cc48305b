"""The classifier's features: word uni/bigrams and within-word character 3-5-grams.

Training (``tools/train_intent_model.py``) and inference use this one function, so the shipped
vocabulary always means the same thing. Numbers, e-mail addresses and links become class tokens:
an order number says "there is an order", never which one.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter

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
