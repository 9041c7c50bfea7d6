"""Views of the count table: the intersection of all sensitive features, and each feature on its own.

A view maps every key of the base table (intersectional group x stratum) to one of its groups, so both the
point estimate and a stack of bootstrap replicates aggregate to the view with the same ``np.add.reduceat``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from governance.fairness.engine.columns import GroupKey, Label, group_sort_key
from governance.fairness.engine.counts import CountTable
from governance.fairness.engine.errors import FairnessInputError

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]
ReferenceSpec: TypeAlias = Literal["largest", "most_favourable"] | Mapping[str, Label]
INTERSECTION = "intersection"


@dataclass(frozen=True)
class _Aggregator:
    """Sums base-key rows into target slots: ``out[:, slots[j]] = sum of base keys order[starts[j]:...]``."""

    order: IndexArray
    starts: IndexArray
    slots: IndexArray
    size: int

    @classmethod
    def from_index(cls, target: IndexArray, size: int) -> _Aggregator:
        order = np.argsort(target, kind="stable")
        sorted_target = target[order]
        starts = (
            np.flatnonzero(np.r_[True, sorted_target[1:] != sorted_target[:-1]]) if target.size else target
        )
        return cls(order, starts.astype(np.intp), sorted_target[starts].astype(np.intp), size)

    def __call__(self, cells: FloatArray) -> FloatArray:
        """``[R, K, ...]`` -> ``[R, size, ...]``."""
        out = np.zeros((cells.shape[0], self.size, *cells.shape[2:]))
        if self.order.size:
            out[:, self.slots] = np.add.reduceat(cells[:, self.order], self.starts, axis=1)
        return out


@dataclass(frozen=True)
class View:
    """One grouping of the data: its groups, their sizes and how to aggregate base cells into them."""

    name: str
    columns: tuple[str, ...]
    keys: tuple[GroupKey, ...]
    rows: npt.NDArray[np.int64]
    weights: FloatArray | None
    strata_labels: tuple[Label, ...]
    score_hist: FloatArray | None
    _groups: _Aggregator
    _strata: _Aggregator | None

    @property
    def labels(self) -> list[dict[str, Label]]:
        """Each group as ``{column: value}``, the form it takes in reports."""
        return [dict(zip(self.columns, key, strict=True)) for key in self.keys]

    def aggregate(self, base_cells: FloatArray) -> FloatArray:
        """``[R, K, 4]`` base cells -> ``[R, G, 4]`` view cells."""
        return self._groups(base_cells)

    def aggregate_strata(self, base_cells: FloatArray) -> FloatArray | None:
        """``[R, K, 4]`` -> ``[R, G, S, 4]`` cells by group and stratum (``None`` without strata)."""
        if self._strata is None:
            return None
        flat = self._strata(base_cells)
        return flat.reshape(flat.shape[0], len(self.keys), len(self.strata_labels), 4)


def build_views(table: CountTable) -> list[View]:
    """The intersectional view followed by one view per sensitive column."""
    views = [_view(table, INTERSECTION, table.sensitive_columns)]
    views.extend(_view(table, column, (column,)) for column in table.sensitive_columns)
    return views


def _view(table: CountTable, name: str, columns: tuple[str, ...]) -> View:
    keys, index = table.key_index(columns)
    groups = _Aggregator.from_index(index, len(keys))
    rows = groups(table.rows[None].astype(np.float64))[0].sum(axis=1).astype(np.int64)
    weights = None if table.weight_sums is None else groups(table.weight_sums[None])[0].sum(axis=1)
    hist = None if table.score_hist is None else groups(table.score_hist[None])[0]
    strata_labels: tuple[Label, ...] = ()
    strata = None
    if table.strata_column is not None:
        position = table.columns.index(table.strata_column)
        strata_labels = tuple(
            sorted({key[position] for key in table.keys}, key=lambda label: group_sort_key((label,)))
        )
        stratum_of = {label: s for s, label in enumerate(strata_labels)}
        stratum_index = np.fromiter(
            (stratum_of[key[position]] for key in table.keys), dtype=np.intp, count=len(table.keys)
        )
        strata = _Aggregator.from_index(
            index * len(strata_labels) + stratum_index, len(keys) * len(strata_labels)
        )
    return View(name, columns, keys, rows, weights, strata_labels, hist, groups, strata)


def resolve_reference(
    view: View, reference: ReferenceSpec, min_group_size: int
) -> tuple[int | Literal["most_favourable"] | None, str | None]:
    """The view's reference group index (or ``"most_favourable"``: decided per metric), or why none."""
    return resolve_reference_for_keys(view.columns, view.keys, view.rows, reference, min_group_size)


def resolve_reference_for_keys(
    columns: tuple[str, ...],
    keys: Sequence[GroupKey],
    rows: npt.NDArray[np.int64],
    reference: ReferenceSpec,
    min_group_size: int,
) -> tuple[int | Literal["most_favourable"] | None, str | None]:
    """Reference resolution on plain keys: ``largest`` is the group with most rows (ties: first in order)."""
    if reference == "most_favourable":
        return "most_favourable", None
    if reference == "largest":
        eligible = np.flatnonzero(rows >= min_group_size)
        if eligible.size == 0:
            return None, f"no group reaches min_group_size={min_group_size}"
        return int(eligible[np.argmax(rows[eligible])]), None
    if not isinstance(reference, Mapping):
        raise FairnessInputError(
            "reference", f"must be 'largest', 'most_favourable' or a mapping, got {reference!r}"
        )
    unnamed = [column for column in columns if column not in reference]
    if unnamed:
        return None, f"the reference group names no value for {', '.join(unnamed)}"
    wanted = tuple(reference[column] for column in columns)
    for index, key in enumerate(keys):
        if key == wanted:
            return index, None
    return None, f"reference group {dict(zip(columns, wanted, strict=True))} does not occur in the data"


def check_reference(reference: ReferenceSpec, columns: Sequence[str]) -> None:
    """Reject a reference mapping that names columns the table does not have (a typo, not a data issue)."""
    if isinstance(reference, Mapping):
        unknown = [column for column in reference if column not in columns]
        if unknown:
            raise FairnessInputError(
                "reference", f"names unknown column(s) {unknown}; sensitive columns are {list(columns)}"
            )
    elif reference not in ("largest", "most_favourable"):
        raise FairnessInputError(
            "reference", f"must be 'largest', 'most_favourable' or a mapping, got {reference!r}"
        )
