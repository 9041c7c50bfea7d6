"""``POST /api/v1/gate/checks``: fail closed, every reason at once, signed, audited, idempotent."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import Attestation, AuditEvent
from audit.pure.evidence.bundle_verify import verify_bundle
from audit.pure.evidence.intoto import TEST_RESULT_PREDICATE
from audit.pure.evidence.model_artifact import MODEL_SIGNING_PREDICATE_TYPE
from audit.signing import jwks, signing_key_revoke
from governance.accounts.principal import cli_principal
from governance.approvals.expiry import approvals_expire_due
from governance.gate.models import GateDecision
from governance.gate.services import gate_check
from governance.inventory.transitions import model_version_transition
from tests.factories import RegisteredModelFactory
from tests.govctl.helpers import run_govctl
from tests.governance.approvals.conftest import add_bias_report, as_principal
from tests.governance.gate.conftest import Gate, approve, hashed_version

pytestmark = pytest.mark.django_db
OTHER = "sha256:" + "ab" * 32


def artifact_attestation(gate: Gate) -> Attestation | None:
    return (
        Attestation.objects.filter(
            subject_type="inventory.modelversion",
            subject_id=str(gate.mv.pk),
            predicate_type=MODEL_SIGNING_PREDICATE_TYPE,
        )
        .order_by("-pk")
        .first()
    )


def codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["code"] for r in response.json()["reasons"]]


def test_an_approved_artifact_passes_with_a_signed_audited_decision(gate: Gate, tmp_path: Path) -> None:
    response = gate.check()
    assert response.status_code == 200
    body = response.json()
    assert body["decision"] == "pass" and body["reasons"] == []
    assert body["approval_id"] == gate.request.pk and body["policy_version"] == gate.request.policy.version
    assert body["model"] == "credit-scoring" and body["environment"] == "prod"
    assert body["attestation_url"].endswith(f"/api/v1/gate/decisions/{body['decision_id']}")
    event = AuditEvent.objects.get(action="gate.decision")
    assert str(event.entry_id) == body["audit_entry"] and event.payload["reason_codes"] == []
    assert event.payload["ci"]["repository"] == "bank/credit"

    detail = gate.ci.get(f"/api/v1/gate/decisions/{body['decision_id']}").json()
    verified = verify_bundle(detail["bundle"], jwks())
    assert verified.predicate_type == TEST_RESULT_PREDICATE
    assert verified.predicate["result"] == "PASSED" and verified.predicate["failedTests"] == []
    assert verified.subjects[0].digest["sha256"] == gate.mv.artifact_digest.removeprefix("sha256:")
    # Offline, as an auditor (or a deploy-time policy engine) would check it.
    (tmp_path / "decision.json").write_text(json.dumps(detail["bundle"]))
    (tmp_path / "jwks.json").write_text(json.dumps(jwks()))
    result = run_govctl("verify", "bundle", tmp_path / "decision.json", "--keys", tmp_path / "jwks.json")
    assert result.returncode == 0, result.stderr


def test_an_approval_for_prod_covers_staging_but_not_the_reverse(
    gate: Gate, people: Any, tmp_path: Path
) -> None:
    assert codes(gate.check(environment="staging")) == []
    mv2 = hashed_version(gate.mv.model, "1.1.0", tmp_path / "v2", people["producer"])
    approve(mv2, people, environment="staging")
    body = {"version": "1.1.0", "artifact_digest": mv2.artifact_digest}
    assert codes(gate.check(**body, environment="staging")) == []
    assert codes(gate.check(**body, environment="prod")) == ["no_approval"]


def test_a_different_artifact_is_refused(gate: Gate) -> None:
    response = gate.check(artifact_digest=OTHER)
    assert response.json()["decision"] == "fail"
    reason = response.json()["reasons"][0]
    assert reason["code"] == "digest_mismatch"
    assert reason["expected"] == gate.mv.artifact_digest and reason["actual"] == OTHER


def test_a_draft_without_anything_fails_with_every_reason(gate: Gate, people: Any, tmp_path: Path) -> None:
    from tests.factories import ModelVersionFactory

    draft = ModelVersionFactory(model=gate.mv.model, version="2.0.0", artifact_digest="")
    found = codes(gate.check(version="2.0.0", artifact_digest=OTHER))
    assert found == [
        "version_not_approved",
        "no_approval",
        "artifact_digest_missing",
        "attestation_missing",
        "bias_report_missing",
        "evidence_missing",  # the model card
        "evidence_missing",  # the named owner (on the card)
    ], found
    assert draft.status == "draft"


def test_expired_approval(gate: Gate) -> None:
    approvals_expire_due(now=gate.request.expires_at)
    assert codes(gate.check()) == ["version_not_approved", "approval_expired"]


def test_approval_past_its_date_fails_even_before_the_expiry_pass_ran(gate: Gate, settings: Any) -> None:
    from governance.approvals.models import ApprovalRequest

    ApprovalRequest.objects.filter(pk=gate.request.pk).update(
        expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    assert codes(gate.check()) == ["approval_expired"]


def test_stale_approval_and_failed_bias_report(gate: Gate) -> None:
    add_bias_report(gate.mv, passed=False)  # monitoring found a problem after the approval
    assert codes(gate.check()) == ["approval_stale", "bias_report_failed"]
    approvals_expire_due()  # the periodic pass marks it stale and lapses the version
    assert codes(gate.check()) == ["version_not_approved", "approval_stale", "bias_report_failed"]


def test_outdated_bias_report(gate: Gate) -> None:
    from governance.fairness.models import BiasReport

    BiasReport.objects.filter(model_version=gate.mv).update(
        created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=120)
    )
    found = codes(gate.check())
    assert "bias_report_outdated" in found and "approval_stale" in found


def test_retired_version(gate: Gate) -> None:
    model_version_transition(
        actor=as_principal(gate.people["owner"]), model_version=gate.mv, to="retired", reason="Replaced"
    )
    assert codes(gate.check())[0] == "version_retired"


def test_prohibited_tier(gate: Gate, people: Any, tmp_path: Path) -> None:
    model = RegisteredModelFactory(team=gate.mv.model.team, name="social-scoring", risk_tier="prohibited")
    mv = hashed_version(model, "1.0.0", tmp_path / "p", people["producer"])
    found = codes(gate.check(model="social-scoring", version="1.0.0", artifact_digest=mv.artifact_digest))
    assert "prohibited_tier" in found and "no_approval" in found


def test_an_attestation_that_does_not_verify(gate: Gate) -> None:
    good = artifact_attestation(gate)
    assert good is not None
    bundle = json.loads(json.dumps(good.bundle))
    envelope = bundle.get("dsseEnvelope", bundle)
    envelope["signatures"][0]["sig"] = envelope["signatures"][0]["sig"][::-1]
    Attestation.objects.create(
        predicate_type=good.predicate_type,
        subject_type=good.subject_type,
        subject_id=good.subject_id,
        subject_digest=good.subject_digest,
        key_id=good.key_id,
        bundle=bundle,
        created_at=good.created_at,
    )
    found = codes(gate.check())
    assert "attestation_invalid" in found


def test_an_attestation_signed_by_a_revoked_key(gate: Gate) -> None:
    attestation = artifact_attestation(gate)
    assert attestation is not None
    signing_key_revoke(actor=cli_principal("test"), key_id=attestation.key_id, reason="HSM compromised")
    found = codes(gate.check())
    assert "attestation_key_revoked" in found
    # The decision itself is signed by the fresh key and verifies.
    decision = GateDecision.objects.latest("evaluated_at")
    assert verify_bundle(decision.attestation.bundle, jwks()).key_status == "active"


def test_same_idempotency_key_and_body_give_the_same_decision(gate: Gate) -> None:
    first = gate.ci.post("/api/v1/gate/checks", gate.body(), format="json", HTTP_IDEMPOTENCY_KEY="run-42-1")
    again = gate.ci.post("/api/v1/gate/checks", gate.body(), format="json", HTTP_IDEMPOTENCY_KEY="run-42-1")
    assert first.json() == again.json()
    assert GateDecision.objects.count() == 1
    other = gate.ci.post(
        "/api/v1/gate/checks",
        gate.body(environment="staging"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="run-42-1",
    )
    assert other.status_code == 422 and other["Content-Type"].startswith("application/problem+json")
    assert other.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert GateDecision.objects.count() == 1


def test_http_errors_are_only_the_callers(gate: Gate, key_client: Any, team_b: Any, client: Any) -> None:
    assert gate.check(model="no-such-model").status_code == 404
    assert gate.check(version="9.9.9").status_code == 404
    other_team = key_client(team_b, ["gate:check"], name="other")
    assert other_team.post("/api/v1/gate/checks", gate.body(), format="json").status_code == 404
    no_scope = key_client(gate.mv.model.team, ["inventory:read"], name="reader")
    assert no_scope.post("/api/v1/gate/checks", gate.body(), format="json").status_code == 403
    assert client.post("/api/v1/gate/checks", gate.body(), content_type="application/json").status_code in (
        401,
        403,
    )
    bad = gate.ci.post(
        "/api/v1/gate/checks",
        {"model": "", "environment": "moon", "artifact_digest": "md5:x", "ci": {"run_url": "not a url"}},
        format="json",
    )
    assert bad.status_code == 422
    fields = {error["field"] for error in bad.json()["errors"]}
    assert {"model", "version", "environment", "artifact_digest"} <= fields, fields


def test_a_ci_key_reads_only_its_teams_decisions(gate: Gate, key_client: Any, team_b: Any) -> None:
    decision_id = gate.check().json()["decision_id"]
    assert gate.ci.get(f"/api/v1/gate/decisions/{decision_id}").status_code == 200
    other = key_client(team_b, ["gate:check"], name="other")
    assert other.get(f"/api/v1/gate/decisions/{decision_id}").status_code == 404
    assert other.get("/api/v1/gate/decisions").json()["results"] == []


def test_a_reviewer_reads_decisions_with_inventory_read(gate: Gate, client_for: Any) -> None:
    decision_id = gate.check().json()["decision_id"]
    reviewer = client_for(gate.people["risk"])
    assert reviewer.get(f"/api/v1/gate/decisions/{decision_id}").status_code == 200
    assert reviewer.post("/api/v1/gate/checks", gate.body(), format="json").status_code == 403


def test_query_count_does_not_grow_with_history(gate: Gate) -> None:
    actor = cli_principal("test")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            gate_check(
                actor=_ci(gate, actor),
                model="credit-scoring",
                version="1.0.0",
                environment="prod",
                artifact_digest=gate.mv.artifact_digest,
            )
        return len(queries)

    first = count()
    for _ in range(15):
        add_bias_report(gate.mv)  # history grows (reports, decisions, audit entries)
        count()
    assert count() == first


def _ci(gate: Gate, actor: Any) -> Any:
    from governance.accounts.principal import principal_for_api_key

    return principal_for_api_key(gate.ci.api_key)


def test_a_one_file_artifact_passes(gate: Gate, people: Any, tmp_path: Path) -> None:
    """A file is recorded by its own sha256; its model_signing statement names the manifest digest."""
    import os

    from governance.accounts.principal import worker_principal
    from governance.inventory.artifacts import artifact_hash_run
    from governance.inventory.models import ArtifactHashJob
    from governance.inventory.services import model_card_create
    from tests.factories import ModelVersionFactory
    from tests.governance.approvals.conftest import CARD

    artifact = tmp_path / "model.onnx"
    artifact.write_bytes(os.urandom(2048))
    mv = ModelVersionFactory(
        model=gate.mv.model,
        version="3.0.0",
        artifact_uri=artifact.as_uri(),
        artifact_digest="",
        created_by=f"user:{people['producer'].pk}",
    )
    job = ArtifactHashJob.objects.create(model_version=mv, requested_by="test")
    artifact_hash_run(job_id=job.pk, actor=worker_principal("test"))
    mv.refresh_from_db()
    model_card_create(actor=as_principal(people["producer"]), model_version=mv, **CARD)
    add_bias_report(mv)
    approve(mv, people)
    assert codes(gate.check(version="3.0.0", artifact_digest=mv.artifact_digest)) == []
