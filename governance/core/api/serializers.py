"""Serializer behaviour shared by every write endpoint."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

# JSON types each DRF field class must receive as-is. DRF would otherwise coerce 12 into "12" or
# "yes" into True; a governance record should hold what the client meant, or reject it.
_JSON_TYPES: tuple[tuple[type[serializers.Field], tuple[type, ...], str], ...] = (  # type: ignore[type-arg]
    (serializers.BooleanField, (bool,), "a boolean"),
    (serializers.IntegerField, (int,), "an integer"),
    (serializers.FloatField, (int, float), "a number"),
    (serializers.ChoiceField, (str,), "a string"),
    (serializers.CharField, (str,), "a string"),
)


class StrictFieldsMixin:
    """Reject unknown keys, read-only keys and wrongly typed JSON values instead of coercing them.

    A client that sends ``stauts`` or tries to set ``status`` directly must learn that it did not
    take effect; silently ignoring it is how governance records end up different from what a
    pipeline believes it wrote.
    """

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": ["Expected a JSON object."]}, code="invalid"
            )
        fields = self.fields  # type: ignore[attr-defined]
        errors: dict[str, list[str]] = {}
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
        if errors:
            raise serializers.ValidationError(errors, code="invalid")
        return super().to_internal_value(data)  # type: ignore[misc]


def _type_problem(field: serializers.Field, value: Any) -> str | None:  # type: ignore[type-arg]
    if isinstance(field, serializers.RelatedField | serializers.ManyRelatedField):
        return None
    for field_class, types, label in _JSON_TYPES:
        if isinstance(field, field_class):
            ok = isinstance(value, types) and not (bool not in types and isinstance(value, bool))
            return None if ok else f"Expected {label}."
    return None


class StrictSerializer(StrictFieldsMixin, serializers.Serializer):  # type: ignore[type-arg]
    """Input serializer for service calls (HackSoft styleguide: input serializers per endpoint)."""


class StrictModelSerializer(StrictFieldsMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    """Model serializer that refuses unknown, read-only or wrongly typed keys."""
