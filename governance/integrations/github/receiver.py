"""Receiving GitHub's ``deployment_protection_rule`` webhook: verify, evaluate, record, queue the answer.

Order matters: the signature is checked over the raw body before any JSON is parsed; the callback URL
is checked against the installation's API host before anything is evaluated. The verdict, its gate
decisions, the log row, the audit entry and the answer's first job message are written in one
transaction, so GitHub gets a quick 2xx and the answer is sent after commit (never lost, never sent for
a request that rolled back). A delivery GitHub sends again (same ``X-GitHub-Delivery``) is answered from
the log without a second evaluation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.urls import reverse

from audit.services import audit_append
from governance.accounts.principal import Principal
from governance.core.exceptions import ApplicationError, NotFoundError
from governance.gate.choices import Verdict
from governance.gate.models import GateDecision
from governance.gate.services import gate_check
from governance.integrations.github import constants, events
from governance.integrations.github.callback import protection_callback_dispatch
from governance.integrations.github.choices import CallbackStatus, ProtectionState, SubjectSource
from governance.integrations.github.comment import SubjectVerdict, protection_comment
from governance.integrations.github.models import GitHubInstallation, ProtectionRuleRequest
from governance.integrations.github.payload import (
    PayloadError,
    ProtectionRequest,
    Subject,
    installation_id_of,
    protection_request_parse,
    subject_from_deployment_payload,
)
from governance.integrations.github.principal import installation_principal
from governance.integrations.github.signing import webhook_signature_valid
from governance.integrations.github.validators import callback_url_problem

# Installations tried for one App's signature at most (each is one HMAC).
MAX_CANDIDATES = 100
UNVERIFIED = Principal(
    kind="anonymous",
    ident="github_webhook:unverified",
    label="unverified delivery to the GitHub endpoint",
    scopes=frozenset(),
)


@dataclass(frozen=True)
class WebhookAnswer:
    """What the endpoint answers GitHub: a status, and a JSON body (a problem document when ``problem``)."""

    status: int
    body: dict[str, Any]
    problem: bool = False


def _header(meta: Mapping[str, Any], name: str, limit: int) -> str:
    value = meta.get(name)
    return value.strip()[:limit] if isinstance(value, str) and value.strip().isprintable() else ""


@dataclass(frozen=True)
class _Delivery:
    """What the headers say about a delivery (not yet verified)."""

    delivery_id: str
    event: str
    app_id: int | None


def _refuse(
    status: int, reason: str, detail: str, delivery: _Delivery, installation_id: int | None = None
) -> WebhookAnswer:
    payload: dict[str, Any] = {
        "delivery_id": delivery.delivery_id,
        "reason": reason,
        "status": status,
        "event": delivery.event,
    }
    if delivery.app_id is not None:
        payload["app_id"] = delivery.app_id
    if installation_id is not None:
        payload["installation_id"] = installation_id
    with transaction.atomic():
        audit_append(
            actor=UNVERIFIED,
            action=events.GITHUB_WEBHOOK_REFUSE,
            target_type="github_integration.webhook",
            target_id=delivery.delivery_id,
            payload=payload,
        )
    return WebhookAnswer(status, {"code": reason, "detail": detail}, problem=True)


def _candidates(app_id: int | None) -> list[GitHubInstallation]:
    rows = GitHubInstallation.objects.filter(active=True).select_related("team").order_by("pk")
    if app_id is not None:
        rows = rows.filter(app_id=app_id)
    return list(rows[:MAX_CANDIDATES])


def protection_rule_webhook_receive(
    *, meta: Mapping[str, Any], body: bytes, link: Callable[[str], str]
) -> WebhookAnswer:
    """Handle one delivery to ``POST /api/v1/integrations/github/deployment-protection``.

    ``meta`` is the request's META (headers), ``body`` the raw bytes, ``link`` makes a path absolute.
    401: no configured secret verifies the signature; 404: no such (active) installation; 400: not a
    body we can read; 422: a callback URL off the API host; 200: another event (ignored) or a delivery
    already answered; 202: evaluated, the answer is on its way.
    """
    delivery_id = _header(meta, constants.DELIVERY_HEADER, 100)
    event = _header(meta, constants.EVENT_HEADER, 100)
    target = _header(meta, constants.TARGET_ID_HEADER, 20)
    app_id = int(target) if target.isdigit() else None
    refusal = _Delivery(delivery_id, event, app_id)
    candidates = _candidates(app_id)
    if not candidates:
        return _refuse(
            404, "unknown_installation", "No installation of this GitHub App is configured.", refusal
        )
    signature = meta.get(constants.SIGNATURE_HEADER)
    verified = [i for i in candidates if webhook_signature_valid(i.webhook_secret, body, signature)]
    if not verified:
        return _refuse(401, "bad_signature", "X-Hub-Signature-256 does not verify.", refusal)
    try:
        data = json.loads(body)
    except ValueError:
        return _refuse(400, "malformed", "The body is not JSON.", refusal)
    installation_id = installation_id_of(data)
    if installation_id is None:
        return _refuse(400, "malformed", "The body names no installation.id.", refusal)
    installation = next((i for i in verified if i.installation_id == installation_id), None)
    if installation is None:
        known = any(i.installation_id == installation_id for i in candidates)
        return _refuse(
            401 if known else 404,
            "bad_signature" if known else "unknown_installation",
            "X-Hub-Signature-256 does not verify for this installation."
            if known
            else f"Installation {installation_id} is not configured here.",
            refusal,
            installation_id,
        )
    if not delivery_id:
        return _refuse(400, "malformed", "X-GitHub-Delivery is missing.", refusal, installation_id)
    action = data.get("action") if isinstance(data, dict) else None
    if event != constants.EVENT or action != constants.ACTION:
        with transaction.atomic():
            audit_append(
                actor=installation_principal(installation),
                action=events.GITHUB_WEBHOOK_IGNORE,
                target=installation,
                payload={
                    "delivery_id": delivery_id,
                    "installation_id": installation.installation_id,
                    "event": event,
                    "action": str(action)[:100] if action is not None else "",
                },
            )
        return WebhookAnswer(
            200,
            {
                "status": "ignored",
                "detail": f"Only {constants.EVENT}/{constants.ACTION} is handled here; "
                f"{event or '?'}/{action or '?'} was ignored.",
            },
        )
    try:
        request = protection_request_parse(data)
    except PayloadError as exc:
        return _refuse(400, "malformed", str(exc), refusal, installation_id)
    return _answer(installation, delivery_id, request, link)


def _already(record: ProtectionRuleRequest) -> WebhookAnswer:
    return WebhookAnswer(
        200,
        {
            "status": "duplicate",
            "detail": "This delivery was already received; its answer stands.",
            "verdict": record.verdict,
            "callback_status": record.status,
            "decision_ids": record.decision_ids,
        },
    )


def _answer(
    installation: GitHubInstallation, delivery_id: str, request: ProtectionRequest, link: Callable[[str], str]
) -> WebhookAnswer:
    try:
        with transaction.atomic():
            previous = ProtectionRuleRequest.objects.filter(delivery_id=delivery_id).first()
            if previous is not None:
                return _already(previous)
            record = ProtectionRuleRequest(
                installation=installation,
                delivery_id=delivery_id,
                repository=request.repository,
                repository_id=request.repository_id,
                run_id=request.run_id,
                github_environment=request.github_environment,
                environment=installation.environment_for(request.github_environment),
                sha=request.sha,
                event=request.event,
                deployment_id=request.deployment_id,
                sender=request.sender,
                callback_url=request.callback_url,
            )
            problem = callback_url_problem(request.callback_url, installation.api_base_url)
            if problem:
                return _refuse_callback(record, problem)
            principal = installation_principal(installation)
            _evaluate(record, request, principal, link)
            record.save(force_insert=True)
            _audit_request(record, principal)
            protection_callback_dispatch(record, attempt=1)
    except IntegrityError:
        previous = ProtectionRuleRequest.objects.filter(delivery_id=delivery_id).first()
        if previous is None:
            raise
        return _already(previous)
    return WebhookAnswer(
        202,
        {
            "status": "accepted",
            "detail": "Evaluated; the answer is being sent to GitHub.",
            "verdict": record.verdict,
            "decision_ids": record.decision_ids,
        },
    )


def _refuse_callback(record: ProtectionRuleRequest, problem: str) -> WebhookAnswer:
    """A callback URL off the API host: kept, audited, neither evaluated nor called (in the transaction)."""
    record.status = CallbackStatus.REFUSED
    record.last_error = problem
    record.save(force_insert=True)
    parts = urlsplit(record.callback_url)
    audit_append(
        actor=installation_principal(record.installation),
        action=events.GITHUB_PROTECTION_CALLBACK_REFUSE,
        target=record,
        payload={
            "delivery_id": record.delivery_id,
            "installation_id": record.installation.installation_id,
            "callback_origin": f"{parts.scheme}://{parts.netloc}"[:300],
            "api_base_url": record.installation.api_base_url,
            "problem": problem,
        },
    )
    return WebhookAnswer(422, {"code": "callback_url_refused", "detail": problem}, problem=True)


def _subjects(
    request: ProtectionRequest, principal: Principal, environment: str
) -> tuple[list[Subject], str, tuple[str, str] | None]:
    """What to evaluate: the deployment payload's subject, else the run's earlier gate checks."""
    subject, problem = subject_from_deployment_payload(request.deployment_payload)
    if problem:
        return [], SubjectSource.PAYLOAD, ("deployment_payload_invalid", problem)
    if subject is not None:
        return [subject], SubjectSource.PAYLOAD, None
    earlier = _earlier_subjects(request, principal, environment)
    if earlier:
        return earlier, SubjectSource.GATE_CHECK, None
    at = f" at commit {request.sha[:12]}" if request.sha else ""
    return (
        [],
        SubjectSource.NONE,
        (
            "no_subject",
            "Nothing names the model to deploy: the deployment's payload has no model, version and "
            "artifact_digest, and this team's pipeline asked the gate nothing for "
            f"{request.repository or '?'}{at} and {environment}.",
        ),
    )


def _earlier_subjects(request: ProtectionRequest, principal: Principal, environment: str) -> list[Subject]:
    """The model versions the same pipeline asked the gate about (repository and commit), newest first."""
    if not request.repository or not request.sha:
        return []
    rows = (
        GateDecision.objects.visible_to(principal)
        .filter(environment=environment, ci__repository=request.repository, ci__commit=request.sha)
        .exclude(requested_by=principal.ident)
        .select_related("model_version__model")
        .order_by("-evaluated_at")[: constants.EARLIER_CHECKS_SCANNED]
    )
    found: dict[tuple[str, str], Subject] = {}
    for decision in rows:
        mv = decision.model_version
        found.setdefault(
            (mv.model.name, mv.version), Subject(mv.model.name, mv.version, decision.artifact_digest)
        )
    return list(found.values())[: constants.MAX_SUBJECTS]


def _check(
    subject: Subject,
    index: int,
    record: ProtectionRuleRequest,
    request: ProtectionRequest,
    principal: Principal,
    link: Callable[[str], str],
) -> SubjectVerdict:
    """One gate check as the installation's team; an unknown version is a reason, not an error."""
    ci = {
        "provider": "github",
        "repository": request.repository,
        "commit": request.sha,
        "actor": request.sender,
        "source": "deployment_protection_rule",
        "github_environment": request.github_environment,
        "delivery_id": record.delivery_id,
    }
    if request.repository_html_url and request.run_id:
        ci["run_url"] = f"{request.repository_html_url}/actions/runs/{request.run_id}"
    try:
        decision = gate_check(
            actor=principal,
            model=subject.model,
            version=subject.version,
            environment=record.environment,
            artifact_digest=subject.artifact_digest,
            ci=ci,
            idempotency_key=f"github:{record.delivery_id}:{index}",
        )
    except NotFoundError as exc:
        return SubjectVerdict(
            subject.label, subject.artifact_digest, False, reasons=(("version_not_found", exc.message),)
        )
    except ApplicationError as exc:
        return SubjectVerdict(
            subject.label, subject.artifact_digest, False, reasons=((exc.code, exc.message),)
        )
    return SubjectVerdict(
        subject.label,
        subject.artifact_digest,
        decision.decision == Verdict.PASS,
        decision_id=str(decision.pk),
        decision_url=link(reverse("gate-decision-detail", args=[decision.pk])),
        reasons=tuple((str(r["code"]), str(r["message"])) for r in decision.reasons),
    )


def _evaluate(
    record: ProtectionRuleRequest,
    request: ProtectionRequest,
    principal: Principal,
    link: Callable[[str], str],
) -> None:
    """Decide: gate decisions (stored and audited by the gate), then ``record``'s verdict and comment."""
    general: list[tuple[str, str]] = []
    subjects: list[Subject] = []
    if not record.environment:
        mapped = ", ".join(sorted(record.installation.environment_map)) or "none"
        general.append(
            (
                "environment_not_mapped",
                f"The GitHub environment {request.github_environment!r} is not mapped to dev, staging or "
                f"prod for installation {record.installation.installation_id} (mapped: {mapped}).",
            )
        )
    else:
        subjects, record.source, problem = _subjects(request, principal, record.environment)
        if problem:
            general.append(problem)
    verdicts = [_check(s, i, record, request, principal, link) for i, s in enumerate(subjects)]
    approved = bool(verdicts) and not general and all(v.passed for v in verdicts)
    record.subjects = [s.to_dict() for s in subjects]
    record.decision_ids = [v.decision_id for v in verdicts if v.decision_id]
    record.verdict = ProtectionState.APPROVED if approved else ProtectionState.REJECTED
    record.reasons = [{"subject": "", "code": c, "message": m} for c, m in general] + [
        {"subject": v.label, "code": c, "message": m} for v in verdicts for c, m in v.reasons
    ]
    record.comment = protection_comment(
        approved=approved,
        environment=record.environment,
        github_environment=record.github_environment,
        subjects=verdicts,
        general=general,
        limit=constants.COMMENT_MAX_CHARS,
    )


def _audit_request(record: ProtectionRuleRequest, principal: Principal) -> None:
    audit_append(
        actor=principal,
        action=events.GITHUB_PROTECTION_REQUEST,
        target=record,
        payload={
            "delivery_id": record.delivery_id,
            "installation_id": record.installation.installation_id,
            "repository": record.repository,
            "run_id": record.run_id,
            "github_environment": record.github_environment,
            "environment": record.environment,
            "source": record.source,
            "subjects": record.subjects,
            "verdict": record.verdict,
            "decision_ids": record.decision_ids,
            "reason_codes": [r["code"] for r in record.reasons],
            "sha": record.sha,
            "event": record.event,
            "deployment_id": record.deployment_id,
            "sender": record.sender,
        },
    )
