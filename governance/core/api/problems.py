"""RFC 9457 problem details for every API error, with a field-level ``errors`` list.

Clients (CI pipelines, the CLI) get one machine-readable shape for every failure: which field,
what is wrong, and a stable code. Nothing a client sends should ever surface as a 500.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from kombu.exceptions import OperationalError as BrokerUnreachable
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from audit.context import current_request_id
from governance.core.exceptions import ApplicationError

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:modelops-governance:problem:"

PROBLEM_TITLES = {
    400: "Malformed request",
    401: "Authentication required",
    403: "Permission denied",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Too many requests",
    503: "Service unavailable",
}
# A database or broker that cannot be reached is the server's trouble and passes: 503 + Retry-After, not 500.
UNAVAILABLE_ERRORS = (OperationalError, InterfaceError, BrokerUnreachable)
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_DETAIL = "A service this request needs (database or broker) is unreachable; retry shortly."


def problem_response(
    status_code: int,
    code: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Build a problem+json response; ``errors`` items are ``{field, message, code}``."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": PROBLEM_TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
        "errors": errors or [],
    }
    request_id = current_request_id()
    if request_id:
        body["request_id"] = request_id
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def flatten_errors(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """Flatten DRF's nested error structure into ``[{field, message, code}]`` with dotted paths."""
    out: list[dict[str, str]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key in ("non_field_errors", "__all__"):
                name = prefix
            elif isinstance(key, int):
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten_errors(value, name))
    elif isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail | str) for item in detail):
            for item in detail:
                out.extend(flatten_errors(item, prefix))
        else:
            for index, item in enumerate(detail):
                if item:
                    out.extend(flatten_errors(item, f"{prefix}[{index}]" if prefix else f"[{index}]"))
    else:
        out.append({"field": prefix, "message": str(detail), "code": getattr(detail, "code", "invalid")})
    return out


def one_entry_per_field(errors: list[dict[str, str]]) -> list[dict[str, str]]:
    """One ``errors`` item per field, in first-seen order; several messages for a field are joined
    (the first code stays), so a client can map the list onto its inputs one to one."""
    merged: dict[str, dict[str, str]] = {}
    for error in errors:
        seen = merged.get(error["field"])
        if seen is None:
            merged[error["field"]] = dict(error)
        elif error["message"] not in seen["message"]:
            seen["message"] = f"{seen['message']} {error['message']}"
    return list(merged.values())


def _django_validation_detail(exc: DjangoValidationError) -> Any:
    if hasattr(exc, "error_dict"):
        return {field: [e.message % (e.params or {}) for e in errs] for field, errs in exc.error_dict.items()}
    return [e.message % (e.params or {}) if e.params else e.message for e in exc.error_list]


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler: every error becomes problem+json."""
    if isinstance(exc, UNAVAILABLE_ERRORS):
        return problem_response(
            503, "service_unavailable", UNAVAILABLE_DETAIL, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
        )
    if isinstance(exc, ApplicationError):
        pairs = exc.items or [(exc.field or "", exc.message)]
        errors = [{"field": field, "message": message, "code": exc.code} for field, message in pairs]
        return problem_response(exc.status, exc.code, exc.message, errors)
    if isinstance(exc, DjangoValidationError):
        errors = one_entry_per_field(flatten_errors(_django_validation_detail(exc)))
        return problem_response(422, "validation_error", _summary(errors), errors)
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent):
        return problem_response(413, "payload_too_large", str(exc) or "The request body is too large.")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, exceptions.ValidationError):
        errors = one_entry_per_field(flatten_errors(exc.detail))
        return problem_response(422, "validation_error", _summary(errors), errors)
    if isinstance(exc, exceptions.ParseError):
        return problem_response(400, "malformed_request", str(exc.detail))
    if isinstance(exc, exceptions.APIException):
        response = exception_handler(exc, context)
        headers = {}
        if response is not None:
            headers = {k: v for k, v in response.items() if k in ("WWW-Authenticate", "Retry-After", "Allow")}
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        return problem_response(exc.status_code, str(code), str(exc.detail), headers=headers)
    return None


def _summary(errors: list[dict[str, str]]) -> str:
    fields = sorted({e["field"] for e in errors if e["field"]})
    if not fields:
        return errors[0]["message"] if errors else "The request is invalid."
    return "Invalid value for: " + ", ".join(fields) + "."
