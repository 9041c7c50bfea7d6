"""GitHub deployment protection rule, end to end against a loopback stand-in for GitHub's API.

GitHub's webhook (a trimmed documented body, ``tests/data/github``) is signed here as GitHub signs it and
posted to the endpoint; the answer's job body is run directly, and it authenticates as the App, gets an
installation token and posts the review to the stand-in, which checks what GitHub documents.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client

from audit.models import AuditEvent
from governance.accounts.principal import cli_principal
from governance.gate.models import GateDecision
from governance.integrations.github.callback import (
    CALLBACK_TASK,
    protection_callback_attempt,
    protection_callbacks_dispatch_due,
)
from governance.integrations.github.comment import SubjectVerdict, protection_comment
from governance.integrations.github.models import GitHubInstallation, ProtectionRuleRequest
from governance.integrations.github.services import github_installation_create
from governance.integrations.github.signing import webhook_signature, webhook_signature_valid
from governance.jobs.models import JobDispatch
from governance.jobs.outbox import dispatch_key
from tests.governance.gate.conftest import Gate, hashed_version
from tests.governance.gate.github_standin import GitHubStandIn, serve

URL = "/api/v1/integrations/github/deployment-protection"
FIXTURE = (
    Path(__file__).resolve().parents[2] / "data" / "github" / "deployment_protection_rule.requested.json"
)
SECRET = "It's a Secret to Everybody, rotated"
APP_ID = 424242
INSTALLATION_ID = 1  # the documented body's installation.id
ADMIN = cli_principal("github-protection-tests")


@pytest.fixture(scope="module")
def app_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pkcs1_pem(key: rsa.RSAPrivateKey) -> str:
    """The key as GitHub hands it out (``-----BEGIN RSA PRIVATE KEY-----``)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture(autouse=True)
def _github_settings(settings: Any) -> None:
    settings.GITHUB_ALLOW_HTTP = True  # the stand-in speaks plain http on loopback
    settings.GITHUB_API_TIMEOUT_SECONDS = 3.0
    settings.GITHUB_CALLBACK_BACKOFF_SECONDS = 10.0
    settings.GITHUB_CALLBACK_MAX_ATTEMPTS = 4


@pytest.fixture
def standin(app_key: rsa.RSAPrivateKey) -> Any:
    state = GitHubStandIn(app_id=APP_ID, installation_id=INSTALLATION_ID, public_key=app_key.public_key())
    server = serve(state)
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def installation(gate: Gate, standin: GitHubStandIn, app_key: rsa.RSAPrivateKey) -> GitHubInstallation:
    return github_installation_create(
        actor=ADMIN,
        team=gate.mv.model.team,
        installation_id=INSTALLATION_ID,
        app_id=APP_ID,
        webhook_secret=SECRET,
        private_key_pem=pkcs1_pem(app_key),
        environment_map={"production": "prod", "staging": "staging"},
        api_base_url=standin.url,
        account="octocat",
    )


def webhook(callback_url: str, payload: Any = None, **changes: Any) -> dict[str, Any]:
    """The documented body, answering to ``callback_url``, its deployment carrying ``payload``."""
    body = copy.deepcopy(json.loads(FIXTURE.read_text()))
    body["deployment_callback_url"] = callback_url
    body["deployment"]["payload"] = payload if payload is not None else {}
    body.update(changes)
    return body


def subject(gate: Gate, **changes: str) -> dict[str, str]:
    return {
        "model": gate.mv.model.name,
        "version": gate.mv.version,
        "artifact_digest": gate.mv.artifact_digest,
    } | (changes)


def github_signature(secret: str, raw: bytes) -> str:
    """GitHub's signature, from "Validating webhook deliveries" (not the service's function)."""
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def deliver(
    body: dict[str, Any] | bytes,
    *,
    secret: str = SECRET,
    event: str = "deployment_protection_rule",
    delivery: str | None = None,
    app_id: int | None = APP_ID,
    signature: str | None = None,
) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": signature if signature is not None else github_signature(secret, raw),
        "User-Agent": "GitHub-Hookshot/044aadd",
    }
    if app_id is not None:
        headers["X-GitHub-Hook-Installation-Target-ID"] = str(app_id)
        headers["X-GitHub-Hook-Installation-Target-Type"] = "integration"
    return Client().post(URL, data=raw, content_type="application/json", headers=headers)


def answer(record: ProtectionRuleRequest) -> ProtectionRuleRequest:
    """What the job does for the record's next attempt (task body run directly)."""
    record.refresh_from_db()
    return protection_callback_attempt(record_pk=record.pk, attempt=record.attempts + 1)


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("created_at").values_list("action", flat=True))


def test_the_signature_is_githubs_documented_example() -> None:
    """The test values from "Validating webhook deliveries"."""
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert webhook_signature("It's a Secret to Everybody", b"Hello, World!") == expected
    assert webhook_signature_valid("It's a Secret to Everybody", b"Hello, World!", expected)
    assert not webhook_signature_valid("It's a Secret to Everybody", b"Hello, World?", expected)
    assert not webhook_signature_valid("another secret", b"Hello, World!", expected)
    assert not webhook_signature_valid("It's a Secret to Everybody", b"Hello, World!", expected.upper())
    assert not webhook_signature_valid("It's a Secret to Everybody", b"Hello, World!", None)
    assert not webhook_signature_valid("It's a Secret to Everybody", b"Hello, World!", "sha256=é")


def test_an_approved_version_is_approved_through_githubs_api(
    gate: Gate, installation: GitHubInstallation, standin: GitHubStandIn
) -> None:
    response = deliver(webhook(standin.callback_url(), subject(gate)))
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "accepted" and response.json()["verdict"] == "approved"

    record = ProtectionRuleRequest.objects.get()
    assert record.verdict == "approved" and record.status == "pending" and record.source == "payload"
    assert (record.repository, record.run_id, record.github_environment, record.environment) == (
        "octocat/Hello-World",
        30433642,
        "production",
        "prod",
    )
    (decision,) = GateDecision.objects.all()
    assert record.decision_ids == [str(decision.pk)]
    assert decision.decision == "pass" and decision.environment == "prod"
    assert decision.requested_by == f"github_installation:{installation.pk}"
    assert decision.ci["repository"] == "octocat/Hello-World" and decision.ci["commit"] == record.sha
    assert decision.ci["run_url"] == "https://github.com/octocat/Hello-World/actions/runs/30433642"
    # The answer is an outbox message written with the verdict; nothing was sent to GitHub yet.
    assert JobDispatch.objects.filter(key=dispatch_key(CALLBACK_TASK, [record.pk, 1])).exists()
    assert standin.calls == []

    record = answer(record)
    assert record.status == "sent" and record.attempts == 1 and record.last_status_code == 204
    assert record.answered_at is not None and record.response_excerpt == ""
    assert standin.problems == []
    (exchange,) = standin.token_requests
    assert exchange.path == f"/api/v3/app/installations/{INSTALLATION_ID}/access_tokens"
    assert exchange.json == {"permissions": {"deployments": "write"}, "repository_ids": [1296269]}
    (review,) = standin.reviews
    assert review.path == "/api/v3/repos/octocat/Hello-World/actions/runs/30433642/deployment_protection_rule"
    assert review.headers["authorization"] == f"Bearer {standin.tokens[0]}"
    assert review.headers["x-github-api-version"] == "2022-11-28"
    assert review.json["environment_name"] == "production" and review.json["state"] == "approved"
    comment = review.json["comment"]
    assert comment == record.comment and comment.startswith("**Approved**")
    assert str(decision.pk) in comment and f"http://testserver/api/v1/gate/decisions/{decision.pk}" in comment
    assert "credit-scoring 1.0.0" in comment
    # Audited: the gate's decision, the request with its verdict, the answer.
    assert {"gate.decision", "github_protection.request", "github_protection.callback"} <= set(actions())
    request_event = AuditEvent.objects.get(action="github_protection.request")
    assert request_event.payload["verdict"] == "approved" and request_event.actor == decision.requested_by
    callback_event = AuditEvent.objects.get(action="github_protection.callback")
    assert callback_event.payload["outcome"] == "sent" and callback_event.payload["status_code"] == 204
    # Neither the token nor the JWT is anywhere in the log or on the record.
    everything = json.dumps(list(AuditEvent.objects.values("payload"))) + json.dumps(
        ProtectionRuleRequest.objects.values().get(), default=str
    )
    assert standin.tokens[0] not in everything and exchange.headers["authorization"][7:] not in everything
    # A second copy of the message does nothing.
    assert answer(record).attempts == 1 and len(standin.reviews) == 1


def test_a_digest_mismatch_is_rejected_with_every_reason(
    gate: Gate, installation: GitHubInstallation, standin: GitHubStandIn
) -> None:
    other = "sha256:" + "0" * 64
    response = deliver(webhook(standin.callback_url(), subject(gate, artifact_digest=other)))
    assert response.status_code == 202 and response.json()["verdict"] == "rejected"
    record = answer(ProtectionRuleRequest.objects.get())
    assert record.status == "sent" and standin.problems == []
    (decision,) = GateDecision.objects.all()
    assert decision.decision == "fail" and decision.artifact_digest == other
    codes = [r["code"] for r in decision.reasons]
    assert "digest_mismatch" in codes
    (review,) = standin.reviews
    assert review.json["state"] == "rejected"
    comment = review.json["comment"]
    assert comment.startswith(
        f"**Rejected** by ModelOps Governance for `prod` (GitHub environment `production`): {len(codes)}"
    )
    for reason in decision.reasons:
        assert f"`{reason['code']}`: {reason['message']}" in comment
    assert str(decision.pk) in comment
    assert [r["code"] for r in record.reasons] == codes


def test_a_version_failing_many_checks_lists_them_all(
    gate: Gate, installation: GitHubInstallation, standin: GitHubStandIn, tmp_path: Path
) -> None:
    draft = hashed_version(gate.mv.model, "2.0.0-draft", tmp_path / "draft", gate.people["producer"])
    deliver(
        webhook(
            standin.callback_url(),
            {"model": draft.model.name, "version": "2.0.0-draft", "artifact_digest": draft.artifact_digest},
        )
    )
    record = answer(ProtectionRuleRequest.objects.get())
    (decision,) = GateDecision.objects.all()
    assert len(decision.reasons) >= 2 and record.verdict == "rejected"
    comment = standin.reviews[0].json["comment"]
    for reason in decision.reasons:
        assert f"credit-scoring 2.0.0-draft: `{reason['code']}`: {reason['message']}" in comment


def test_a_bad_signature_is_401_and_nothing_is_evaluated(
    gate: Gate, installation: GitHubInstallation, standin: GitHubStandIn
) -> None:
    body = webhook(standin.callback_url(), subject(gate))
    assert deliver(body, secret="not the secret at all, no").status_code == 401
    assert deliver(body, signature="").status_code == 401
    raw = json.dumps(body).encode()
    tampered = json.dumps(body | {"environment": "staging"}).encode()
    response = deliver(tampered, signature=github_signature(SECRET, raw))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith(":bad_signature")
    assert not GateDecision.objects.exists() and not ProtectionRuleRequest.objects.exists()
    assert not JobDispatch.objects.exists() and standin.calls == []
    refusals = AuditEvent.objects.filter(action="github_webhook.refuse")
    assert refusals.count() == 3 and {e.payload["reason"] for e in refusals} == {"bad_signature"}


@pytest.mark.parametrize(
    "callback",
    [
        "https://attacker.example/repos/octocat/Hello-World/actions/runs/30433642/deployment_protection_rule",
        "http://127.0.0.1:9/api/v3/repos/octocat/Hello-World/actions/runs/30433642/deployment_protection_rule",
        "{base}/app/installations/1/access_tokens",
        "{base}/../repos/octocat/Hello-World/actions/runs/30433642/deployment_protection_rule",
        "{base}/repos/../../actions/runs/30433642/deployment_protection_rule",
        "{base}/repos/octocat/Hello-World/actions/runs/30433642/deployment_protection_rule?next=x",
    ],
    ids=["other-host", "other-port", "other-endpoint", "outside-base-path", "dot-segments", "query"],
)
def test_a_callback_url_off_the_api_host_is_refused_audited_and_never_called(
    gate: Gate, installation: GitHubInstallation, standin: GitHubStandIn, callback: str
) -> None:
    response = deliver(webhook(callback.format(base=standin.url), subject(gate)))
    assert response.status_code == 422 and response.json()["type"].endswith(":callback_url_refused")
    record = ProtectionRuleRequest.objects.get()
    assert record.status == "refused" and record.verdict == "" and record.last_error
    assert not GateDecision.objects.exists() and not JobDispatch.objects.exists()
    refused = AuditEvent.objects.get(action="github_protection.callback_refuse")
    assert refused.payload["problem"] == record.last_error
    assert answer(record).status == "refused" and standin.calls == []


def test_an_unmapped_environment_is_rejected_with_a_clear_comment(
    gate: Gate, installation: GitHubInstallation, standin: GitHubStandIn
) -> None:
    response = deliver(webhook(standin.callback_url(), subject(gate), environment="qa-eu"))
    assert response.status_code == 202 and response.json()["verdict"] == "rejected"
    record = answer(ProtectionRuleRequest.objects.get())
    assert record.environment == "" and not GateDecision.objects.exists() and record.status == "sent"
    (review,) = standin.reviews
    assert review.json["environment_name"] == "qa-eu" and review.json["state"] == "rejected"
    assert (
        "`environment_not_mapped`: The GitHub environment 'qa-eu' is not mapped to dev, staging or prod"
        in (review.json["comment"])
    )
    assert "(mapped: production, staging)" in review.json["comment"] and standin.problems == []


def test_a_github_failure_is_retried_with_backoff(
    gate: Gate, installation: GitHubInstallation, standin: GitHubStandIn
) -> None:
    standin.review_script.append(500)
    deliver(webhook(standin.callback_url(), subject(gate)))
    record = ProtectionRuleRequest.objects.get()
    from django.utils import timezone

    started = timezone.now()
    record = answer(record)
    assert record.status == "pending" and record.attempts == 1 and record.last_status_code == 500
    assert record.last_error == "Answered 500." and "Server Error" in record.response_excerpt
    assert 10 <= (record.next_attempt_at - started).total_seconds() <= 12
    # Not due yet; once due, attempt 2 goes to the outbox under its own key.
    assert protection_callbacks_dispatch_due(now=started + dt.timedelta(seconds=5)) == 0
    assert protection_callbacks_dispatch_due(now=record.next_attempt_at) == 1
    assert JobDispatch.objects.filter(key=dispatch_key(CALLBACK_TASK, [record.pk, 2])).exists()
    record = answer(record)
    assert record.status == "sent" and record.attempts == 2 and record.last_status_code == 204
    assert len(standin.reviews) == 2 and len(standin.token_requests) == 2 and standin.problems == []
    assert standin.reviews[0].json == standin.reviews[1].json
    outcomes = [
        e.payload["outcome"]
        for e in AuditEvent.objects.filter(action="github_protection.callback").order_by("created_at")
    ]
    assert outcomes == ["retrying", "sent"]


def test_a_refusal_by_github_fails_the_answer_for_good(
    gate: Gate, installation: GitHubInstallation, standin: GitHubStandIn
) -> None:
    standin.review_script.append(404)
    deliver(webhook(standin.callback_url(), subject(gate)))
    record = answer(ProtectionRuleRequest.objects.get())
    assert record.status == "failed" and record.attempts == 1 and record.next_attempt_at is None
    assert AuditEvent.objects.get(action="github_protection.callback").payload["outcome"] == "failed"


def test_a_failed_token_exchange_is_retried_and_the_last_attempt_fails(
    gate: Gate, installation: GitHubInstallation, standin: GitHubStandIn, settings: Any
) -> None:
    settings.GITHUB_CALLBACK_MAX_ATTEMPTS = 2
    standin.token_script.extend([502, 502])
    deliver(webhook(standin.callback_url(), subject(gate)))
    record = answer(ProtectionRuleRequest.objects.get())
    assert record.status == "pending" and record.last_error.startswith("Installation token exchange failed")
    record = answer(record)
    assert record.status == "failed" and record.attempts == 2 and standin.reviews == []


def test_other_events_are_ignored_and_audited(
    installation: GitHubInstallation, standin: GitHubStandIn
) -> None:
    ping = {"zen": "Design for failure.", "hook_id": 1, "installation": {"id": INSTALLATION_ID}}
    response = deliver(ping, event="ping")
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    other_action = webhook(standin.callback_url()) | {"action": "completed"}
    assert deliver(other_action).json()["status"] == "ignored"
    assert AuditEvent.objects.filter(action="github_webhook.ignore").count() == 2
    assert not ProtectionRuleRequest.objects.exists() and not GateDecision.objects.exists()


def test_unknown_installations_and_apps_are_404(
    installation: GitHubInstallation, standin: GitHubStandIn
) -> None:
    body = webhook(standin.callback_url()) | {"installation": {"id": 99}}
    assert deliver(body).status_code == 404
    assert deliver(webhook(standin.callback_url()), app_id=APP_ID + 1).status_code == 404
    assert deliver(b"[1]").status_code == 400 and deliver(b"not json").status_code == 400
    installation.active = False
    installation.save(update_fields=["active"])
    assert deliver(webhook(standin.callback_url())).status_code == 404
    assert not ProtectionRuleRequest.objects.exists()


def test_without_the_app_header_the_installation_still_verifies(
    gate: Gate, installation: GitHubInstallation, standin: GitHubStandIn
) -> None:
    assert deliver(webhook(standin.callback_url(), subject(gate)), app_id=None).status_code == 202


def test_a_redelivery_is_answered_from_the_log(
    gate: Gate, installation: GitHubInstallation, standin: GitHubStandIn
) -> None:
    body = webhook(standin.callback_url(), subject(gate))
    first = deliver(body, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")
    again = deliver(body, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")
    assert first.status_code == 202 and again.status_code == 200
    assert (
        again.json()["status"] == "duplicate" and again.json()["decision_ids"] == first.json()["decision_ids"]
    )
    assert ProtectionRuleRequest.objects.count() == 1 and GateDecision.objects.count() == 1


def test_the_pipelines_earlier_gate_check_names_the_subject(
    gate: Gate, installation: GitHubInstallation, standin: GitHubStandIn
) -> None:
    """An Actions job's own deployment has no payload: the gate check an earlier job made decides."""
    body = webhook(standin.callback_url())
    nothing = deliver(body)
    assert nothing.json()["verdict"] == "rejected"
    assert ProtectionRuleRequest.objects.get().reasons[0]["code"] == "no_subject"

    ci = {
        "provider": "github",
        "repository": "octocat/Hello-World",
        "commit": body["sha"],
        "actor": "octocat",
    }
    assert gate.check(ci=ci).status_code == 200
    assert gate.check(ci=ci | {"commit": "f" * 40}, version="9.9.9").status_code == 404  # another commit
    response = deliver(body)
    assert response.json()["verdict"] == "approved"
    record = ProtectionRuleRequest.objects.order_by("-pk").first()
    assert record.source == "gate_check" and record.subjects == [subject(gate)]
    answer(record)
    assert standin.reviews[0].json["state"] == "approved" and standin.problems == []


def test_a_payload_in_a_string_is_read_and_a_partial_one_is_refused(
    gate: Gate, installation: GitHubInstallation, standin: GitHubStandIn
) -> None:
    as_text = deliver(webhook(standin.callback_url(), json.dumps(subject(gate))))
    assert as_text.json()["verdict"] == "approved"
    partial = deliver(
        webhook(standin.callback_url(), {"model": "credit-scoring", "artifact_digest": "sha256:x"})
    )
    assert partial.json()["verdict"] == "rejected"
    record = ProtectionRuleRequest.objects.order_by("-pk").first()
    assert record.reasons[0]["code"] == "deployment_payload_invalid"
    assert "version must be" in record.reasons[0]["message"] and "artifact_digest must be" in record.comment


def test_the_installation_sees_only_its_teams_versions(
    gate: Gate,
    installation: GitHubInstallation,
    standin: GitHubStandIn,
    team_b: Any,
    tmp_path: Path,
    make_user: Any,
) -> None:
    from tests.factories import RegisteredModelFactory

    theirs = RegisteredModelFactory(team=team_b, name="fraud-detector")
    producer = make_user("submitter", teams=(team_b,), username="b-producer")
    mv = hashed_version(theirs, "1.0.0", tmp_path / "theirs", producer)
    response = deliver(
        webhook(
            standin.callback_url(),
            {"model": "fraud-detector", "version": "1.0.0", "artifact_digest": mv.artifact_digest},
        )
    )
    assert response.json()["verdict"] == "rejected" and not GateDecision.objects.exists()
    assert ProtectionRuleRequest.objects.get().reasons[0]["code"] == "version_not_found"


def test_the_body_is_bounded_and_only_post_is_accepted(
    installation: GitHubInstallation, settings: Any
) -> None:
    settings.GITHUB_WEBHOOK_MAX_BYTES = 1000
    assert deliver(b"{" + b" " * 2000 + b"}").status_code == 413
    assert Client().get(URL).status_code == 405
    assert not AuditEvent.objects.filter(action__regex=r"^github_(webhook|protection)").exists()


def test_the_app_jwt_decodes_with_pyjwt(app_key: rsa.RSAPrivateKey) -> None:
    """A peer as oracle: PyJWT (installed with the test tools) accepts our JWT as GitHub would."""
    jwt = pytest.importorskip("jwt")
    import time

    from governance.integrations.github.signing import app_jwt

    token = app_jwt(private_key=app_key, issuer=str(APP_ID), now=int(time.time()), backdate=60, lifetime=540)
    claims = jwt.decode(
        token, app_key.public_key(), algorithms=["RS256"], options={"require": ["iat", "exp", "iss"]}
    )
    assert claims["iss"] == str(APP_ID) and claims["exp"] - claims["iat"] == 600


def test_a_long_rejection_fits_githubs_limit_and_keeps_every_code() -> None:
    reasons = tuple((f"code_{i}", "A long explanation of what went wrong. " * 8) for i in range(12))
    verdict = SubjectVerdict(
        "credit-scoring 1.0.0", "sha256:" + "a" * 64, False, "d" * 36, "https://x/d", reasons
    )
    text = protection_comment(
        approved=False, environment="prod", github_environment="production", subjects=[verdict]
    )
    assert len(text) <= 1024 and text.startswith("**Rejected**") and "https://x/d" in text
    assert all(f"`code_{i}`" in text for i in range(12))
    many = tuple((f"code_{i}", "x") for i in range(80))
    text = protection_comment(
        approved=False,
        environment="prod",
        github_environment="production",
        subjects=[dataclasses.replace(verdict, reasons=many)],
    )
    assert (
        len(text) <= 1024 and "more (every reason is in the decision below)" in text and "https://x/d" in text
    )


def test_the_admin_never_shows_the_secret_or_the_key(
    admin_client: Any, gate: Gate, standin: GitHubStandIn, app_key: rsa.RSAPrivateKey
) -> None:
    pem = pkcs1_pem(app_key)
    response = admin_client.post(
        "/admin/github_integration/githubinstallation/add/",
        {
            "team": gate.mv.model.team.pk,
            "installation_id": INSTALLATION_ID,
            "app_id": APP_ID,
            "account": "octocat",
            "api_base_url": standin.url,
            "environment_map": '{"production": "prod"}',
            "active": "on",
            "secret": SECRET,
            "private_key_pem": pem,
        },
        follow=True,
    )
    assert response.status_code == 200
    installation = GitHubInstallation.objects.get()
    assert installation.webhook_secret == SECRET
    assert installation.private_key.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert AuditEvent.objects.filter(
        action="github_installation.create", target_id=str(installation.pk)
    ).exists()
    key_body = pem.splitlines()[5]
    for page in (
        f"/admin/github_integration/githubinstallation/{installation.pk}/change/",
        "/admin/github_integration/githubinstallation/",
    ):
        content = admin_client.get(page).content.decode()
        assert "octocat" in content and SECRET not in content and key_body not in content
        assert installation.private_key.splitlines()[3] not in content
    # Changing other fields keeps the credentials; a new secret replaces it (audited, not logged).
    admin_client.post(
        f"/admin/github_integration/githubinstallation/{installation.pk}/change/",
        {
            "account": "octo-org",
            "api_base_url": standin.url,
            "environment_map": '{"production": "prod"}',
            "active": "on",
        },
    )
    installation.refresh_from_db()
    assert installation.account == "octo-org" and installation.webhook_secret == SECRET
    admin_client.post(
        f"/admin/github_integration/githubinstallation/{installation.pk}/change/",
        {
            "account": "octo-org",
            "api_base_url": standin.url,
            "environment_map": '{"production": "prod"}',
            "active": "on",
            "secret": "a brand new webhook secret",
        },
    )
    installation.refresh_from_db()
    assert installation.webhook_secret == "a brand new webhook secret"
    replaced = AuditEvent.objects.get(action="github_installation.credentials_replace")
    assert replaced.payload == {"replaced": ["webhook_secret"]}
    assert "brand new" not in json.dumps(list(AuditEvent.objects.values_list("payload", flat=True)))
    assert admin_client.get("/admin/github_integration/protectionrulerequest/").status_code == 200


def test_only_the_url_map_and_settings_import_the_integration() -> None:
    """The integration sits on the gate's dependency layer; it imports no other integration-level app."""
    root = Path(__file__).resolve().parents[3]
    package = root / "governance" / "integrations" / "github"
    allowed = (
        "governance.gate",
        "governance.approvals",
        "governance.inventory",
        "governance.accounts",
        "governance.jobs",
        "governance.core",
        "governance.integrations.github",
    )

    def imported(path: Path) -> set[str]:
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        return names

    own = [
        f"{p.relative_to(root)} imports {m}"
        for p in sorted(package.rglob("*.py"))
        for m in sorted(imported(p))
        if m.startswith("governance") and not m.startswith(allowed)
    ]
    assert own == []
    users = [
        str(p.relative_to(root))
        for p in sorted((root / "governance").rglob("*.py"))
        if package not in p.parents and any(m.startswith("governance.integrations") for m in imported(p))
    ]
    assert (
        users == []
    )  # governance/urls.py names it in include("..."), a string, and settings in INSTALLED_APPS
    assert "governance.integrations.github.urls" in (root / "governance" / "urls.py").read_text()


def test_the_request_log_shows_the_verdict_reasons_and_comment_read_only(
    admin_client: Any, gate: Gate, installation: GitHubInstallation, standin: GitHubStandIn
) -> None:
    deliver(webhook(standin.callback_url(), subject(gate, artifact_digest="sha256:" + "1" * 64)))
    record = answer(ProtectionRuleRequest.objects.get())
    page = admin_client.get(f"/admin/github_integration/protectionrulerequest/{record.pk}/change/")
    content = page.content.decode()
    assert page.status_code == 200 and "digest_mismatch" in content and "octocat/Hello-World" in content
    assert "Save" not in content  # a log: nothing to edit
    listing = admin_client.get("/admin/github_integration/protectionrulerequest/?verdict__exact=rejected")
    assert listing.status_code == 200 and "octocat/Hello-World" in listing.content.decode()


def test_the_answer_through_a_real_worker_with_a_retry(
    celery_worker_thread: Any, gate: Gate, installation: GitHubInstallation, standin: GitHubStandIn
) -> None:
    """Real commits, the real broker, a real worker: GitHub answers 500, the retry is sent, then 204.

    (No ``django_db`` mark in this module: a mark's database would be flushed after ``committed_db`` has
    turned PostgreSQL's append-only triggers back on; the fixtures ask for the database they need.)"""
    from tests.conftest import wait_for

    standin.review_script.append(500)
    assert deliver(webhook(standin.callback_url(), subject(gate))).status_code == 202
    retry = wait_for(lambda: ProtectionRuleRequest.objects.filter(attempts=1).first(), timeout=30)
    assert retry.status == "pending" and retry.last_status_code == 500 and retry.next_attempt_at
    assert protection_callbacks_dispatch_due(now=retry.next_attempt_at + dt.timedelta(seconds=1)) == 1
    done = wait_for(lambda: ProtectionRuleRequest.objects.filter(status="sent").first(), timeout=30)
    assert done.attempts == 2 and len(standin.reviews) == 2 and standin.problems == []
    assert standin.reviews[-1].json["state"] == "approved"
