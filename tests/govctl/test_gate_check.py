"""``govctl gate check`` against a loopback stand-in of the gate API, run as a CI job would run it.

Every exit status (0 pass, 1 fail, 2 usage/network/auth, 3 unknown model or version), the request it
sends (body, CI context, idempotency key, bearer key), and the retry rules: backoff on 503/429/5xx,
dropped and refused connections, ``Retry-After`` honoured, a bounded total time, and never a second
request once the gate has answered.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest

from tests.govctl.gate_server import (
    DIGEST,
    READONLY_TOKEN,
    TOKEN,
    Fault,
    GateStandIn,
    check_args,
    gate_env,
)
from tests.govctl.helpers import run_govctl

CHECKS = "/api/v1/gate/checks"
FAST = ["--retry-base", "0.01"]

MISSING_APPROVAL = {
    "code": "approval_missing",
    "message": "No approval by the model risk reviewer",
    "policy": "high-risk-credit",
    "expected": "approved",
    "actual": "pending",
}
BIAS = {
    "code": "bias_threshold",
    "message": "Demographic parity difference above the policy limit",
    "policy": "fairness-v2",
    "expected": {"max": 0.1},
    "actual": 0.17,
}

GITHUB_ENV = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_REPOSITORY": "acme/credit-models",
    "GITHUB_SHA": "0f" * 20,
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_RUN_ID": "9876543210",
    "GITHUB_RUN_ATTEMPT": "1",
    "GITHUB_ACTOR": "octo-deployer",
}
GITLAB_ENV = {
    "GITLAB_CI": "true",
    "CI_PROJECT_PATH": "risk/credit-models",
    "CI_COMMIT_SHA": "1e" * 20,
    "CI_JOB_URL": "https://gitlab.example.com/risk/credit-models/-/jobs/4242",
    "CI_JOB_ID": "4242",
    "GITLAB_USER_LOGIN": "gl-deployer",
}


def gate_check(gate: GateStandIn, *extra: str, token: str | None = TOKEN, **env: str) -> Any:
    return run_govctl(*check_args(), *extra, env=gate_env(gate, token=token, **env))


# --- verdicts ------------------------------------------------------------------------------------


def test_pass_exits_0_and_says_so(gate: GateStandIn) -> None:
    result = gate_check(gate)
    assert result.returncode == 0, result.stderr
    decision = next(iter(gate.decisions.values()))
    assert result.stdout.splitlines() == [
        "PASS: credit-scoring 1.0.0 may deploy to prod",
        f"  decision:    {decision['decision_id']} (policy version 3)",
        f"  audit entry: {decision['audit_entry']}",
        f"  attestation: {gate.base_url}/api/v1/gate/decisions/{decision['decision_id']}",
    ]
    assert result.stderr == ""


def test_fail_exits_1_and_lists_every_reason(gate: GateStandIn) -> None:
    gate.reasons[("credit-scoring", "1.1.0", "prod")] = [MISSING_APPROVAL, BIAS]
    result = run_govctl(*check_args(version="1.1.0"), env=gate_env(gate))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "FAIL: credit-scoring 1.1.0 may not deploy to prod (2 reasons)",
        "  - [approval_missing] No approval by the model risk reviewer (expected: approved, actual: pending)",
        '  - [bias_threshold] Demographic parity difference above the policy limit (expected: {"max": 0.1}, '
        "actual: 0.17)",
    ]
    assert lines[3].startswith("  decision:    ")
    assert len(gate.posts(CHECKS)) == 1


def test_one_reason_is_singular(gate: GateStandIn) -> None:
    result = gate_check(gate, "--digest", "sha256:" + "cd" * 32)
    assert result.returncode == 1
    assert result.stdout.splitlines()[:2] == [
        "FAIL: credit-scoring 1.0.0 may not deploy to prod (1 reason)",
        f"  - [artifact_digest_mismatch] The artifact is not the one that was approved. (expected: {DIGEST}, "
        f"actual: sha256:{'cd' * 32})",
    ]


def test_request_carries_the_contract(gate: GateStandIn) -> None:
    assert gate_check(gate, "--digest", "SHA256:" + "AB" * 32).returncode == 0
    [seen] = gate.requests
    assert seen.method == "POST" and seen.path == CHECKS
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["idempotency-key"].startswith("govctl-")
    assert seen.json() == {
        "model": "credit-scoring",
        "version": "1.0.0",
        "environment": "prod",
        "artifact_digest": DIGEST,  # upper case accepted, sent lower case
        "ci": {"provider": "other"},  # unknown CI fields are left out, never sent as null
    }


def test_unknown_model_or_version_exits_3(gate: GateStandIn) -> None:
    result = run_govctl(*check_args(version="9.9.9"), env=gate_env(gate))
    assert result.returncode == 3
    assert result.stdout == ""
    assert "unknown model or version" in result.stderr
    assert "No model 'credit-scoring' version '9.9.9' visible to you. [not_found]" in result.stderr
    assert len(gate.requests) == 1  # an answer: not retried


def test_html_404_is_a_configuration_error(gate: GateStandIn) -> None:
    """A 404 that is not the API's problem document means the URL is wrong, not the model (exit 2)."""
    gate.faults.append(Fault(status=404, body=b"<h1>Not Found</h1>", content_type="text/html"))
    result = gate_check(gate)
    assert result.returncode == 2
    assert "check GOVERNANCE_URL" in result.stderr


# --- errors: exit 2 ------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["wrong-key", READONLY_TOKEN])
def test_auth_problem_exits_2_without_printing_the_key(gate: GateStandIn, token: str) -> None:
    result = gate_check(gate, token=token)
    assert result.returncode == 2
    assert "authentication problem" in result.stderr
    assert ("HTTP 401" if token == "wrong-key" else "HTTP 403") in result.stderr
    assert token not in result.stdout + result.stderr
    assert len(gate.requests) == 1


def test_validation_errors_exit_2_listing_fields(gate: GateStandIn) -> None:
    result = run_govctl(*check_args(env="moon"), env=gate_env(gate))
    assert result.returncode == 2
    assert "HTTP 422" in result.stderr
    assert (
        'Validation failed: Invalid value for: environment. [validation_error] (environment: "moon" is not a '
        "valid choice.)"
    ) in result.stderr
    assert len(gate.requests) == 1


def test_idempotency_key_reused_for_another_question_exits_2(gate: GateStandIn) -> None:
    assert gate_check(gate, "--idempotency-key", "k-1").returncode == 0
    result = run_govctl(*check_args(version="1.1.0"), "--idempotency-key", "k-1", env=gate_env(gate))
    assert result.returncode == 2
    assert "HTTP 422" in result.stderr and "[idempotency_key_reused]" in result.stderr


def test_conflict_exits_2(gate: GateStandIn) -> None:
    gate.faults.append(Fault(status=409, body=b'{"title": "Conflict", "detail": "Busy.", "status": 409}'))
    result = gate_check(gate)
    assert result.returncode == 2
    assert "HTTP 409: Conflict: Busy." in result.stderr
    assert len(gate.requests) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--digest", "sha256:abc"], "--digest must be sha256: followed by 64 hex digits"),
        (["--digest", "md5:" + "ab" * 32], "--digest must be sha256:"),
        (["--model", " "], "--model must not be empty"),
        (["--url", "ftp://example.com"], "must be http(s)"),
        (["--report-file", "r.txt"], "--report-file goes with --output json, junit or sarif"),
    ],
)
def test_usage_errors_exit_2_before_any_request(gate: GateStandIn, args: list[str], message: str) -> None:
    result = gate_check(gate, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert gate.requests == []


def test_missing_url_and_key_exit_2(gate: GateStandIn) -> None:
    env = gate_env(gate)
    del env["GOVERNANCE_URL"]
    result = run_govctl(*check_args(), env=env)
    assert result.returncode == 2 and "set GOVERNANCE_URL or pass --url" in result.stderr
    result = gate_check(gate, token=None)
    assert result.returncode == 2 and "set GOVERNANCE_API_KEY" in result.stderr
    assert gate.requests == []


def test_url_flag_overrides_the_environment(gate: GateStandIn) -> None:
    env = gate_env(gate)
    env["GOVERNANCE_URL"] = "http://127.0.0.1:9"
    result = run_govctl(*check_args(), "--url", gate.base_url + "/", env=env)
    assert result.returncode == 0, result.stderr


def test_missing_required_flag_is_a_usage_error(gate: GateStandIn) -> None:
    result = run_govctl("gate", "check", "--model", "m", env=gate_env(gate))
    assert result.returncode == 2
    assert "the following arguments are required: --version, --env, --digest" in result.stderr


def test_not_a_verdict_is_not_a_pass(gate: GateStandIn) -> None:
    gate.faults.append(Fault(status=200, body=b'{"decision": "maybe"}', content_type="application/json"))
    result = gate_check(gate)
    assert result.returncode == 2
    assert "not pass or fail" in result.stderr
    gate.faults.append(Fault(status=200, body=b"<html>", content_type="text/html"))
    result = gate_check(gate)
    assert result.returncode == 2 and "not JSON" in result.stderr
    assert len(gate.requests) == 2  # a 200 is an answer, even a broken one: never retried


def test_redirects_are_refused(gate: GateStandIn) -> None:
    gate.faults.append(Fault(status=302, headers={"Location": "http://127.0.0.1:9/elsewhere"}, body=b""))
    result = gate_check(gate)
    assert result.returncode == 2
    assert "redirects (HTTP 302)" in result.stderr
    assert len(gate.requests) == 1


# --- retries -------------------------------------------------------------------------------------


def test_retries_transient_failures_with_the_same_idempotency_key(gate: GateStandIn) -> None:
    gate.faults += [
        Fault(status=503, retry_after="0"),
        Fault(drop=True),
        Fault(status=429),
        Fault(status=502, body=b"bad gateway", content_type="text/plain"),
    ]
    result = gate_check(gate, *FAST)
    assert result.returncode == 0, result.stderr
    seen = gate.posts(CHECKS)
    assert len(seen) == 5
    assert len({r.headers["idempotency-key"] for r in seen}) == 1
    assert len({r.body for r in seen}) == 1
    assert len(gate.decisions) == 1
    retries = [line for line in result.stderr.splitlines() if "retry" in line]
    assert len(retries) == 4
    assert "HTTP 503" in retries[0] and "connection closed" in retries[1] and "HTTP 429" in retries[2]
    assert "retry 4 of 5" in retries[3]


def test_a_request_processed_before_the_connection_dropped_gets_the_same_decision(gate: GateStandIn) -> None:
    """The server decided, the answer was lost: the retry carries the same key and gets that decision."""
    gate.reasons[("credit-scoring", "1.0.0", "prod")] = [MISSING_APPROVAL]
    first = gate_check(gate, "--output", "json", "--idempotency-key", "ci-run-7")
    gate.reasons.clear()  # had the server decided again, it would now pass
    again = gate_check(gate, "--output", "json", "--idempotency-key", "ci-run-7")
    assert first.returncode == again.returncode == 1
    assert first.stdout == again.stdout
    assert len(gate.decisions) == 1


def test_retry_after_is_honoured(gate: GateStandIn) -> None:
    gate.faults.append(Fault(status=503, retry_after="1"))
    started = time.monotonic()
    result = gate_check(gate, *FAST)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started >= 1.0
    assert "in 1.00 s" in result.stderr


def test_gives_up_after_the_retries(gate: GateStandIn) -> None:
    gate.faults += [Fault(status=503) for _ in range(10)]
    result = gate_check(gate, *FAST, "--retries", "2")
    assert result.returncode == 2
    assert len(gate.requests) == 3
    assert "HTTP 503" in result.stderr and "gave up after 3 attempts" in result.stderr


def test_retries_zero_means_one_attempt(gate: GateStandIn) -> None:
    gate.faults.append(Fault(status=500))
    result = gate_check(gate, "--retries", "0")
    assert result.returncode == 2 and len(gate.requests) == 1


def test_connection_refused_is_retried_then_exit_2() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nothing listens there
    started = time.monotonic()
    result = run_govctl(
        *check_args(),
        *FAST,
        "--retries",
        "3",
        env=gate_env(GateStandIn(base_url=f"http://127.0.0.1:{port}")),
    )
    assert result.returncode == 2
    assert result.stderr.count("connection refused; retry") == 3
    assert "connection refused (gave up after 4 attempts)" in result.stderr
    assert time.monotonic() - started < 10


def test_total_time_is_bounded(gate: GateStandIn) -> None:
    gate.faults += [Fault(delay=3, status=503) for _ in range(3)]
    started = time.monotonic()
    result = gate_check(gate, *FAST, "--timeout", "1")
    elapsed = time.monotonic() - started
    assert result.returncode == 2
    assert "timed out" in result.stderr or "no answer within --timeout 1 s" in result.stderr
    assert elapsed < 2.9  # the slow answer was not waited for


def test_retry_after_beyond_the_deadline_gives_up_at_once(gate: GateStandIn) -> None:
    gate.faults.append(Fault(status=503, retry_after="3600"))
    started = time.monotonic()
    result = gate_check(gate, *FAST, "--timeout", "5")
    assert result.returncode == 2
    assert "would pass --timeout 5 s" in result.stderr
    assert time.monotonic() - started < 4
    assert len(gate.requests) == 1


def test_no_retry_after_a_failing_verdict(gate: GateStandIn) -> None:
    gate.reasons[("credit-scoring", "1.0.0", "prod")] = [MISSING_APPROVAL]
    result = gate_check(gate, *FAST)
    assert result.returncode == 1
    assert len(gate.requests) == 1
    assert "retry" not in result.stderr


# --- CI context and idempotency -----------------------------------------------------------------


def test_github_actions_context_is_detected(gate: GateStandIn) -> None:
    assert gate_check(gate, **GITHUB_ENV).returncode == 0
    assert gate.requests[0].json()["ci"] == {
        "provider": "github",
        "repository": "acme/credit-models",
        "commit": "0f" * 20,
        "run_url": "https://github.com/acme/credit-models/actions/runs/9876543210",
        "actor": "octo-deployer",
    }


def test_gitlab_ci_context_is_detected(gate: GateStandIn) -> None:
    assert gate_check(gate, **GITLAB_ENV).returncode == 0
    assert gate.requests[0].json()["ci"] == {
        "provider": "gitlab",
        "repository": "risk/credit-models",
        "commit": "1e" * 20,
        "run_url": "https://gitlab.example.com/risk/credit-models/-/jobs/4242",
        "actor": "gl-deployer",
    }


def test_flags_override_the_detected_context(gate: GateStandIn) -> None:
    flags = ["--ci-provider", "other", "--ci-repository", "x/y", "--ci-commit", "abc", "--ci-actor", "bot"]
    assert gate_check(gate, *flags, "--ci-run-url", "https://ci.example/1", **GITHUB_ENV).returncode == 0
    assert gate.requests[0].json()["ci"] == {
        "provider": "other",
        "repository": "x/y",
        "commit": "abc",
        "run_url": "https://ci.example/1",
        "actor": "bot",
    }


def test_idempotency_key_is_stable_within_a_ci_run_attempt(gate: GateStandIn) -> None:
    """A step run twice in one attempt gets the decision already made; a re-run asks again."""
    first = gate_check(gate, "-o", "json", **GITHUB_ENV)
    second = gate_check(gate, "-o", "json", **GITHUB_ENV)
    rerun = gate_check(gate, "-o", "json", **{**GITHUB_ENV, "GITHUB_RUN_ATTEMPT": "2"})
    other_env = run_govctl(*check_args(env="staging"), env=gate_env(gate, **GITHUB_ENV))
    keys = [r.headers["idempotency-key"] for r in gate.requests]
    assert keys[0] == keys[1] and len(set(keys)) == 3
    assert first.stdout == second.stdout != rerun.stdout
    assert other_env.returncode == 0
    assert len(gate.decisions) == 3


def test_idempotency_key_outside_ci_is_fresh_per_run(gate: GateStandIn) -> None:
    assert gate_check(gate).returncode == 0
    assert gate_check(gate).returncode == 0
    keys = {r.headers["idempotency-key"] for r in gate.requests}
    assert len(keys) == 2 and len(gate.decisions) == 2


def test_explicit_idempotency_key_is_sent(gate: GateStandIn) -> None:
    assert gate_check(gate, "--idempotency-key", "deploy-42-prod").returncode == 0
    assert gate.requests[0].headers["idempotency-key"] == "deploy-42-prod"


def test_gitlab_retried_job_asks_again(gate: GateStandIn) -> None:
    assert gate_check(gate, **GITLAB_ENV).returncode == 0
    assert gate_check(gate, **GITLAB_ENV).returncode == 0
    assert gate_check(gate, **{**GITLAB_ENV, "CI_JOB_ID": "4243"}).returncode == 0
    keys = [r.headers["idempotency-key"] for r in gate.requests]
    assert keys[0] == keys[1] != keys[2]
