"""Field validators shared by models, serializers and imports."""

from __future__ import annotations

import math
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from governance.core.jsonsafe import json_problem

SHA256_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")

validate_digest = RegexValidator(
    SHA256_DIGEST_RE, "Expected 'sha256:' followed by 64 lowercase hex digits.", code="invalid_digest"
)
validate_model_name = RegexValidator(
    r"^[a-z0-9][a-z0-9._-]{0,99}$",
    "Use 1-100 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.",
)
validate_version_label = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$",
    "Use 1-64 letters, digits, '.', '_', '+' or '-', starting with a letter or digit.",
)
validate_uri = RegexValidator(
    r"^[a-zA-Z][a-zA-Z0-9+.-]*://\S+$|^models:/\S+$",
    "Expected a URI such as s3://bucket/key or file:///path.",
)


def validate_tags(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(t, str) and 0 < len(t) <= 50 for t in value):
        raise ValidationError("Expected a list of strings of 1-50 characters.", code="invalid_tags")
    if len(value) > 50:
        raise ValidationError("At most 50 tags.", code="invalid_tags")


def validate_metrics(value: Any) -> None:
    """Metrics are ``{name: finite number}``: anything else cannot be compared or gated on."""
    if not isinstance(value, dict):
        raise ValidationError("Expected an object mapping metric names to numbers.", code="invalid_metrics")
    for name, number in value.items():
        if not isinstance(name, str) or not name or len(name) > 100:
            raise ValidationError("Metric names must be 1-100 character strings.", code="invalid_metrics")
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise ValidationError(f"Metric {name!r} must be a finite number.", code="invalid_metrics")
        if isinstance(number, float) and not math.isfinite(number):  # int range: validate_json_safe
            raise ValidationError(f"Metric {name!r} must be a finite number.", code="invalid_metrics")


def validate_regions(value: Any) -> None:
    """Data-subject regions: ISO 3166-1 alpha-2 codes or a few blocs (EU, EEA, UK, US-CA...)."""
    if not isinstance(value, list) or not all(
        isinstance(r, str) and re.fullmatch(r"[A-Z]{2}(-[A-Z0-9]{1,3})?|EU|EEA|GLOBAL", r) for r in value
    ):
        raise ValidationError(
            "Expected a list of region codes such as 'EU', 'DE', 'US-CA'.", code="invalid_regions"
        )


def validate_json_object(value: Any) -> None:
    if not isinstance(value, dict):
        raise ValidationError("Expected a JSON object.", code="invalid")


def validate_json_safe(value: Any) -> None:
    """Every JSON field: values the audit log can hash and PostgreSQL can store (see core.jsonsafe).

    On the model, not the serializer, so the API, the admin, card imports and management commands
    all refuse the same values with a field error instead of failing inside the audited write.
    """
    problem = json_problem(value)
    if problem:
        path, message = problem
        raise ValidationError(f"{path}: {message}" if path else message, code="unsafe_json")
