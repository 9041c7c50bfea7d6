"""The landing page and favicon, health endpoints, and problem+json fallbacks for errors outside DRF views."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.http import require_safe
from django.views.defaults import page_not_found, server_error

from governance.core.api.problems import PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE


@require_safe
def landing(request: HttpRequest) -> HttpResponse:
    """Where a bare host name and the admin's "View site" lead: what the service is, and links onward."""
    context = {
        "site_name": settings.GOVERNANCE_SITE_NAME,
        "api_version": settings.SPECTACULAR_SETTINGS["VERSION"],
    }
    return render(request, "landing.html", context)


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever a page declares (the admin declares none): the SVG icon."""
    return HttpResponseRedirect(static("governance/favicon.svg"))


def alive(request: HttpRequest) -> HttpResponse:
    """Process is up (liveness probe)."""
    return JsonResponse({"status": "alive"})


def ready(request: HttpRequest) -> HttpResponse:
    """Readiness: 503 without a database; ``degraded`` (still 200) when the broker is down or jobs are stale.

    The web tier keeps accepting jobs without a broker (the outbox sends them later), so a broker outage
    must not take it out of the load balancer; the reasons and per-type job health say what is wrong.
    """
    from governance.celery import app
    from governance.jobs.selectors import job_health

    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as exc:
        checks["broker"] = f"error: {type(exc).__name__}"
    body: dict[str, Any] = {"checks": checks, "reasons": []}
    if checks["database"] != "ok":
        body.update(status="not ready", reasons=["database unreachable"])
        return JsonResponse(body, status=503, headers={"Retry-After": "5"})
    health = job_health()
    body["jobs"] = health.to_dict()
    if checks["broker"] != "ok":
        body["reasons"].append("broker unreachable: new jobs wait in the outbox until it is back")
    body["reasons"] += health.reasons
    body["status"] = "degraded" if body["reasons"] else "ready"
    return JsonResponse(body)


def _problem(status: int, code: str, title: str, detail: str) -> HttpResponse:
    body = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "errors": [],
    }
    return HttpResponse(json.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE)


def not_found(request: HttpRequest, exception: Exception | None = None, **kwargs: Any) -> HttpResponse:
    """404 for unknown URLs: problem+json under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return _problem(404, "not_found", "Not found", f"No resource at {request.path}.")
    return page_not_found(request, exception)


def server_failure(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """500: problem+json under /api/ (no internals leaked), Django's page elsewhere; 503 + Retry-After when
    the database or broker was unreachable (raised in a middleware, out of the 503 middleware's sight)."""
    import sys

    from governance.core.api.problems import UNAVAILABLE_ERRORS
    from governance.core.middleware import service_unavailable

    if isinstance(sys.exc_info()[1], UNAVAILABLE_ERRORS):
        return service_unavailable(request)
    if request.path.startswith("/api/"):
        return _problem(500, "server_error", "Internal error", "The server failed; the request id is logged.")
    return server_error(request)


def bad_request(request: HttpRequest, exception: Exception | None = None, **kwargs: Any) -> HttpResponse:
    """400 raised by Django itself (e.g. SuspiciousOperation) under /api/ as problem+json."""
    from django.core.exceptions import RequestDataTooBig
    from django.views.defaults import bad_request as django_bad_request

    if request.path.startswith("/api/"):
        if isinstance(exception, RequestDataTooBig):
            return _problem(413, "payload_too_large", "Payload too large", "The request body is too large.")
        return _problem(400, "malformed_request", "Malformed request", "The request could not be processed.")
    return django_bad_request(request, exception)  # type: ignore[arg-type]
