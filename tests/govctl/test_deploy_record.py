"""``govctl deploy record`` against the loopback stand-in: recorded (0), refused (1), errors (2, 3)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.govctl.gate_server import DIGEST, READONLY_TOKEN, TOKEN, Fault, GateStandIn, check_args, gate_env
from tests.govctl.helpers import run_govctl

DEPLOYMENTS = "/api/v1/deployments"


def passing_decision(gate: GateStandIn) -> str:
    result = run_govctl(*check_args(), "--output", "json", env=gate_env(gate))
    assert result.returncode == 0, result.stderr
    return str(json.loads(result.stdout)["decision_id"])


def record(
    gate: GateStandIn, decision_id: str, *extra: str, version: str = "1.0.0", token: str = TOKEN
) -> Any:
    args = ["deploy", "record", *check_args(version=version)[2:], "--decision-id", decision_id, *extra]
    return run_govctl(*args, env=gate_env(gate, token=token))


def test_records_a_deployment_under_a_passing_decision(gate: GateStandIn) -> None:
    decision_id = passing_decision(gate)
    result = record(gate, decision_id)
    assert result.returncode == 0, result.stderr
    [deployment] = gate.deployments
    assert result.stdout == (
        f"RECORDED: credit-scoring 1.0.0 deployed to prod (deployment 1, decision {decision_id}, "
        f"at {deployment['recorded_at']})\n"
    )
    [seen] = gate.posts(DEPLOYMENTS)
    assert seen.json() == {
        "model": "credit-scoring",
        "version": "1.0.0",
        "environment": "prod",
        "artifact_digest": DIGEST,
        "decision_id": decision_id,
        "status": "deployed",
    }
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert seen.headers["idempotency-key"]


def test_undeployed_and_json(gate: GateStandIn) -> None:
    decision_id = passing_decision(gate)
    result = record(gate, decision_id, "--status", "undeployed", "--output", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["status"] == "undeployed" and document["exit_code"] == 0
    assert document["decision_id"] == decision_id


def test_undeployed_text(gate: GateStandIn) -> None:
    result = record(gate, passing_decision(gate), "--status", "undeployed")
    assert result.returncode == 0
    assert result.stdout.startswith("RECORDED: credit-scoring 1.0.0 undeployed from prod (deployment 1")


def test_no_passing_decision_is_refused_with_exit_1(gate: GateStandIn) -> None:
    gate.reasons[("credit-scoring", "1.1.0", "prod")] = [{"code": "approval_missing", "message": "no"}]
    failed = run_govctl(*check_args(version="1.1.0"), "-o", "json", env=gate_env(gate))
    decision_id = json.loads(failed.stdout)["decision_id"]
    result = record(gate, decision_id, version="1.1.0")
    assert result.returncode == 1
    assert result.stderr.startswith("govctl: deploy record refused: ")
    assert (
        f"Gate decision {decision_id} does not allow this deployment: the decision is a fail."
        in result.stderr
    )
    assert "[no_passing_decision]" in result.stderr
    assert gate.deployments == []
    assert len(gate.posts(DEPLOYMENTS)) == 1  # an answer: not retried


def test_refusal_in_json(gate: GateStandIn) -> None:
    decision_id = passing_decision(gate)
    result = record(gate, decision_id, "--output", "json", "--env", "staging")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["exit_code"] == 1 and document["problem"]["code"] == "no_passing_decision"
    assert "it was for prod, not staging" in document["error"]


def test_unknown_decision_is_exit_3(gate: GateStandIn) -> None:
    result = record(gate, "00000000-0000-0000-0000-000000000000")
    assert result.returncode == 3
    assert result.stderr.startswith("govctl: not found: ")
    assert "No gate decision 00000000-0000-0000-0000-000000000000" in result.stderr


def test_validation_error_is_refused_with_exit_1(gate: GateStandIn) -> None:
    gate.faults.append(
        Fault(
            status=422,
            body=json.dumps(
                {
                    "type": "urn:modelops-governance:problem:validation_error",
                    "title": "Validation failed",
                    "status": 422,
                    "detail": "Invalid value for: status.",
                    "errors": [{"field": "status", "message": "bad", "code": "invalid"}],
                }
            ).encode(),
        )
    )
    result = record(gate, "d")
    assert result.returncode == 1
    assert "Validation failed: Invalid value for: status. [validation_error] (status: bad)" in result.stderr


def test_unknown_model_is_exit_3(gate: GateStandIn) -> None:
    result = record(gate, "d", version="7.7.7")
    assert result.returncode == 3
    assert "No model 'credit-scoring' version '7.7.7' visible to you." in result.stderr


@pytest.mark.parametrize("token", ["bad", READONLY_TOKEN])
def test_auth_problem_is_exit_2(gate: GateStandIn, token: str) -> None:
    result = record(gate, "d", token=token)
    assert result.returncode == 2
    assert "authentication problem" in result.stderr and token not in result.stderr


def test_retried_after_503_with_the_same_key(gate: GateStandIn) -> None:
    decision_id = passing_decision(gate)
    gate.faults += [Fault(status=503, retry_after="0"), Fault(drop=True)]
    result = record(gate, decision_id, "--retry-base", "0.01")
    assert result.returncode == 0, result.stderr
    seen = gate.posts(DEPLOYMENTS)
    assert len(seen) == 3 and len({r.headers["idempotency-key"] for r in seen}) == 1


def test_usage_errors(gate: GateStandIn) -> None:
    result = record(gate, " ")
    assert result.returncode == 2 and "--decision-id must not be empty" in result.stderr
    result = run_govctl("deploy", "record", "--model", "m", env=gate_env(gate))
    assert result.returncode == 2 and "required" in result.stderr
    result = record(gate, "d", "--status", "rolled-back")
    assert result.returncode == 2 and "invalid choice" in result.stderr
    assert gate.requests == []
