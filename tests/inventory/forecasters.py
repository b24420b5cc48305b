"""A forecaster with known output that worker processes can import (closures cannot be pickled)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

RATES = {"MUG": 3.0, "TEE-S": 2.0, "TEE-M": 0.0}


class ConstantForecaster:
    """A constant daily mean per SKU (RATES), sigma 1; records nothing, so it can run anywhere."""

    def __call__(self, history, horizon, freq="D", level=90, censored=None, promotions=None, profiles=None):
        start = history["ds"].max() + pd.Timedelta(days=1)
        uids = sorted(history["unique_id"].unique())
        table = pd.concat(
            [
                pd.DataFrame(
                    {
                        "unique_id": uid,
                        "ds": pd.date_range(start, periods=horizon, freq="D"),
                        "mean": RATES.get(uid, 0.0),
                        "lo": max(RATES.get(uid, 0.0) - 1.28, 0.0),
                        "hi": RATES.get(uid, 0.0) + 1.28,
                    }
                )
                for uid in uids
            ],
            ignore_index=True,
        )
        return SimpleNamespace(
            table=table,
            model={u: "Constant" for u in uids},
            demand_class={u: "smooth" for u in uids},
            sigma={u: 1.0 for u in uids},
        )
