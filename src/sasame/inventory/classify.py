"""Demand classes: Syntetos–Boylan–Croston (ADI / CV²) picks the method, ABC/XYZ the service target."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

# Syntetos, Boylan & Croston (2005): the cut-offs that separate where Croston-type methods beat SES.
ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49

DEMAND_CLASSES = ("smooth", "erratic", "intermittent", "lumpy")


def demand_class(values: Sequence[float] | np.ndarray) -> str:
    """Classify one demand series by average inter-demand interval (ADI) and squared CV of non-zero sizes.

    Fewer than two non-zero demands cannot be measured: such a series is `lumpy` when it has any
    demand among several periods (a rare, unpredictable item) and `smooth` when it has none or only
    one period, so callers fall back to the simplest model.
    """
    array = np.asarray(values, dtype=float)
    array = array[np.isfinite(array)]
    nonzero = array[array > 0]
    if len(nonzero) < 2:
        return "lumpy" if len(nonzero) == 1 and len(array) > 2 else "smooth"
    adi = len(array) / len(nonzero)
    mean = float(nonzero.mean())
    cv2 = float(nonzero.var() / (mean * mean)) if mean > 0 else 0.0
    if adi < ADI_CUTOFF:
        return "smooth" if cv2 < CV2_CUTOFF else "erratic"
    return "intermittent" if cv2 < CV2_CUTOFF else "lumpy"


def abc_classes(values: Mapping[str, float], a_share: float = 0.8, b_share: float = 0.95) -> dict[str, str]:
    """A for the SKUs making the first `a_share` of value, B up to `b_share`, C for the tail."""
    ranked = sorted(values.items(), key=lambda item: (-item[1], item[0]))
    total = sum(max(value, 0.0) for _, value in ranked)
    classes: dict[str, str] = {}
    cumulative = 0.0
    for key, value in ranked:
        share_before = cumulative / total if total > 0 else 1.0
        classes[key] = "A" if share_before < a_share else "B" if share_before < b_share else "C"
        cumulative += max(value, 0.0)
    return classes


def xyz_class(values: Sequence[float] | np.ndarray, x_cutoff: float = 0.5, y_cutoff: float = 1.0) -> str:
    """X steady (CV < 0.5), Y variable (< 1.0), Z erratic, from the per-period coefficient of variation."""
    array = np.asarray(values, dtype=float)
    array = array[np.isfinite(array)]
    if len(array) == 0 or array.mean() <= 0:
        return "Z"
    cv = float(array.std() / array.mean())
    return "X" if cv < x_cutoff else "Y" if cv < y_cutoff else "Z"
