"""Which file columns play which role in a fairness check (the API's JSON ``config``).

The configuration is checked on its own, before any file is opened, so that a request with a typo in a key
or a missing role is refused immediately with an error naming the setting (``config.<key>``). Whether the
named columns exist and have usable types is checked against the file by
:func:`~governance.fairness.reader.files.validate_columns`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias, cast

from governance.fairness.engine import FairnessInputError
from governance.fairness.engine.counts import DEFAULT_SCORE_BINS

OnMissing: TypeAlias = Literal["error", "group"]
PositiveLabel: TypeAlias = str | int | float | bool | None

DEFAULT_THRESHOLD: Final = 0.5
"""Cut-off turning a score into a prediction when no ``y_pred`` column is given (as scikit-learn does)."""

_SINGLE_COLUMN_ROLES: Final = ("y_true", "y_pred", "score", "sample_weight", "strata")
_KEYS: Final = frozenset(
    {*_SINGLE_COLUMN_ROLES, "sensitive_features", "positive_label", "threshold", "on_missing", "score_bins"}
)


def config_field(name: str) -> str:
    """The error field of a configuration setting, e.g. ``config.y_true`` (columns are named bare)."""
    return f"config.{name}"


@dataclass(frozen=True)
class FairnessColumns:
    """Column roles of a binary classifier's predictions file.

    ``y_pred`` may be omitted when ``score`` is given: a row is then predicted positive when
    ``score >= threshold`` (0.5 unless set). ``positive_label`` names the positive class of text (or other
    non-0/1) label columns; it applies to ``y_pred`` too when that is a column, never to a thresholded score.
    ``on_missing`` is the engine's policy for missing sensitive/strata values (``"group"`` reports them as a
    ``null`` group); labels, scores and weights can never be missing, since such a row cannot be counted.
    """

    y_true: str
    sensitive_features: tuple[str, ...]
    y_pred: str | None = None
    score: str | None = None
    sample_weight: str | None = None
    strata: str | None = None
    positive_label: PositiveLabel = None
    threshold: float | None = None
    on_missing: OnMissing = "error"
    score_bins: int = DEFAULT_SCORE_BINS
    _roles: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for role in _SINGLE_COLUMN_ROLES:
            value = getattr(self, role)
            if (value is not None or role == "y_true") and not _is_name(value):
                raise FairnessInputError(
                    config_field(role), f"must be a non-empty column name, got {value!r}"
                )
        features = self.sensitive_features
        if isinstance(features, str) or not isinstance(features, tuple | list) or not features:
            raise FairnessInputError(
                config_field("sensitive_features"),
                f"must be a non-empty list of column names, got {features!r}",
            )
        if not all(_is_name(name) for name in features):
            raise FairnessInputError(
                config_field("sensitive_features"),
                f"must hold non-empty column names, got {list(features)!r}",
            )
        object.__setattr__(self, "sensitive_features", tuple(features))
        if self.y_pred is None and self.score is None:
            raise FairnessInputError(
                config_field("y_pred"),
                "give a y_pred column, or a score column (predictions are score >= threshold)",
            )
        if self.threshold is not None:
            if self.y_pred is not None:
                raise FairnessInputError(
                    config_field("threshold"), "is only used to derive predictions when y_pred is not given"
                )
            if not _is_number(self.threshold) or not 0.0 <= float(self.threshold) <= 1.0:
                raise FairnessInputError(
                    config_field("threshold"), f"must be a number in [0, 1], got {self.threshold!r}"
                )
        label = self.positive_label
        if label is not None and not (isinstance(label, str | bool) or _is_number(label)):
            raise FairnessInputError(
                config_field("positive_label"), f"must be a string, number or boolean, got {label!r}"
            )
        if self.on_missing not in ("error", "group"):
            raise FairnessInputError(
                config_field("on_missing"), f"must be 'error' or 'group', got {self.on_missing!r}"
            )
        bins = self.score_bins
        if isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= 1 << 16:
            raise FairnessInputError(
                config_field("score_bins"), f"must be an integer in [1, 65536], got {bins!r}"
            )
        roles: dict[str, str] = {}
        for role, column in self.column_roles():
            if column in roles:
                setting = "sensitive_features" if role.startswith("sensitive_features") else role
                raise FairnessInputError(
                    config_field(setting), f"column {column!r} is already used as {roles[column]}"
                )
            roles[column] = role
        object.__setattr__(self, "_roles", roles)

    @classmethod
    def from_dict(cls, data: object) -> FairnessColumns:
        """Build from the API's JSON config; unknown keys are refused so that typos do not go unnoticed."""
        if not isinstance(data, Mapping):
            raise FairnessInputError("config", f"must be a JSON object, got {type(data).__name__}")
        unknown = sorted(str(key) for key in data if key not in _KEYS)
        if unknown:
            raise FairnessInputError(
                config_field(unknown[0]), f"is not a known setting; expected one of {sorted(_KEYS)}"
            )
        if "y_true" not in data:
            raise FairnessInputError(config_field("y_true"), "is required")
        if "sensitive_features" not in data:
            raise FairnessInputError(config_field("sensitive_features"), "is required")
        features = data["sensitive_features"]
        if not isinstance(features, list | tuple):
            raise FairnessInputError(
                config_field("sensitive_features"), f"must be a list of column names, got {features!r}"
            )
        settings: dict[str, Any] = {key: data[key] for key in _KEYS if key in data}
        settings["sensitive_features"] = tuple(features)
        return cls(**settings)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form accepted by :meth:`from_dict` (what a Celery task ships to its workers)."""
        data: dict[str, Any] = {"y_true": self.y_true, "sensitive_features": list(self.sensitive_features)}
        for key in ("y_pred", "score", "sample_weight", "strata", "positive_label", "threshold"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        data["on_missing"] = self.on_missing
        data["score_bins"] = self.score_bins
        return data

    def column_roles(self) -> list[tuple[str, str]]:
        """``(role, column)`` for every column read, in a stable order: labels, score, weight, keys."""
        roles = [
            (role, cast(str, getattr(self, role)))
            for role in ("y_true", "y_pred", "score", "sample_weight")
            if getattr(self, role) is not None
        ]
        roles += [(f"sensitive_features[{i}]", name) for i, name in enumerate(self.sensitive_features)]
        if self.strata is not None:
            roles.append(("strata", self.strata))
        return roles

    @property
    def needed(self) -> tuple[str, ...]:
        """The distinct columns to read; every other column of the file is never decoded."""
        return tuple(column for _, column in self.column_roles())

    def role_of(self, column: str) -> str:
        """The role a column plays, for error messages (``"y_true"``, ``"sensitive_features[1]"``...)."""
        return self._roles.get(column, "column")

    @property
    def prediction_threshold(self) -> float:
        """The threshold applied to ``score`` when ``y_pred`` is absent."""
        return DEFAULT_THRESHOLD if self.threshold is None else float(self.threshold)


def _is_name(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
