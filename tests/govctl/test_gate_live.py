"""``python -m govctl gate check`` and ``deploy record`` against the real API: gunicorn on the test database.

The stand-in tests cover every branch; this one proves the CLI and the service agree on the contract:
the request body the serializers accept (no null CI fields), the decision document, the problem
documents (404, 401, 409), the signed bundle ``govctl verify bundle`` accepts, and every report format
built from a real decision (the SARIF validated against its schema, the JUnit parsed).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.govctl.helpers import REPO, cli_env, run_govctl
from tests.governance.jobs import processes

SARIF_SCHEMA = REPO / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json"
OTHER_DIGEST = "sha256:" + "cd" * 32


@pytest.fixture
def live(committed_db: Any, make_user: Any, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """An approved, hashed, signed credit-scoring 1.0.0, a CI key with gate:check, and gunicorn."""
    from governance.accounts.principal import cli_principal
    from governance.accounts.services import api_key_create
    from tests.factories import RegisteredModelFactory, TeamFactory
    from tests.governance.gate.conftest import approve, hashed_version

    team = TeamFactory(slug="credit-risk")
    people = {
        "owner": make_user("submitter", teams=(team,), username="owner"),
        "producer": make_user("submitter", teams=(team,), username="producer"),
        "submitter": make_user("submitter", teams=(team,), username="sam"),
        "risk": make_user("model_risk_reviewer", username="rita"),
        "privacy": make_user("privacy_officer", username="pia"),
    }
    model = RegisteredModelFactory(
        team=team, name="credit-scoring", risk_tier="high", created_by=f"user:{people['owner'].pk}"
    )
    mv = hashed_version(model, "1.0.0", tmp_path / "artifact", people["producer"])
    approve(mv, people)
    issued = api_key_create(
        actor=cli_principal("test"),
        team=team,
        name="ci",
        scopes=["gate:check"],
        expires_in=dt.timedelta(days=1),
    )
    port = processes.free_port()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env |= {"DATABASE_URL": processes.database_url(), "AUDIT_INTEGRATE_MODE": "inline"}
    web = processes.start_web(env, port, tmp_path / "web.log")
    try:
        base = f"http://127.0.0.1:{port}"
        yield {
            "base": base,
            "digest": mv.artifact_digest,
            "env": cli_env(GOVERNANCE_URL=base, GOVERNANCE_API_KEY=issued.secret),
            "key": issued.secret,
            "log": tmp_path / "web.log",
        }
    finally:
        processes.kill(web)


def check(
    live: dict[str, Any], *args: str, digest: str | None = None, version: str = "1.0.0", **env: str
) -> Any:
    base = ["gate", "check", "--model", "credit-scoring", "--version", version, "--env", "prod"]
    return run_govctl(*base, "--digest", digest or live["digest"], *args, env={**live["env"], **env})


def test_gate_check_and_deploy_record_against_the_service(live: dict[str, Any], tmp_path: Path) -> None:
    # A pass: JUnit with a passing case per evaluated check, and the decision's signed bundle.
    report, bundle = tmp_path / "gate.xml", tmp_path / "decision.bundle.json"
    result = check(live, "--output", "junit", "--report-file", str(report), "--save-bundle", str(bundle))
    assert result.returncode == 0, result.stderr + live["log"].read_text()[-3000:]
    assert result.stdout.startswith("PASS: credit-scoring 1.0.0 may deploy to prod\n")
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None and suite.get("name") == "deploy-gate"
    cases = suite.findall("testcase")
    assert len(cases) >= 5 and all(list(case) == [] for case in cases)
    decision_id = {p.get("name"): p.get("value") for p in suite.iter("property")}["decision_id"]
    verified = run_govctl("verify", "bundle", bundle, "--keys", f"{live['base']}/.well-known/jwks.json")
    assert verified.returncode == 0, verified.stderr

    # A fail (another artifact): SARIF valid against the official schema, the mismatch as a rule.
    result = check(live, "--output", "sarif", digest=OTHER_DIGEST)
    assert result.returncode == 1, result.stderr
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(log)
    rule_ids = [r["ruleId"] for r in log["runs"][0]["results"]]
    assert "digest_mismatch" in rule_ids and all(r["level"] == "error" for r in log["runs"][0]["results"])
    failed_decision = log["runs"][0]["properties"]["decision_id"]

    # GitHub: annotations, job summary, step outputs; the CI context reaches the service.
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs"
    github = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "bank/credit",
        "GITHUB_SHA": "ab" * 20,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "77",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_ACTOR": "octo",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
    }
    result = check(live, "--output", "github", digest=OTHER_DIGEST, **github)
    assert result.returncode == 1
    assert "::error title=Deploy gate%3A digest_mismatch::" in result.stdout
    assert "### Deploy gate: FAIL" in summary.read_text()
    again = check(live, "--output", "json", digest=OTHER_DIGEST, **github)  # same run attempt: same decision
    document = json.loads(again.stdout)
    assert f"decision_id={document['decision_id']}" in outputs.read_text()
    assert document["ci"]["repository"] == "bank/credit" and document["exit_code"] == 1

    # Deployments: recorded under the passing decision, refused under the failing one.
    deploy = ["deploy", "record", "--model", "credit-scoring", "--version", "1.0.0", "--env", "prod"]
    result = run_govctl(*deploy, "--digest", live["digest"], "--decision-id", decision_id, env=live["env"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("RECORDED: credit-scoring 1.0.0 deployed to prod (deployment ")
    result = run_govctl(*deploy, "--digest", OTHER_DIGEST, "--decision-id", failed_decision, env=live["env"])
    assert result.returncode == 1
    assert "no_passing_decision" in result.stderr

    # Unknown version (3), a wrong key (2, never printed).
    result = check(live, version="9.9.9")
    assert result.returncode == 3 and "version '9.9.9'" in result.stderr
    result = check(live, GOVERNANCE_API_KEY="gk_wrong_key_123")
    assert result.returncode == 2 and "authentication problem (HTTP 401" in result.stderr
    assert "gk_wrong_key_123" not in result.stderr + result.stdout
