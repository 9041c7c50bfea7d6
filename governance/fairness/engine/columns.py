"""Turning sensitive-feature columns into integer codes plus category labels.

The count table is keyed by small integers so that one ``np.bincount`` can do all the counting; this module
is the only place that looks at the raw values. Streaming readers should hand over codes they already
have (pandas ``Categorical`` codes, Arrow dictionary indices or an explicit :class:`PrefactorizedColumn`) so
that no Python-level work per row happens at all.

Labels end up in JSON reports, so they are normalised to JSON scalars (``str``, ``int``, ``float``, ``bool``);
anything else (dates, decimals...) is converted with ``str()``. A missing value is the label ``None``
(JSON ``null``), which can never collide with a real string value such as ``"unknown"``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

import numpy as np
import numpy.typing as npt

from governance.fairness.engine.errors import FairnessInputError

Label: TypeAlias = str | int | float | bool | None
GroupKey: TypeAlias = tuple[Label, ...]
IntArray: TypeAlias = npt.NDArray[np.signedinteger[Any]]

MISSING: Final = None
"""The label of the explicit "missing value" group (``on_missing="group"``); JSON ``null``."""

_DENSE_INTEGER_RANGE: Final = 1 << 20
"""Integer columns whose value range is at most this wide are coded by offset, with no sort."""


@dataclass(frozen=True)
class PrefactorizedColumn:
    """A column already split into integer ``codes`` and the ``categories`` they index.

    ``codes[i] == -1`` marks a missing value (the pandas and Arrow convention). Categories that no row uses
    are fine: groups that do not occur are simply absent from the count table.
    """

    codes: npt.NDArray[np.integer[Any]]
    categories: Sequence[object]


@dataclass(frozen=True)
class FactorizedColumn:
    """Integer codes (``-1`` = missing) and JSON-ready category labels of one key column."""

    name: str
    codes: IntArray
    categories: tuple[Label, ...]

    @property
    def has_missing(self) -> bool:
        """Whether any row has no value; one pass over the codes."""
        return bool(self.codes.size) and int(self.codes.min()) < 0


def to_label(value: object) -> Label:
    """Normalise one category value to a JSON scalar; NaN/None/NA become :data:`MISSING`."""
    if value is None:
        return MISSING
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float):
        return MISSING if math.isnan(value) else value
    if type(value).__name__ in {"NAType", "NaTType"}:
        return MISSING
    return str(value)


def label_sort_key(label: Label) -> tuple[int, float | str]:
    """Order labels deterministically whatever their type: numbers, then strings, missing last.

    Sorting by label (not by code) makes the group order independent of how each chunk's dictionary was
    built, so merged tables and one-shot tables list groups identically.
    """
    if label is None:
        return (3, "")
    if isinstance(label, bool | int | float):
        return (0, float(label))
    return (1, label)


def group_sort_key(key: GroupKey) -> tuple[tuple[int, float | str], ...]:
    """Sort key of a tuple of labels (one per key column)."""
    return tuple(label_sort_key(label) for label in key)


def factorize_column(name: str, values: object, n_rows: int) -> FactorizedColumn:
    """Split ``values`` (numpy/pandas/pyarrow/list/prefactorized) into codes and labels.

    Raises :class:`FairnessInputError` naming ``name`` when the length differs from ``n_rows``.
    """
    codes, categories = _factorize(name, values)
    if codes.ndim != 1 or codes.shape[0] != n_rows:
        raise FairnessInputError(name, f"has {codes.shape[0] if codes.ndim else 0} rows, expected {n_rows}")
    return FactorizedColumn(name=name, codes=codes, categories=categories)


def _factorize(name: str, values: object) -> tuple[IntArray, tuple[Label, ...]]:
    if isinstance(values, PrefactorizedColumn):
        return _from_codes(name, np.asarray(values.codes), values.categories)
    module = type(values).__module__
    if module.startswith("pyarrow"):
        return _from_arrow(name, values)
    if module.startswith("pandas"):
        return _from_pandas(name, values)
    return _from_numpy(name, np.asarray(values))


def _from_codes(
    name: str, codes: npt.NDArray[Any], categories: Sequence[object]
) -> tuple[IntArray, tuple[Label, ...]]:
    if codes.dtype.kind not in "iu":
        raise FairnessInputError(name, f"codes must be integers, got dtype {codes.dtype}")
    labels = tuple(to_label(category) for category in categories)
    if codes.size:
        low, high = int(codes.min()), int(codes.max())
        if low < -1 or high >= len(labels):
            raise FairnessInputError(
                name, f"codes must lie in [-1, {len(labels) - 1}], found [{low}, {high}]"
            )
    if codes.dtype.kind == "u":
        codes = codes.astype(np.int64)
    if any(label is MISSING for label in labels):
        # A category that is itself null (Arrow dictionaries may hold one) means "missing" too.
        missing_codes = np.array([i for i, label in enumerate(labels) if label is MISSING], dtype=np.int64)
        codes = np.where(np.isin(codes, missing_codes), -1, codes).astype(np.int64)
    return codes, labels


def _from_pandas(name: str, values: Any) -> tuple[IntArray, tuple[Label, ...]]:
    categorical = getattr(values, "cat", None) if hasattr(values, "dtype") else None
    if categorical is not None and str(values.dtype) == "category":
        return _from_codes(name, np.asarray(categorical.codes), list(categorical.categories))
    if hasattr(values, "codes") and hasattr(values, "categories"):  # pandas.Categorical
        return _from_codes(name, np.asarray(values.codes), list(values.categories))
    if not isinstance(getattr(values, "dtype", None), np.dtype):
        # Nullable extension dtypes (Int64, boolean, string): Arrow keeps ints as ints and NA as null.
        import pyarrow as pa

        return _from_arrow(name, pa.array(values, from_pandas=True))
    return _from_numpy(name, np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else values))


def _from_arrow(name: str, values: Any) -> tuple[IntArray, tuple[Label, ...]]:
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values, pa.ChunkedArray):
        if pa.types.is_dictionary(values.type):
            values = values.unify_dictionaries()
        values = values.combine_chunks()
    if not pa.types.is_dictionary(values.type):
        values = pc.dictionary_encode(values)
    codes = np.asarray(values.indices.fill_null(-1).to_numpy(zero_copy_only=False))
    return _from_codes(name, codes, values.dictionary.to_pylist())


def _from_numpy(name: str, array: npt.NDArray[Any]) -> tuple[IntArray, tuple[Label, ...]]:
    if array.ndim != 1:
        raise FairnessInputError(name, f"must be one-dimensional, got shape {array.shape}")
    kind = array.dtype.kind
    if kind == "b":
        return array.astype(np.int8), (False, True)
    if kind in "iu" and array.size:
        low, high = int(array.min()), int(array.max())
        if high - low < _DENSE_INTEGER_RANGE:
            codes = array.astype(np.int64) - low if low else array.astype(np.int64, copy=False)
            return codes, tuple(range(low, high + 1))
    if kind == "U":
        return _from_objects(name, array)
    if kind in "iuS":
        uniques, inverse = np.unique(array, return_inverse=True)
        return inverse.astype(np.int64), tuple(to_label(value) for value in uniques)
    if kind == "f":
        missing = np.isnan(array)
        uniques, inverse = np.unique(np.where(missing, 0.0, array), return_inverse=True)
        codes = np.where(missing, -1, inverse).astype(np.int64)
        return codes, tuple(float(value) for value in uniques)
    return _from_objects(name, array)


def _from_objects(name: str, array: npt.NDArray[Any]) -> tuple[IntArray, tuple[Label, ...]]:
    """Hash-based factorisation (no sort) of object/string arrays via Arrow, or a dict for mixed types."""
    try:
        import pyarrow as pa

        arrow_values = pa.array(array, from_pandas=True)
    except (ImportError, TypeError, ValueError, OverflowError):  # Arrow{Invalid,TypeError} subclass these
        arrow_values = None
    if arrow_values is not None:
        return _from_arrow(name, arrow_values)
    index: dict[Label, int] = {}
    codes = np.empty(array.shape[0], dtype=np.int64)
    for row, value in enumerate(array.tolist()):
        label = to_label(value)
        codes[row] = -1 if label is MISSING else index.setdefault(label, len(index))
    return codes, tuple(index)
