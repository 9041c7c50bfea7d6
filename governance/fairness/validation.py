"""Refusing a fairness check before it is recorded: every mistake at once, as field errors.

The checks themselves are pure and live with what they check (:func:`jobs.config_errors` for the JSON
config, :func:`reader.column_errors` for the file against it). This module runs them for
:func:`~governance.fairness.services.fairness_check_create`, so the API, the admin, the demo seeder and
commands all get the same checks, and turns them into one Django ``ValidationError`` keyed by config path
(``config.score``), which the API answers as a 422 problem with a field-level ``errors`` list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError

from governance.core.jsonsafe import json_problem
from governance.fairness import jobs
from governance.fairness.engine import FairnessInputError


@dataclass(frozen=True)
class CheckedRequest:
    """What validating a requested check found: its errors, and the file's format as detected."""

    errors: tuple[FairnessInputError, ...]
    input_format: str | None


def fairness_check_errors(
    *,
    config: object,
    input_path: Path | None,
    input_format: str | None = None,
    model_version_id: int | None = None,
) -> CheckedRequest:
    """Check the config, the file (schema only: cheap whatever its size) and the file against the config.

    ``model_version_id`` is the version the check is recorded against; the config must name the same one.
    Without ``input_path`` only the config is checked.
    """
    # A value that cannot be stored or hashed (e.g. an integer beyond 2**53) is reported alone: the
    # checks below would trip over it (a number beyond float range) instead of naming it.
    unsafe = json_problem(config, "config")
    errors = [FairnessInputError(*unsafe)] if unsafe is not None else jobs.config_errors(config)
    named = config.get("model_version") if isinstance(config, Mapping) else None
    if model_version_id is not None and isinstance(named, int) and named != model_version_id:
        errors.append(
            FairnessInputError(
                "config.model_version", f"names model version {named}, but the check is of {model_version_id}"
            )
        )
    detected = None
    if input_path is not None:
        usable = config if isinstance(config, Mapping) and unsafe is None else {}
        file_errors, detected = jobs.input_errors(input_path, input_format, usable)
        errors += file_errors
    return CheckedRequest(tuple(errors), detected)


def validation_error(errors: Sequence[FairnessInputError]) -> ValidationError:
    """One ``ValidationError`` holding every error, grouped by field in the order found."""
    by_field: dict[str, list[ValidationError]] = {}
    for error in errors:
        # The text goes in as a parameter: a column name with "%" in it must not be read as a format.
        by_field.setdefault(error.field or "config", []).append(
            ValidationError("%(message)s", code="invalid", params={"message": error.message})
        )
    return ValidationError(by_field)
