"""Serializer behaviour shared by every write endpoint."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from governance.core.jsonsafe import MAX_SAFE_INTEGER

# JSON types each DRF field class must receive as-is. DRF would otherwise coerce 12 into "12" or
# "yes" into True; a governance record should hold what the client meant, or reject it.
_JSON_TYPES: tuple[tuple[type[serializers.Field], tuple[type, ...], str], ...] = (  # type: ignore[type-arg]
    (serializers.BooleanField, (bool,), "a boolean"),
    (serializers.IntegerField, (int,), "an integer"),
    (serializers.FloatField, (int, float), "a number"),
    (serializers.ChoiceField, (str,), "a string"),
    (serializers.CharField, (str,), "a string"),
)
# Largest id a lookup may name: PostgreSQL's bigint. Beyond it the database refuses the query.
_MAX_ID = 2**63 - 1
_MAX_SLUG_LENGTH = 200


def _text_lookup_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a slug/name lookup (the database would refuse the query), or None."""
    if not isinstance(value, str):
        return "Expected a string."
    if not value or len(value) > _MAX_SLUG_LENGTH:
        return f"Expected 1-{_MAX_SLUG_LENGTH} characters."
    if "\x00" in value:
        return "Text must not contain NUL characters."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Text must be valid Unicode (no lone surrogates)."
    return None


class SlugLookupField(serializers.SlugRelatedField):  # type: ignore[type-arg]
    """``SlugRelatedField`` that refuses values no slug can have before querying.

    PostgreSQL rejects NUL in text parameters with a DataError (a 500 through DRF's own field),
    and a list or number is never a slug: each becomes a 422 naming the field.
    """

    def to_internal_value(self, data: Any) -> Any:
        problem = _text_lookup_problem(data)
        if problem:
            raise serializers.ValidationError(problem, code="invalid")
        return super().to_internal_value(data)


class IdLookupField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """``PrimaryKeyRelatedField`` that takes JSON integers only, within the database's range.

    DRF's own field turns ``1.9`` and ``"1"`` into id 1; a reference to evidence must say exactly
    which row it means.
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int):
            raise serializers.ValidationError("Expected an integer id.", code="incorrect_type")
        if not 0 < data <= _MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class StrictFieldsMixin:
    """Reject unknown keys, read-only keys and wrongly typed JSON values instead of coercing them.

    A client that sends ``stauts`` or tries to set ``status`` directly must learn that it did not
    take effect; silently ignoring it is how governance records end up different from what a
    pipeline believes it wrote. Every field's problem is reported in one answer, so a client fixes
    its request once instead of once per field.
    """

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": ["Expected a JSON object."]}, code="invalid"
            )
        fields = self.fields  # type: ignore[attr-defined]
        errors: dict[str, Any] = {}
        for key, value in data.items():
            field = fields.get(key)
            if field is None:
                errors[key] = ["Unknown field."]
            elif field.read_only:
                errors[key] = ["This field is read-only."]
            elif value is not None:
                problem = _type_problem(field, value)
                if problem:
                    errors[key] = [problem]
        try:
            validated = super().to_internal_value(data)  # type: ignore[misc]
        except serializers.ValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
            # Our message wins for a field both checks refuse: it says what was wrong with the JSON.
            errors = {**detail, **errors}
        if errors:
            raise serializers.ValidationError(errors, code="invalid")
        return validated


def _type_problem(field: serializers.Field, value: Any) -> str | None:  # type: ignore[type-arg]
    if isinstance(field, serializers.RelatedField | serializers.ManyRelatedField):
        return None
    for field_class, types, label in _JSON_TYPES:
        if isinstance(field, field_class):
            ok = isinstance(value, types) and not (bool not in types and isinstance(value, bool))
            if not ok:
                return f"Expected {label}."
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INTEGER:
                # The audit event records the value as RFC 8785 JSON, exact only up to 2**53 - 1.
                return f"Integers must lie within ±{MAX_SAFE_INTEGER}."
            return None
    return None


class StrictSerializer(StrictFieldsMixin, serializers.Serializer):  # type: ignore[type-arg]
    """Input serializer for service calls (HackSoft styleguide: input serializers per endpoint)."""


class StrictModelSerializer(StrictFieldsMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    """Model serializer that refuses unknown, read-only or wrongly typed keys."""

    serializer_related_field = IdLookupField
