"""OpenAPI generation that documents what the API really answers, errors included.

drf-spectacular documents success bodies only. Clients (the CLI, CI pipelines, generated SDKs)
and contract tests (schemathesis) also need the failures: every 4xx an operation can give is an
``application/problem+json`` body (``governance/core/api/problems.py``), described once as the
``ProblemDetail`` component.
"""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema
from rest_framework import permissions, serializers

from governance.core.api.problems import PROBLEM_CONTENT_TYPE, PROBLEM_TITLES

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ProblemErrorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One thing wrong with the request."""

    field = serializers.CharField(
        help_text="Dotted path of the input at fault (``datasets[0].usage``); empty for the whole request."
    )
    message = serializers.CharField()
    code = serializers.CharField(help_text="Stable machine-readable code.")


class ProblemDetailSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """RFC 9457 problem details with a field-level ``errors`` list."""

    type = serializers.CharField(help_text="URN naming the kind of problem, e.g. ``…:validation_error``.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = ProblemErrorSerializer(many=True)  # type: ignore[assignment]  # the key clients read
    request_id = serializers.CharField(required=False, help_text="Also in the server's logs.")


class ProblemAutoSchema(AutoSchema):
    """AutoSchema that adds the problem+json answers each operation can give."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        component = self.resolve_serializer(ProblemDetailSerializer, "response")
        problem = {"content": {PROBLEM_CONTENT_TYPE: {"schema": component.ref}}}
        responses = operation["responses"]
        for status in self._problem_statuses(operation):
            answer = {**copy.deepcopy(problem), "description": PROBLEM_TITLES[status]}
            responses.setdefault(str(status), answer)
        return operation

    def _problem_statuses(self, operation: dict[str, Any]) -> list[int]:
        has_body = "requestBody" in operation
        has_input = has_body or bool(operation.get("parameters"))
        statuses = [400, 406]  # malformed request; Accept header no renderer satisfies
        if any(not isinstance(p, permissions.AllowAny) for p in self.view.get_permissions()):
            statuses += [401, 403]
        if "{" in self.path or self._get_paginator() is not None:  # type: ignore[no-untyped-call]
            statuses.append(404)  # unknown or invisible object; a page past the end
        # Views addressing objects by name in the body (the gate: model + version) also answer 404.
        statuses += getattr(self.view, "extra_problem_statuses", [])
        if self.method in WRITE_METHODS:
            statuses.append(409)  # frozen version, illegal transition, stale request
        if has_body:
            statuses += [413, 415]
        if has_input:
            statuses.append(422)
        if self.view.get_throttles() or self.view.get_authenticators():
            statuses.append(429)  # throttled, or too many failed API keys from this client
        return sorted(set(statuses))

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> Any:
        schema = super()._map_basic_serializer(serializer, direction)  # type: ignore[no-untyped-call]
        if direction == "request":
            # Every write endpoint refuses keys it does not know (StrictFieldsMixin): say so.
            schema["additionalProperties"] = False
        return schema

    def _map_serializer_field(self, field: Any, direction: Any, bypass_extensions: bool = False) -> Any:
        if (
            isinstance(field, serializers.ChoiceField)
            and field.read_only
            and not field.allow_blank
            and _model_field_allows_blank(field)
        ):
            # DRF drops ``allow_blank`` from read-only fields; the stored value may still be "".
            field = copy.copy(field)
            field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)  # type: ignore[no-untyped-call]


def _model_field_allows_blank(field: serializers.Field) -> bool:  # type: ignore[type-arg]
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    source = field.source if isinstance(field.source, str) else ""
    if model is None or not source or "." in source or source == "*":
        return False
    try:
        return bool(model._meta.get_field(source).blank)
    except FieldDoesNotExist:  # a property or an annotation
        return False
