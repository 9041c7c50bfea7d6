"""Deployments: refused without a passing decision for the same digest; "what was in prod at D"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from audit.models import AuditEvent
from governance.gate.models import Deployment
from governance.inventory import lifecycle
from tests.governance.gate.conftest import Gate, approve, hashed_version

pytestmark = pytest.mark.django_db


def record(gate: Gate, decision_id: str, *, version: str = "1.0.0", digest: str = "", **extra: Any) -> Any:
    body = {
        "model": "credit-scoring",
        "version": version,
        "environment": "prod",
        "artifact_digest": digest or gate.mv.artifact_digest,
        "decision_id": decision_id,
        **extra,
    }
    return gate.ci.post("/api/v1/deployments", body, format="json")


def at(gate: Gate, instant: Any, environment: str = "prod") -> list[str]:
    response = gate.ci.get("/api/v1/deployments", {"environment": environment, "at": instant.isoformat()})
    assert response.status_code == 200, response.content
    return [row["version"] for row in response.json()]


def test_a_first_deployment_moves_the_version_to_deployed(gate: Gate) -> None:
    decision = gate.check().json()
    response = record(gate, decision["decision_id"])
    assert response.status_code == 201, response.content
    row = response.json()
    assert row["status"] == "deployed" and row["approval_id"] == gate.request.pk
    gate.mv.refresh_from_db()
    assert gate.mv.status == lifecycle.DEPLOYED
    assert AuditEvent.objects.filter(action="deployment.record").count() == 1


def test_a_deployment_needs_a_passing_decision_for_the_same_digest_and_environment(gate: Gate) -> None:
    failed = gate.check(artifact_digest="sha256:" + "cd" * 32).json()
    response = record(gate, failed["decision_id"])
    assert response.status_code == 409 and response.json()["errors"][0]["code"] == "no_passing_decision"
    passed = gate.check(environment="staging").json()
    assert record(gate, passed["decision_id"]).status_code == 409  # a staging pass is not a prod pass
    other = record(gate, gate.check().json()["decision_id"], digest="sha256:" + "ef" * 32)
    assert other.status_code == 409 and "another artifact digest" in other.json()["detail"]
    assert record(gate, "7e0a0000-0000-4000-8000-000000000000").status_code == 404
    assert not Deployment.objects.exists()


def test_point_in_time_across_deploys_and_rollbacks(gate: Gate, people: Any, tmp_path: Path) -> None:
    v2 = hashed_version(gate.mv.model, "1.1.0", tmp_path / "v2", people["producer"])
    approve(v2, people)
    d1 = gate.check().json()["decision_id"]
    d2 = gate.check(version="1.1.0", artifact_digest=v2.artifact_digest).json()["decision_id"]

    first = Deployment.objects.get(pk=record(gate, d1).json()["id"])  # 1.0.0 goes live
    second = Deployment.objects.get(  # 1.1.0 replaces it
        pk=record(gate, d2, version="1.1.0", digest=v2.artifact_digest).json()["id"]
    )
    rollback = Deployment.objects.get(pk=record(gate, d1).json()["id"])  # back to 1.0.0
    removal = Deployment.objects.get(pk=record(gate, d1, status="undeployed").json()["id"])

    assert at(gate, first.recorded_at) == ["1.0.0"]
    assert at(gate, second.recorded_at) == ["1.1.0"]
    assert at(gate, rollback.recorded_at) == ["1.0.0"]
    assert at(gate, removal.recorded_at) == []
    assert at(gate, first.recorded_at.replace(year=2020)) == []
    assert at(gate, first.recorded_at, environment="staging") == []
    rows = gate.ci.get(
        "/api/v1/deployments", {"environment": "prod", "at": second.recorded_at.isoformat()}
    ).json()
    assert rows[0]["decision_id"] == d2 and rows[0]["approval_id"] is not None
    replaced = Deployment.objects.get(replaced_by=second)
    assert replaced.status == "undeployed" and replaced.model_version_id == gate.mv.pk


def test_deployments_of_other_teams_are_invisible(gate: Gate, key_client: Any, team_b: Any) -> None:
    record(gate, gate.check().json()["decision_id"])
    other = key_client(team_b, ["gate:check"], name="other")
    assert other.get("/api/v1/deployments", {"environment": "prod"}).json() == []
    body = {
        "model": "credit-scoring",
        "version": "1.0.0",
        "environment": "prod",
        "artifact_digest": gate.mv.artifact_digest,
        "decision_id": str(Deployment.objects.get().decision_id),
    }
    assert other.post("/api/v1/deployments", body, format="json").status_code == 404


def test_bad_queries_are_422(gate: Gate) -> None:
    response = gate.ci.get("/api/v1/deployments", {"environment": "moon", "at": "yesterday"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"environment", "at"}
