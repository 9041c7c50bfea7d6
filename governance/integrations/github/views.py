"""``POST /api/v1/integrations/github/deployment-protection``: GitHub's deployment_protection_rule webhook.

Authenticated by the signature alone (no session, no API key, no CSRF token: GitHub has none of them).
The body is bounded before it is read; everything else is ``receiver.protection_rule_webhook_receive``.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from governance.core.api.problems import PROBLEM_CONTENT_TYPE, PROBLEM_TITLES, PROBLEM_TYPE_BASE
from governance.integrations.github import constants
from governance.integrations.github.receiver import WebhookAnswer, protection_rule_webhook_receive


def _json(answer: WebhookAnswer) -> HttpResponse:
    if not answer.problem:
        return HttpResponse(json.dumps(answer.body), status=answer.status, content_type="application/json")
    code = str(answer.body.get("code", "invalid"))
    body = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": PROBLEM_TITLES.get(answer.status, "Error"),
        "status": answer.status,
        "detail": answer.body.get("detail", ""),
        "errors": [],
    }
    return HttpResponse(json.dumps(body), status=answer.status, content_type=PROBLEM_CONTENT_TYPE)


@csrf_exempt
@require_POST
def deployment_protection_webhook(request: HttpRequest) -> HttpResponse:
    """Receive one delivery; 2xx quickly (the answer to GitHub is sent by a job)."""
    limit = constants.max_body_bytes()
    length = request.META.get("CONTENT_LENGTH") or ""
    if not length.isdigit():
        return _json(
            WebhookAnswer(411, {"code": "length_required", "detail": "Send a Content-Length."}, True)
        )
    if int(length) > limit:
        detail = f"The body is larger than {limit} bytes."
        return _json(WebhookAnswer(413, {"code": "payload_too_large", "detail": detail}, True))
    body = request.read(limit + 1)
    if len(body) > limit:
        detail = f"The body is larger than {limit} bytes."
        return _json(WebhookAnswer(413, {"code": "payload_too_large", "detail": detail}, True))
    answer = protection_rule_webhook_receive(meta=request.META, body=body, link=request.build_absolute_uri)
    return _json(answer)
