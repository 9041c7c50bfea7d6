"""Answering GitHub on workers: one attempt per job, retries with backoff, failure after N.

An attempt authenticates as the App (an RS256 JWT, ``iss`` = App id), exchanges it for an installation
access token (``POST {api}/app/installations/{id}/access_tokens``, narrowed to the repository and
``deployments: write`` as GitHub's guide does), then posts ``{"environment_name", "state", "comment"}``
to the request's callback URL (``POST {api}/repos/{owner}/{repo}/actions/runs/{run_id}/
deployment_protection_rule``; GitHub answers 204). Tokens are minted per attempt and never stored,
logged or audited.

Each attempt is its own job message (``[request pk, attempt]``, a distinct outbox key): a failed
attempt records ``next_attempt_at`` and the beat task ``github_integration.callbacks_due`` hands due
retries to the outbox, as team webhooks do. No answer, 408, 429 and 5xx are retried; any other answer
(a 4xx: GitHub refused the request as made) fails the answer for good. The callback URL is checked
against the installation's API host again before each attempt (its configuration may have changed).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import audit_append
from governance.accounts.principal import worker_principal
from governance.core.http import HttpResult, post
from governance.integrations.github import constants, events
from governance.integrations.github.choices import CallbackStatus
from governance.integrations.github.models import GitHubInstallation, ProtectionRuleRequest
from governance.integrations.github.signing import PrivateKeyError, app_jwt, private_key_load
from governance.integrations.github.validators import callback_url_problem
from governance.jobs.outbox import job_dispatch

logger = logging.getLogger(__name__)

JOB_TYPE = "github_protection_callback"  # governance.jobs registry name (apps.py)
CALLBACK_TASK = "github_integration.protection_callback"
RETRYABLE = frozenset({408, 429})
RECORDED_FIELDS = [
    "attempts",
    "last_status_code",
    "last_error",
    "response_excerpt",
    "next_attempt_at",
    "status",
    "answered_at",
]


def protection_callback_dispatch(record: ProtectionRuleRequest, *, attempt: int) -> None:
    """Queue attempt ``attempt`` of answering ``record`` in the current transaction (sent after commit)."""
    job_dispatch(task=CALLBACK_TASK, args=[record.pk, attempt], job_type=JOB_TYPE, job_id=record.pk)


def api_headers(credential: str) -> dict[str, str]:
    """What GitHub's REST API expects on every request (docs: "Getting started with the REST API")."""
    return {
        "Accept": constants.ACCEPT,
        "Authorization": f"Bearer {credential}",
        constants.API_VERSION_HEADER: constants.API_VERSION,
        "Content-Type": "application/json",
        "User-Agent": constants.USER_AGENT,
    }


def _retryable(result: HttpResult) -> bool:
    return result.status is None or result.status >= 500 or result.status in RETRYABLE


def _excerpt(result: HttpResult) -> str:
    return result.body[: constants.EXCERPT_CHARS].decode("utf-8", errors="replace")


def _exchange_and_answer(
    installation: GitHubInstallation, record: ProtectionRuleRequest
) -> tuple[HttpResult, bool]:
    """Mint a JWT, get an installation token, post the answer. Returns the result and whether it is final."""
    try:
        key = private_key_load(installation.private_key, settings.SIGNING_KEY_PASSPHRASE)
    except PrivateKeyError as exc:
        return HttpResult(None, error=f"The App's private key cannot be used: {exc}"), True
    jwt = app_jwt(
        private_key=key,
        issuer=str(installation.app_id),
        now=int(time.time()),
        backdate=constants.JWT_BACKDATE_SECONDS,
        lifetime=constants.JWT_LIFETIME_SECONDS,
    )
    scope: dict[str, object] = {"permissions": {"deployments": "write"}}
    if record.repository_id:
        scope["repository_ids"] = [record.repository_id]
    token_url = f"{installation.api_base_url}/app/installations/{installation.installation_id}/access_tokens"
    timeout = constants.timeout_seconds()
    exchange = post(
        token_url,
        json.dumps(scope).encode(),
        api_headers(jwt),
        timeout=timeout,
        max_bytes=constants.RESPONSE_MAX_BYTES,
    )
    if not exchange.ok:
        failed = HttpResult(
            exchange.status, exchange.body, f"Installation token exchange failed: {exchange.error}"
        )
        return failed, not _retryable(exchange)
    try:
        token = json.loads(exchange.body)["token"]
        if not isinstance(token, str) or not token or not token.isprintable():
            raise TypeError
    except (ValueError, KeyError, TypeError):
        error = f"The token exchange answered {exchange.status} without a token."
        return HttpResult(None, error=error), False
    answer = {
        "environment_name": record.github_environment,
        "state": record.verdict,
        "comment": record.comment,
    }
    result = post(
        record.callback_url,
        json.dumps(answer).encode(),
        api_headers(token),
        timeout=timeout,
        max_bytes=constants.RESPONSE_MAX_BYTES,
    )
    return result, not result.ok and not _retryable(result)


def protection_callback_attempt(*, record_pk: int, attempt: int) -> ProtectionRuleRequest:
    """Run attempt ``attempt``: talk to GitHub (outside any transaction), record it. Safe to run twice."""
    with transaction.atomic():
        record = (
            ProtectionRuleRequest.objects.select_for_update()
            .select_related("installation", "installation__team")
            .get(pk=record_pk)
        )
        if record.status != CallbackStatus.PENDING or record.attempts != attempt - 1:
            return record  # answered, failed, or a stale message of an attempt already recorded
        installation = record.installation
        refusal = ""
        if not installation.active:
            refusal = "The installation was deactivated; nothing was sent."
        elif problem := callback_url_problem(record.callback_url, installation.api_base_url):
            refusal = f"Not sent: {problem}"
        if refusal:
            return _record(record, attempt, HttpResult(None, error=refusal), final=True)
    result, final = _exchange_and_answer(installation, record)
    with transaction.atomic():
        record = ProtectionRuleRequest.objects.select_for_update().get(pk=record_pk)
        if record.status != CallbackStatus.PENDING or record.attempts != attempt - 1:
            return record
        return _record(record, attempt, result, final=final)


def _record(
    record: ProtectionRuleRequest, attempt: int, result: HttpResult, *, final: bool = False
) -> ProtectionRuleRequest:
    """Record one attempt's outcome and audit it (in the caller's transaction, ``record`` locked)."""
    now = timezone.now()
    record.attempts = attempt
    record.last_status_code = result.status
    record.last_error = result.error[: constants.ERROR_MAX_CHARS]
    # Only an answer that failed is kept: a token exchange that succeeded carries the token.
    record.response_excerpt = "" if result.ok else _excerpt(result)
    record.next_attempt_at = None
    if result.ok:
        record.status = CallbackStatus.SENT
        record.answered_at = now
        outcome = "sent"
    elif final or attempt >= constants.max_attempts():
        record.status = CallbackStatus.FAILED
        outcome = "failed"
    else:
        record.next_attempt_at = now + dt.timedelta(seconds=constants.backoff_seconds(attempt))
        outcome = "retrying"
    record.save(update_fields=RECORDED_FIELDS)
    audit_append(
        actor=worker_principal(JOB_TYPE),
        action=events.GITHUB_PROTECTION_CALLBACK,
        target=record,
        payload={
            "delivery_id": record.delivery_id,
            "state": record.verdict,
            "attempt": attempt,
            "outcome": outcome,
            "status_code": result.status,
            "error": record.last_error,
        },
    )
    logger.info(
        "github protection answer %s (%s, %s) attempt %d: %s%s",
        record.delivery_id,
        record.repository,
        record.verdict,
        attempt,
        outcome,
        f", answered {result.status}" if result.status is not None else f", {result.error}",
    )
    return record


def protection_callbacks_dispatch_due(*, now: dt.datetime | None = None) -> int:
    """Hand every retry whose time has come to the outbox (beat task). Returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            ProtectionRuleRequest.objects.select_for_update(skip_locked=True)
            .filter(status=CallbackStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")[: constants.DUE_BATCH]
        )
        for record in due:
            protection_callback_dispatch(record, attempt=record.attempts + 1)
        ProtectionRuleRequest.objects.filter(pk__in=[r.pk for r in due]).update(next_attempt_at=None)
    if due:
        logger.info("github protection answers: %d retries due, handed to the outbox", len(due))
    return len(due)


def protection_callback_give_up(job_id: int, message: str) -> None:
    """The job layer stopped retrying an attempt (its workers kept dying): the answer fails with that."""
    with transaction.atomic():
        record = ProtectionRuleRequest.objects.select_for_update().get(pk=job_id)
        if record.status != CallbackStatus.PENDING:
            return
        _record(record, record.attempts + 1, HttpResult(None, error=message), final=True)
