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
COLUMN_SETTINGS: Final = frozenset(
    {*_SINGLE_COLUMN_ROLES, "sensitive_features", "positive_label", "threshold", "on_missing", "score_bins"}
)
"""The column settings a config may hold (the job's own settings are listed in ``jobs.JOB_KEYS``)."""


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
        errors = column_settings_errors({name: getattr(self, name) for name in COLUMN_SETTINGS})
        if errors:
            raise errors[0]
        object.__setattr__(self, "sensitive_features", tuple(self.sensitive_features))
        object.__setattr__(self, "_roles", {column: role for role, column in self.column_roles()})

    @classmethod
    def from_dict(cls, data: object) -> FairnessColumns:
        """Build from the API's JSON config; unknown keys are refused so that typos do not go unnoticed."""
        if not isinstance(data, Mapping):
            raise FairnessInputError("config", f"must be a JSON object, got {type(data).__name__}")
        unknown = sorted(str(key) for key in data if key not in COLUMN_SETTINGS)
        if unknown:
            raise FairnessInputError(
                config_field(unknown[0]), f"is not a known setting; expected one of {sorted(COLUMN_SETTINGS)}"
            )
        errors = column_settings_errors(data)
        if errors:
            raise errors[0]
        settings: dict[str, Any] = {key: data[key] for key in COLUMN_SETTINGS if key in data}
        settings["sensitive_features"] = tuple(data["sensitive_features"])
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


def column_settings_errors(settings: Mapping[str, Any]) -> list[FairnessInputError]:
    """Every mistake in the column settings at once, each naming its setting (``config.<key>``).

    Unknown keys are the caller's to report (the full config has the job's settings too). The first error
    is the one :class:`FairnessColumns` raises; the API reports them all, so a user fixes a config in one go.
    """
    errors: list[FairnessInputError] = []

    def refuse(setting: str, message: str) -> None:
        errors.append(FairnessInputError(config_field(setting), message))

    if "y_true" not in settings:
        refuse("y_true", "is required")
    for role in _SINGLE_COLUMN_ROLES:
        value = settings.get(role)
        if (value is not None or (role == "y_true" and role in settings)) and not _is_name(value):
            refuse(role, f"must be a non-empty column name, got {value!r}")
    features = settings.get("sensitive_features")
    valid_features: tuple[str, ...] = ()
    if "sensitive_features" not in settings:
        refuse("sensitive_features", "is required")
    elif isinstance(features, str) or not isinstance(features, tuple | list) or not features:
        refuse("sensitive_features", f"must be a non-empty list of column names, got {features!r}")
    elif not all(_is_name(name) for name in features):
        refuse("sensitive_features", f"must hold non-empty column names, got {list(features)!r}")
    else:
        valid_features = tuple(features)
    if settings.get("y_pred") is None and settings.get("score") is None:
        refuse("y_pred", "give a y_pred column, or a score column (predictions are score >= threshold)")
    threshold = settings.get("threshold")
    if threshold is not None:
        if settings.get("y_pred") is not None:
            refuse("threshold", "is only used to derive predictions when y_pred is not given")
        if not _is_number(threshold) or not 0.0 <= float(threshold) <= 1.0:
            refuse("threshold", f"must be a number in [0, 1], got {threshold!r}")
    label = settings.get("positive_label")
    if label is not None and not (isinstance(label, str | bool) or _is_number(label)):
        refuse("positive_label", f"must be a string, number or boolean, got {label!r}")
    on_missing = settings.get("on_missing", "error")
    if on_missing not in ("error", "group"):
        refuse("on_missing", f"must be 'error' or 'group', got {on_missing!r}")
    bins = settings.get("score_bins", DEFAULT_SCORE_BINS)
    if isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= 1 << 16:
        refuse("score_bins", f"must be an integer in [1, 65536], got {bins!r}")
    roles: dict[str, str] = {}
    named = [(role, settings.get(role)) for role in ("y_true", "y_pred", "score", "sample_weight")]
    named += [(f"sensitive_features[{i}]", name) for i, name in enumerate(valid_features)]
    named.append(("strata", settings.get("strata")))
    for role, column in named:
        if not isinstance(column, str) or not column:
            continue
        if column in roles:
            setting = "sensitive_features" if role.startswith("sensitive_features") else role
            refuse(setting, f"column {column!r} is already used as {roles[column]}")
        else:
            roles[column] = role
    return errors


def _is_name(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False
