"""An approved version with real evidence (hashed artifact, signed attestation), and a CI key."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from governance.accounts.principal import worker_principal
from governance.approvals.models import ApprovalRequest
from governance.approvals.services import approval_decide, approval_request_submit
from governance.inventory.artifacts import artifact_hash_run
from governance.inventory.models import ArtifactHashJob, ModelVersion, RegisteredModel
from governance.inventory.services import model_card_create
from tests.factories import ModelVersionFactory, RegisteredModelFactory
from tests.governance.approvals.conftest import CARD, add_bias_report, as_principal


def hashed_version(model: RegisteredModel, version: str, root: Path, producer: Any) -> ModelVersion:
    """A version whose artifact is really hashed and signed (the model_signing attestation)."""
    root.mkdir(parents=True)
    (root / "weights.bin").write_bytes(os.urandom(4096))
    (root / "config.json").write_text('{"layers": 2}')
    mv = ModelVersionFactory(
        model=model,
        version=version,
        artifact_uri=root.as_uri(),
        artifact_digest="",
        created_by=f"user:{producer.pk}",
    )
    job = ArtifactHashJob.objects.create(model_version=mv, requested_by="test")
    artifact_hash_run(job_id=job.pk, actor=worker_principal("test"))
    mv.refresh_from_db()
    model_card_create(actor=as_principal(producer), model_version=mv, **CARD)
    add_bias_report(mv)
    return mv


@dataclass
class Gate:
    mv: ModelVersion
    request: ApprovalRequest
    people: dict[str, Any]
    ci: Any  # APIClient with a gate:check key of the model's team

    def body(self, **changes: Any) -> dict[str, Any]:
        return {
            "model": self.mv.model.name,
            "version": self.mv.version,
            "environment": "prod",
            "artifact_digest": self.mv.artifact_digest,
            "ci": {"provider": "github", "repository": "bank/credit", "commit": "abc123", "actor": "octo"},
        } | changes

    def check(self, **changes: Any) -> Any:
        return self.ci.post("/api/v1/gate/checks", self.body(**changes), format="json")


def approve(mv: ModelVersion, people: dict[str, Any], environment: str = "prod") -> ApprovalRequest:
    request = approval_request_submit(
        actor=as_principal(people["submitter"]), model_version=mv, environment=environment, comment="Ready."
    )
    for who in ("risk", "privacy"):
        approval_decide(actor=as_principal(people[who]), request=request, decision="approve", comment="Ok.")
    request.refresh_from_db()
    return request


@pytest.fixture
def people(make_user: Any, team_a: Any) -> dict[str, Any]:
    return {
        "owner": make_user("submitter", teams=(team_a,), username="owner"),
        "producer": make_user("submitter", teams=(team_a,), username="producer"),
        "submitter": make_user("submitter", teams=(team_a,), username="sam"),
        "risk": make_user("model_risk_reviewer", username="rita"),
        "privacy": make_user("privacy_officer", username="pia"),
    }


@pytest.fixture
def gate(people: dict[str, Any], team_a: Any, key_client: Any, tmp_path: Path) -> Gate:
    model = RegisteredModelFactory(
        team=team_a, name="credit-scoring", risk_tier="high", created_by=f"user:{people['owner'].pk}"
    )
    mv = hashed_version(model, "1.0.0", tmp_path / "v1", people["producer"])
    return Gate(mv, approve(mv, people), people, key_client(team_a, ["gate:check"]))
