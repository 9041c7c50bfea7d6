"""Random data and comparison helpers shared by the fairness engine oracle tests."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

TOLERANCE = 1e-12


def close(actual: float | None, expected: float, tol: float = TOLERANCE) -> bool:
    """Absolute closeness at the oracle tolerance (``None`` never matches a number)."""
    return actual is not None and math.isclose(actual, float(expected), rel_tol=0, abs_tol=tol)


@dataclass
class Dataset:
    """Rows of a binary classifier's predictions with sensitive features."""

    y_true: np.ndarray
    y_pred: np.ndarray
    features: dict[str, np.ndarray]
    weights: np.ndarray | None
    score: np.ndarray

    @property
    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.features)

    def fairlearn_features(self) -> Any:
        """What fairlearn's ``sensitive_features=`` gets: a Series for one feature, a DataFrame otherwise."""
        if len(self.features) == 1:
            ((name, values),) = self.features.items()
            return pd.Series(values, name=name)
        return self.frame


def make_dataset(seed: int, n: int, group_counts: tuple[int, ...], weighted: bool) -> Dataset:
    """Groups with different base rates and error rates, so disparities are real and non-trivial."""
    rng = np.random.default_rng(seed)
    features: dict[str, np.ndarray] = {}
    combined = np.zeros(n)
    for index, count in enumerate(group_counts):
        probabilities = rng.dirichlet(np.full(count, 4.0))
        codes = rng.choice(count, size=n, p=probabilities)
        features[f"attr{index}"] = np.array([f"g{index}_{code}" for code in range(count)], dtype=object)[
            codes
        ]
        combined = combined * 7 + codes
    group_effect = (np.sin(combined * 1.7) + 1) / 2  # in [0, 1], differs per intersectional group
    base = 0.2 + 0.6 * group_effect
    y_true = (rng.random(n) < base).astype(np.int64)
    score = np.clip(0.35 * y_true + 0.65 * rng.random(n) * (0.6 + 0.4 * group_effect), 0, 1)
    y_pred = (score > 0.45).astype(np.int64)
    weights = rng.gamma(2.0, 1.0, size=n) if weighted else None
    return Dataset(y_true, y_pred, features, weights, score)
