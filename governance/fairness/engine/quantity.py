"""A statistic evaluated on the point estimate and, with the same code, on bootstrap replicates.

The engine computes every statistic vectorised over a leading replicate axis: replicate 0 is the data
itself (when ``explain`` is on) or all replicates are resamples (when building confidence intervals). Keeping
one code path guarantees the interval belongs to exactly the number printed next to it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Quantity:
    """Values ``[R]`` of one statistic; NaN marks "undefined", ``reason`` says why for the point estimate.

    ``with_ci`` is false for descriptive numbers (per-group metrics, score metrics) that get no bootstrap
    interval.
    """

    values: FloatArray
    reason: str | None = None
    with_ci: bool = True

    def point(self) -> float | None:
        """The point estimate as a JSON number, or ``None`` when undefined."""
        value = float(self.values[0])
        return None if math.isnan(value) else value


class MetricValues(dict[str, Quantity]):
    """A name -> :class:`Quantity` mapping whose null reasons and intervals are reported beside it.

    Rendered as ``{"metrics": {name: value}, "null_reasons": {name: reason}, "ci": {name: interval}}``.
    """


def quantity(values: FloatArray, why: Callable[[], str], *, explain: bool, with_ci: bool = True) -> Quantity:
    """Wrap ``values``; ``why()`` is only called (and must explain the NaN) when the point value is NaN."""
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    reason = why() if explain and array.size and math.isnan(float(array[0])) else None
    return Quantity(array, reason, with_ci)


def undefined(replicates: int, reason: str, *, with_ci: bool = True) -> Quantity:
    """A statistic that is undefined on the point estimate for a structural reason."""
    return Quantity(np.full(replicates, np.nan), reason, with_ci)
