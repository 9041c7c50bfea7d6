"""Comparing label values across file formats, and mapping a column's distinct labels to 0/1.

A CSV file has no types: its label column is read as text, while the same data in Parquet may be integers
or booleans. So that ``positive_label=1`` means the same thing for both, labels are compared through a
canonical form: numbers (and numeric text such as ``"1"`` or ``"1.0"``) as floats, ``true``/``false`` (any
case) as booleans, any other text unchanged (case-sensitive). Python's ``True == 1.0`` makes booleans and
0/1 interchangeable, which is what a 0/1 label column means.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final, TypeAlias

import numpy as np
import numpy.typing as npt

Canonical: TypeAlias = bool | float | str

_BINARY: Final = frozenset({0.0, 1.0})  # also holds False and True, which compare equal to 0 and 1


def canonical(value: object) -> Canonical | None:
    """Canonical form of one label value; ``None`` for a missing value (null or NaN)."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        number = float(value)
        return None if math.isnan(number) else number
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value)
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


def is_text(value: Canonical | None) -> bool:
    """Whether a canonical label is non-numeric, non-boolean text (cannot match a numeric column)."""
    return isinstance(value, str)


def describe(values: Sequence[object], limit: int = 5) -> str:
    """A few values for an error message, as reprs so that text and numbers are told apart."""
    shown = [repr(value) for value in list(values)[:limit]]
    return ", ".join(shown) + (", ..." if len(values) > limit else "")


def binary_lookup(
    categories: Sequence[object], positive: Canonical | None
) -> tuple[npt.NDArray[np.uint8], list[int]]:
    """0/1 value of each category and the indices of categories that cannot be a binary label.

    Without ``positive`` a category must be 0/1 (or true/false); with it, a category is positive when it
    equals ``positive`` and negative otherwise. Missing categories (a null inside a dictionary) are reported
    as invalid too. The caller decides whether invalid categories matter (only if some row uses them) and
    tracks the distinct negatives, which must be a single label across the whole column.
    """
    lookup = np.zeros(len(categories), dtype=np.uint8)
    invalid: list[int] = []
    for index, category in enumerate(categories):
        value = canonical(category)
        if value is None:
            invalid.append(index)
        elif positive is None:
            if value in _BINARY:
                lookup[index] = value == 1
            else:
                invalid.append(index)
        else:
            lookup[index] = value == positive
    return lookup, invalid
