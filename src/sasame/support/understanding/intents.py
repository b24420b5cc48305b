"""The intent classifier: a linear model over tf-idf features, trained offline and shipped.

``model/intent_model.npz`` holds the arrays (idf, coefficients, intercepts) and
``model/intent_model.json`` the vocabulary, the class names, the calibration temperature and the
out-of-scope threshold; ``tools/train_intent_model.py`` writes both. Inference is a sparse dot
product in numpy, so loading is fast and does not depend on the scikit-learn version.

Optional store adaptation (:class:`StoreMemory`): the store's own labelled, closed conversations
are kept as tf-idf vectors; a message's similarity to each intent's nearest past messages is
added to the shipped model's logits, with two weights fitted on the history itself
(leave-one-out), so the owner's past answers teach the model the store's wording.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from sasame.models.support import INTENTS as TICKET_INTENTS
from sasame.support.understanding.features import Speller, feature_counts, tokens, weighted

INTENTS = TICKET_INTENTS
"""The fixed vocabulary of the issue; the schema owns it so tickets and the model agree."""

MODEL_NAME = "intent_model"
RANKED = 3
SECONDARY_MIN_PROBABILITY = 0.9


@dataclass(frozen=True)
class IntentResult:
    intent: str
    confidence: float
    ranked: tuple[tuple[str, float], ...]
    secondary: str | None
    out_of_scope: bool


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def confidence_features(logits: np.ndarray, temperature: float) -> np.ndarray:
    """What the correctness calibrator reads, per row of logits: the log of the top
    temperature-scaled probability, the top raw logit (the scale of the evidence) and the
    log-ratio of the top two probabilities. The calibrator (a logistic regression fitted on
    real queries, out of fold) turns them into P(top intent is right)."""
    logits = np.atleast_2d(logits)
    probs = softmax(logits / temperature)
    ordered = np.sort(probs, axis=1)
    top, second = ordered[:, -1], ordered[:, -2]
    return np.column_stack([np.log(top), logits.max(axis=1), np.log(top) - np.log(second + 1e-12)])


class IntentModel:
    """The shipped linear model with its calibration."""

    def __init__(
        self,
        vocabulary: dict[str, int],
        idf: np.ndarray,
        coef: np.ndarray,
        intercept: np.ndarray,
        classes: Sequence[str],
        temperature: float,
        oos_threshold: float,
        meta: dict[str, object] | None = None,
        calibrator: tuple[Sequence[float], float] | None = None,
    ) -> None:
        if set(classes) != set(INTENTS):
            raise ValueError(f"model classes {sorted(classes)} differ from INTENTS")
        self.vocabulary = vocabulary
        self.idf = idf.astype(np.float64)
        self.idf_list = self.idf.tolist()
        self.coef = coef.astype(np.float32)
        self.intercept = intercept.astype(np.float64)
        self.classes = tuple(classes)
        self.temperature = float(temperature)
        self.oos_threshold = float(oos_threshold)
        self.meta = meta or {}
        self.calibrator = (
            (np.array(calibrator[0], dtype=np.float64), float(calibrator[1])) if calibrator else None
        )
        # idf = ln((1 + n) / (1 + df)) + 1, so a word's training frequency ranks the corrections.
        self.speller = Speller(
            {
                feature[2:]: float(np.exp(-(self.idf[index] - 1.0)))
                for feature, index in vocabulary.items()
                if feature.startswith("w:") and not feature.startswith("w:_")
            }
        )

    @classmethod
    def load(cls, directory: Path | None = None) -> IntentModel:
        if directory is None:
            base = resources.files("sasame.support.understanding") / "model"
            arrays_bytes = (base / f"{MODEL_NAME}.npz").read_bytes()
            meta_text = (base / f"{MODEL_NAME}.json").read_text(encoding="utf-8")
        else:
            arrays_bytes = (directory / f"{MODEL_NAME}.npz").read_bytes()
            meta_text = (directory / f"{MODEL_NAME}.json").read_text(encoding="utf-8")
        import io

        with np.load(io.BytesIO(arrays_bytes), allow_pickle=False) as arrays:
            idf, coef, intercept = arrays["idf"], arrays["coef"], arrays["intercept"]
        meta = json.loads(meta_text)
        vocabulary = {feature: index for index, feature in enumerate(meta["features"])}
        return cls(
            vocabulary,
            idf,
            coef,
            intercept,
            meta["classes"],
            meta["temperature"],
            meta["oos_threshold"],
            {k: v for k, v in meta.items() if k != "features"},
            (meta["calibrator"]["weights"], meta["calibrator"]["bias"]) if "calibrator" in meta else None,
        )

    def vector(self, text: str) -> dict[int, float]:
        return weighted(feature_counts(self.speller.correct(text)), self.vocabulary, self.idf_list)

    def logits(self, vector: dict[int, float]) -> np.ndarray:
        """Uncalibrated class scores of one tf-idf vector."""
        if not vector:
            return self.intercept.copy()
        indices = np.fromiter(vector.keys(), dtype=np.int64, count=len(vector))
        values = np.fromiter(vector.values(), dtype=np.float64, count=len(vector))
        return values @ self.coef[indices] + self.intercept

    def probabilities(self, text: str) -> np.ndarray:
        """Calibrated class probabilities: the top class gets the calibrator's probability of
        being right; the others share the rest in proportion to their scaled probabilities."""
        return self.calibrate(self.logits(self.vector(text)))

    def calibrate(self, logits: np.ndarray) -> np.ndarray:
        probs = softmax(logits / self.temperature)
        if self.calibrator is None:
            return probs
        weights, bias = self.calibrator
        score = float(confidence_features(logits, self.temperature)[0] @ weights + bias)
        confidence = 1.0 / (1.0 + math.exp(-score))
        top = int(np.argmax(probs))
        rest = 1.0 - probs[top]
        scaled = probs * ((1.0 - confidence) / rest) if rest > 0 else np.zeros_like(probs)
        scaled[top] = confidence
        return scaled


class StoreMemory:
    """Store adaptation: nearest past messages per intent, mixed into the shipped model's logits."""

    def __init__(self, model: IntentModel, texts: Sequence[str], intents: Sequence[str]) -> None:
        from scipy import sparse

        self.model = model
        known = [(t, i) for t, i in zip(texts, intents, strict=True) if i in model.classes]
        self.size = len(known)
        self.labels = np.array([model.classes.index(i) for _, i in known], dtype=np.int64)
        rows, cols, vals = [], [], []
        base_logits = []
        for row, (text, _) in enumerate(known):
            vector = model.vector(text)
            base_logits.append(model.logits(vector))
            for col, val in vector.items():
                rows.append(row)
                cols.append(col)
                vals.append(val)
        self.matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(self.size, len(model.vocabulary)))
        # Feature-major copy: a message's few features select a few rows (fast) instead of
        # slicing columns of the example-major matrix.
        self.by_feature = self.matrix.T.tocsr()
        self.base_weight, self.memory_weight = 1.0 / model.temperature, 0.0
        if self.size >= 10 and len(set(self.labels.tolist())) >= 2:
            self._fit(np.array(base_logits))

    def similarities(self, vector: dict[int, float], exclude: int | None = None) -> np.ndarray:
        """Per intent: mean cosine similarity of the 2 most similar past messages (0 if none)."""
        indices = np.fromiter(vector.keys(), dtype=np.int64, count=len(vector))
        values = np.fromiter(vector.values(), dtype=np.float64, count=len(vector))
        sims = self.by_feature[indices].T @ values if len(indices) else np.zeros(self.size)
        return self._per_class(np.asarray(sims).ravel(), exclude)

    def _per_class(self, sims: np.ndarray, exclude: int | None) -> np.ndarray:
        """Per intent, the mean similarity of its 2 nearest past messages.

        Intents the history lacks (a store that deletes spam has no spam tickets) get the mean
        score of the others, so the memory neither favours nor penalises them.
        """
        scores = np.zeros(len(self.model.classes))
        present = np.zeros(len(self.model.classes), dtype=bool)
        if exclude is not None:
            sims = sims.copy()
            sims[exclude] = -1.0
        for index in range(len(self.model.classes)):
            mine = sims[self.labels == index]
            mine = mine[mine >= 0]
            if len(mine):
                scores[index] = float(np.sort(mine)[-2:].mean())
                present[index] = True
        if present.any():
            scores[~present] = scores[present].mean()
        return scores

    def _fit(self, base_logits: np.ndarray) -> None:
        """Choose the two mixing weights by leave-one-out log-loss on the history itself."""
        all_sims = (self.matrix @ self.matrix.T).toarray()
        memory = np.array([self._per_class(all_sims[row], row) for row in range(self.size)])
        best = (math.inf, self.base_weight, 0.0)
        for base_weight in np.arange(0.25, 3.01, 0.25):
            for memory_weight in np.arange(0.0, 40.1, 2.0):
                logits = base_weight * base_logits + memory_weight * memory
                probs = softmax(logits)
                loss = -float(np.mean(np.log(probs[np.arange(self.size), self.labels] + 1e-12)))
                if loss < best[0] - 1e-9:
                    best = (loss, base_weight, memory_weight)
        _, self.base_weight, self.memory_weight = best

    def probabilities(self, text: str) -> np.ndarray:
        vector = self.model.vector(text)
        logits = self.base_weight * self.model.logits(vector)
        if self.memory_weight:
            logits = logits + self.memory_weight * self.similarities(vector)
        return softmax(logits)


@lru_cache(maxsize=1)
def shipped_model() -> IntentModel:
    """The model shipped with the package (loaded once per process)."""
    return IntentModel.load()


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def classify(subject: str, text: str, memory: StoreMemory | None = None) -> IntentResult:
    """Return the intent of a message (subject + cleaned body) with calibrated probabilities."""
    model = memory.model if memory is not None else shipped_model()
    predict = memory.probabilities if memory is not None else model.probabilities
    full = f"{subject}\n{text}".strip()
    if not any(not token.startswith("_") and token not in ("!", "?") for token in tokens(full)):
        # No words (empty, only numbers or links, another alphabet): say so, never guess.
        return IntentResult("other", 0.0, (("other", 0.0),), None, True)
    probs = predict(full)
    order = np.argsort(-probs, kind="stable")
    ranked = tuple((model.classes[i], round(float(probs[i]), 4)) for i in order[:RANKED])
    intent, confidence = ranked[0]
    out_of_scope = intent == "other" or confidence < model.oos_threshold
    secondary = _secondary(text, intent, model)
    if out_of_scope and intent != "other":
        # Not sure enough of any intent: say "other", with the probability the model gives it.
        other_probability = round(float(probs[model.classes.index("other")]), 4)
        return IntentResult("other", other_probability, ranked, secondary, True)
    return IntentResult(intent, confidence, ranked, secondary, out_of_scope)


_ASK_CUE = re.compile(
    r"(?i)\?|\b(please|pls|can you|could you|can i|could i|would you|i want|i'd like|i would like|"
    r"i need|let me know|how do i|how can i|is it possible|do you|will you)\b"
)
SECONDARY_MAIN_AT_MOST = 0.05
SECONDARY_FLAGGED_MIN_PROBABILITY = 0.4
_SECOND_ASK_FLAG = re.compile(
    r"(?i)^\W*(also|and also|plus|p\.?s\.?|btw|by the way|one more thing|another thing|another question|"
    r"separately|oh and|and one more)\b"
)


def earlier_ask(text: str, intent: str, model: IntentModel | None = None) -> str | None:
    """The intent of what a message asks *before* an announced second ask ("Also, my code didn't
    work"), when the message was read as the announced ask itself: the first ask is usually the
    main one, so a reading taken from the "also" part answers the wrong question.

    Returns that earlier intent when the shipped model reads the part from the first announcing
    sentence on as ``intent`` and the part before it as another intent with probability >= 0.5;
    else None. Read by the shipped model alone, like ``_secondary``.
    """
    model = model or shipped_model()
    sentences = [s.strip() for s in _SENTENCE.split(text) if s.strip()]
    flagged = next((i for i, s in enumerate(sentences) if i > 0 and _SECOND_ASK_FLAG.match(s)), None)
    if flagged is None:
        return None
    head, tail = " ".join(sentences[:flagged]), " ".join(sentences[flagged:])
    tail_probs = model.probabilities(tail)
    if model.classes[int(np.argmax(tail_probs))] != intent:
        return None
    head_probs = model.probabilities(head)
    index = int(np.argmax(head_probs))
    candidate = model.classes[index]
    if candidate in (intent, "other") or float(head_probs[index]) < EARLIER_ASK_MIN_PROBABILITY:
        return None
    return candidate


EARLIER_ASK_MIN_PROBABILITY = 0.5


def _secondary(text: str, intent: str, model: IntentModel) -> str | None:
    """A second ask: a sentence that asks something (a question or a request) and that the
    shipped model reads as another actionable intent, with probability >= 0.9 (>= 0.4 when the
    sentence announces itself: "Also, ...", "P.S.", "One more thing"), while giving the message's
    own intent at most 5 %. Sentences are read by the shipped model alone: the store memory
    matches whole messages, not sentences."""
    all_sentences = [s.strip() for s in _SENTENCE.split(text) if len(s.strip()) >= 12]
    if len(all_sentences) < 2:
        return None
    sentences = [s for s in all_sentences if _ASK_CUE.search(s) or _SECOND_ASK_FLAG.match(s)]
    main = model.classes.index(intent)
    best: tuple[float, str] | None = None
    for sentence in sentences:
        probs = model.probabilities(sentence)
        index = int(np.argmax(probs))
        candidate, probability = model.classes[index], float(probs[index])
        if candidate in (intent, "other", "praise", "complaint", "spam"):
            continue
        if probs[main] > SECONDARY_MAIN_AT_MOST:
            continue
        flagged = _SECOND_ASK_FLAG.match(sentence)
        needed = SECONDARY_FLAGGED_MIN_PROBABILITY if flagged else SECONDARY_MIN_PROBABILITY
        if probability >= needed and (best is None or probability > best[0]):
            best = (probability, candidate)
    return best[1] if best else None
