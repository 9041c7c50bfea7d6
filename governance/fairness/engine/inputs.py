"""Validation and conversion of the per-row arrays (labels, predictions, weights, scores).

Every check is a vectorised pass (no sorting, no Python loop per row) so validation costs little next to the
counting itself. Failures raise :class:`FairnessInputError` naming the argument, with a few offending values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from governance.fairness.engine.errors import FairnessInputError

_SHOWN_VALUES = 5


def to_numpy(values: object) -> npt.NDArray[Any]:
    """A numpy view of numpy/pandas/pyarrow/list input (zero-copy where the source allows it)."""
    module = type(values).__module__
    if module.startswith("pyarrow"):
        if hasattr(values, "combine_chunks"):
            values = values.combine_chunks()
        return np.asarray(values.to_numpy(zero_copy_only=False))  # type: ignore[attr-defined]
    if module.startswith("pandas") and hasattr(values, "to_numpy"):
        return np.asarray(values.to_numpy())
    return np.asarray(values)


def as_length(field: str, values: object) -> int:
    """Number of rows of a one-dimensional input."""
    length = len(values) if hasattr(values, "__len__") else np.asarray(values).shape[0]
    return int(length)


def _check_shape(field: str, array: npt.NDArray[Any], n_rows: int) -> None:
    if array.ndim != 1:
        raise FairnessInputError(field, f"must be one-dimensional, got shape {array.shape}")
    if array.shape[0] != n_rows:
        raise FairnessInputError(
            field, f"has {array.shape[0]} rows, expected {n_rows} (the length of y_true)"
        )


def _examples(values: npt.NDArray[Any]) -> str:
    """A few distinct offending values for the error message (reprs, so NaN and None are visible)."""
    shown: list[str] = []
    for value in values[:10_000].tolist():
        text = repr(value)
        if text not in shown:
            shown.append(text)
        if len(shown) == _SHOWN_VALUES:
            break
    return ", ".join(shown)


def as_binary(field: str, values: object, positive_label: object | None, n_rows: int) -> npt.NDArray[Any]:
    """0/1 indicator of the positive class, as an integer or bool array.

    Without ``positive_label`` the values must already be 0/1 (bool, integer or float); with it, the column
    may hold any two labels and a row is positive when it equals ``positive_label``. More than two distinct
    values, or missing values, raise: a multi-class or partially labelled file cannot be judged as binary.
    """
    array = to_numpy(values)
    _check_shape(field, array, n_rows)
    if positive_label is not None:
        try:
            positive = np.asarray(array == positive_label, dtype=bool)
        except TypeError as exc:  # pandas.NA refuses to be a bool
            raise FairnessInputError(field, "must hold two labels with no missing values") from exc
        if positive.shape != array.shape:
            raise FairnessInputError(field, f"cannot compare values with positive_label {positive_label!r}")
        others = array[~positive]
        if others.size:
            first = others[0]
            offending = others[np.asarray(others != first)] if first == first else others
            if first is None or offending.size:
                raise FairnessInputError(
                    field,
                    "must hold exactly two labels (binary classification); besides the positive label "
                    f"{positive_label!r} found {_examples(others)}"
                    + ("" if first is not None and first == first else " (missing values are not allowed)"),
                )
        return positive.view(np.uint8)
    kind = array.dtype.kind
    if kind == "b":
        return array.view(np.uint8)
    if kind in "iu":
        unsigned: npt.NDArray[Any] = array.view(array.dtype.str.replace("i", "u"))
        if array.size and bool((unsigned > 1).any()):
            bad = array[unsigned > 1]
            raise FairnessInputError(
                field,
                f"must be 0/1 (or pass positive_label=...), found {_examples(bad)}; "
                "multi-class labels are not supported",
            )
        return array
    if kind == "f":
        is_one = np.asarray(array == 1, dtype=bool)
        bad = ~(is_one | (array == 0))
        if bool(bad.any()):
            raise FairnessInputError(
                field, f"must be 0/1 (or pass positive_label=...), found {_examples(array[bad])}"
            )
        return is_one.view(np.uint8)
    try:
        is_one = np.asarray(array == 1, dtype=bool)
        is_zero = np.asarray(array == 0, dtype=bool)
    except TypeError as exc:  # pandas.NA refuses to be a bool
        raise FairnessInputError(field, "must be 0/1 with no missing values") from exc
    if is_one.shape != array.shape or not bool((is_one | is_zero).all()):
        raise FairnessInputError(
            field,
            f"must be 0/1, found {_examples(array[~(is_one | is_zero)])}; "
            "pass positive_label=... for label values",
        )
    return is_one.view(np.uint8)


def as_weights(field: str, values: object, n_rows: int) -> npt.NDArray[np.float64]:
    """Finite non-negative float64 sample weights (negative weights have no resampling meaning)."""
    array = to_numpy(values)
    _check_shape(field, array, n_rows)
    if array.dtype.kind not in "biuf":
        raise FairnessInputError(field, f"must be numeric, got dtype {array.dtype}")
    weights = array.astype(np.float64, copy=False)
    if weights.size and not (float(weights.min()) >= 0.0 and np.isfinite(weights.max())):
        bad = weights[~((weights >= 0) & np.isfinite(weights))]
        raise FairnessInputError(field, f"must be finite and non-negative, found {_examples(bad)}")
    return weights


def as_scores(field: str, values: object, n_rows: int) -> npt.NDArray[np.float64]:
    """Float64 scores within [0, 1] (probabilities of the positive class)."""
    array = to_numpy(values)
    _check_shape(field, array, n_rows)
    if array.dtype.kind not in "biuf":
        raise FairnessInputError(field, f"must be numeric, got dtype {array.dtype}")
    scores = array.astype(np.float64, copy=False)
    if scores.size and not (float(scores.min()) >= 0.0 and float(scores.max()) <= 1.0):
        bad = scores[~((scores >= 0) & (scores <= 1))]
        raise FairnessInputError(field, f"must lie in [0, 1] with no missing values, found {_examples(bad)}")
    return scores


def as_finite(field: str, values: object, n_rows: int) -> npt.NDArray[np.float64]:
    """Finite float64 values (regression targets and predictions)."""
    array = to_numpy(values)
    _check_shape(field, array, n_rows)
    if array.dtype.kind not in "biuf":
        raise FairnessInputError(field, f"must be numeric, got dtype {array.dtype}")
    numbers = array.astype(np.float64, copy=False)
    finite = np.isfinite(numbers)
    if not bool(finite.all()):
        raise FairnessInputError(
            field, f"must be finite with no missing values, found {_examples(numbers[~finite])}"
        )
    return numbers
