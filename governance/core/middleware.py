"""503 with Retry-After, not 500, when the database or broker is unreachable outside DRF views (admin)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from governance.core.api.problems import (
    PROBLEM_CONTENT_TYPE,
    PROBLEM_TYPE_BASE,
    RETRY_AFTER_SECONDS,
    UNAVAILABLE_DETAIL,
    UNAVAILABLE_ERRORS,
)

logger = logging.getLogger(__name__)


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """problem+json under /api/, plain text elsewhere; both say when to retry."""
    if request.path.startswith("/api/"):
        body = {
            "type": PROBLEM_TYPE_BASE + "service_unavailable",
            "title": "Service unavailable",
            "status": 503,
            "detail": UNAVAILABLE_DETAIL,
            "errors": [],
        }
        response = HttpResponse(json.dumps(body), status=503, content_type=PROBLEM_CONTENT_TYPE)
    else:
        response = HttpResponse(UNAVAILABLE_DETAIL, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class ServiceUnavailableMiddleware:
    """Turns a lost database or broker connection in any view into a retryable 503."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, UNAVAILABLE_ERRORS):
            logger.warning("503 for %s: %r", request.path, exception)
            return service_unavailable(request)
        return None
