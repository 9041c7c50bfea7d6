"""Every ``--output`` of ``govctl gate check``, read the way its consumer reads it.

JSON is parsed; GitHub workflow commands are checked against GitHub's escaping rules and the job
summary file is read back; JUnit XML is parsed with ``xml.etree`` and checked for what GitLab reads
(``testsuites/testsuite/testcase`` with ``failure`` or ``error``); SARIF is validated against the
official OASIS SARIF 2.1.0 JSON schema (``tests/data/sarif``). The server's strings are untrusted:
control characters and the API key must never reach any output raw.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from audit.pure.evidence.bundle import sign_statement
from audit.pure.evidence.intoto import GATE_DECISION_PREDICATE, statement, subject
from audit.pure.evidence.keys import LocalP256Signer, jwk_from_public_key, jwks_document
from tests.govctl.gate_server import DIGEST, TOKEN, Fault, GateStandIn, check_args, gate_env
from tests.govctl.helpers import REPO, run_govctl

SARIF_SCHEMA = REPO / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json"
FAILING = [
    {
        "code": "approval_missing",
        "message": "No approval by the model risk reviewer",
        "policy": "high-risk-credit",
        "expected": "approved",
        "actual": "pending",
    },
    {
        "code": "bias_threshold",
        "message": "Demographic parity difference 0.17 > 0.10",
        "policy": None,
        "expected": {"max": 0.1},
        "actual": 0.17,
    },
]
HOSTILE = {
    "code": "evil,code:x",
    "message": f"50% done\r\n::notice::forged\x1b[2J <img src=x> [link](http://t.example) | key {TOKEN}",
    "policy": "p\x00",
    "expected": "a\nb",
    "actual": "\x07",
}


def run(gate: GateStandIn, *args: str, version: str = "1.0.0", **env: str) -> Any:
    return run_govctl(*check_args(version=version), *args, env=gate_env(gate, **env))


@pytest.fixture
def failing(gate: GateStandIn) -> GateStandIn:
    gate.reasons[("credit-scoring", "1.1.0", "prod")] = FAILING
    return gate


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


# --- json ----------------------------------------------------------------------------------------


def test_json_is_the_decision_plus_exit_code(failing: GateStandIn) -> None:
    result = run(failing, "--output", "json", version="1.1.0")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    decision = next(iter(failing.decisions.values()))
    assert document == {**decision, "exit_code": 1}
    assert document["reasons"] == FAILING


def test_json_of_an_error_carries_the_problem(gate: GateStandIn, tmp_path: Path) -> None:
    report = tmp_path / "gate.json"
    result = run(gate, "--output", "json", "--report-file", str(report), version="0.0.1")
    assert result.returncode == 3
    document = json.loads(report.read_text())
    assert document["decision"] is None and document["exit_code"] == 3
    assert document["problem"]["code"] == "not_found" and document["problem"]["status"] == 404
    assert "No model 'credit-scoring' version '0.0.1' visible to you." in document["error"]
    assert "unknown model or version" in result.stderr  # the log still says it


# --- github --------------------------------------------------------------------------------------


def test_github_annotations_and_summary_on_fail(failing: GateStandIn, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# Earlier step\n")
    outputs = tmp_path / "outputs"
    result = run(
        failing,
        "--output",
        "github",
        version="1.1.0",
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_OUTPUT=str(outputs),
    )
    assert result.returncode == 1
    commands = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert commands == [
        "::error title=Deploy gate%3A approval_missing::No approval by the model risk reviewer "
        "(expected: approved, actual: pending)",
        "::error title=Deploy gate%3A bias_threshold::Demographic parity difference 0.17 > 0.10 "
        '(expected: {"max": 0.1}, actual: 0.17)',
    ]
    assert result.stdout.startswith("FAIL: credit-scoring 1.1.0 may not deploy to prod (2 reasons)\n")
    text = summary.read_text()
    assert text.startswith("# Earlier step\n### Deploy gate: FAIL (2), credit\\-scoring 1\\.1\\.0 → prod\n")
    assert "| Check | Reason | Expected | Actual | Policy |" in text
    assert "| approval\\_missing | No approval by the model risk reviewer | approved | pending | " in text
    decision = next(iter(failing.decisions.values()))
    assert f"[attestation]({failing.base_url}/api/v1/gate/decisions/{decision['decision_id']})" in text
    assert outputs.read_text().splitlines() == [
        "decision=fail",
        f"decision_id={decision['decision_id']}",
        f"audit_entry={decision['audit_entry']}",
        f"attestation_url={failing.base_url}/api/v1/gate/decisions/{decision['decision_id']}",
    ]


def test_github_notice_on_pass(gate: GateStandIn, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    result = run(gate, "--output", "github", GITHUB_STEP_SUMMARY=str(summary))
    assert result.returncode == 0
    decision = next(iter(gate.decisions.values()))
    assert result.stdout.splitlines()[-1] == (
        "::notice title=Deploy gate::PASS: credit-scoring 1.0.0 may deploy to prod "
        f"(decision {decision['decision_id']})"
    )
    assert summary.read_text().startswith("### Deploy gate: PASS, credit\\-scoring 1\\.0\\.0 → prod\n")


def test_github_error_without_a_decision(gate: GateStandIn, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    gate.faults.append(Fault(status=503))
    result = run(gate, "--output", "github", "--retries", "0", GITHUB_STEP_SUMMARY=str(summary))
    assert result.returncode == 2
    assert result.stdout.startswith("::error title=Deploy gate%3A no decision::POST http://127.0.0.1")
    assert "### Deploy gate: ERROR" in summary.read_text()


def test_github_escapes_hostile_text(gate: GateStandIn, tmp_path: Path) -> None:
    gate.reasons[("credit-scoring", "1.0.0", "prod")] = [HOSTILE]
    summary = tmp_path / "summary.md"
    result = run(gate, "--output", "github", GITHUB_STEP_SUMMARY=str(summary))
    assert result.returncode == 1
    commands = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert commands == [
        "::error title=Deploy gate%3A evil%2Ccode%3Ax::50%25 done%0D%0A::notice::forged\\x1b[2J <img src=x> "
        "[link](http://t.example) | key [redacted] (expected: a%0Ab, actual: \\x07)"
    ]
    text = summary.read_text()
    assert "<img" not in text and "](http://t" not in text and "\x1b" not in text
    assert "&lt;img src=x\\> \\[link\\]\\(http\\://t\\.example\\) \\| key \\[redacted\\]" in text
    assert TOKEN not in result.stdout + result.stderr + text


# --- text: untrusted strings --------------------------------------------------------------------


def test_text_escapes_control_characters_and_redacts_the_key(gate: GateStandIn) -> None:
    gate.reasons[("credit-scoring", "1.0.0", "prod")] = [HOSTILE]
    result = run(gate)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[1] == (
        "  - [evil,code:x] 50% done\\x0d\\x0a::notice::forged\\x1b[2J <img src=x> [link](http://t.example) "
        "| key [redacted] (expected: a\\x0ab, actual: \\x07)"
    )
    assert len(lines) == 5  # verdict, one reason, three id lines: nothing forged a line
    assert "\x1b" not in result.stdout and TOKEN not in result.stdout


def test_problem_details_are_untrusted_too(gate: GateStandIn) -> None:
    body = json.dumps(
        {"title": "Bad\x1b[31m", "detail": f"key was {TOKEN}\nPASS: forged", "status": 422, "code": "x"}
    ).encode()
    gate.faults.append(Fault(status=422, body=body))
    result = run(gate)
    assert result.returncode == 2
    assert TOKEN not in result.stderr and "\x1b" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert "key was [redacted]\\x0aPASS: forged" in result.stderr


# --- junit ---------------------------------------------------------------------------------------


def parse_junit(data: str | bytes) -> ET.Element:
    root = ET.fromstring(data)
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    assert suite.get("name") == "deploy-gate"
    cases = suite.findall("testcase")
    assert suite.get("tests") == root.get("tests") == str(len(cases))
    assert suite.get("failures") == str(sum(1 for c in cases if c.find("failure") is not None))
    assert suite.get("errors") == str(sum(1 for c in cases if c.find("error") is not None))
    for case in cases:  # what GitLab needs to show a case
        assert case.get("name") and case.get("classname")
    return suite


def test_junit_fail_has_a_failed_case_per_reason(failing: GateStandIn, tmp_path: Path) -> None:
    report = tmp_path / "gate.xml"
    result = run(failing, "--output", "junit", "--report-file", str(report), version="1.1.0")
    assert result.returncode == 1
    assert result.stdout.startswith("FAIL: credit-scoring 1.1.0")  # the log shows the verdict too
    suite = parse_junit(report.read_bytes())
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [
        "credit-scoring 1.1.0 to prod: approval_missing [high-risk-credit]",
        "credit-scoring 1.1.0 to prod: bias_threshold",
        # then every check the server lists as passed
        "credit-scoring 1.1.0 to prod: version_status",
        "credit-scoring 1.1.0 to prod: risk_tier",
        "credit-scoring 1.1.0 to prod: artifact_digest",
        "credit-scoring 1.1.0 to prod: artifact_attestation",
        "credit-scoring 1.1.0 to prod: evidence",
    ]
    assert [c.find("failure") is not None for c in cases] == [True, True, False, False, False, False, False]
    failure = cases[0].find("failure")
    assert failure is not None
    assert failure.get("message") == "No approval by the model risk reviewer"
    assert failure.get("type") == "approval_missing"
    assert failure.text == (
        "No approval by the model risk reviewer\n"
        "expected: approved, actual: pending\n"
        "policy: high-risk-credit"
    )
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    decision = next(iter(failing.decisions.values()))
    assert props["decision"] == "fail" and props["decision_id"] == decision["decision_id"]
    assert props["artifact_digest"] == DIGEST
    assert suite.get("timestamp") == decision["evaluated_at"]


def test_junit_pass_is_a_passing_case_per_check(gate: GateStandIn) -> None:
    result = run(gate, "--output", "junit")
    assert result.returncode == 0
    suite = parse_junit(result.stdout)
    cases = suite.findall("testcase")
    assert len(cases) == 7 and cases[0].get("name") == "credit-scoring 1.0.0 to prod: version_status"
    assert all(list(case) == [] for case in cases)  # no failure, error or skipped child: passed
    assert suite.get("failures") == suite.get("errors") == "0"


def test_junit_pass_without_named_checks_is_one_passing_case(gate: GateStandIn) -> None:
    document = {"decision": "pass", "reasons": [], "decision_id": "d-1", "audit_entry": "a-1"}
    gate.faults.append(Fault(status=200, body=json.dumps(document).encode(), content_type="application/json"))
    suite = parse_junit(run(gate, "--output", "junit").stdout)
    [case] = suite.findall("testcase")
    assert case.get("name") == "credit-scoring 1.0.0 to prod: deploy gate" and list(case) == []


def test_junit_fail_without_reasons_is_still_a_failure(gate: GateStandIn) -> None:
    document = {"decision": "fail", "reasons": [], "decision_id": "d-1", "passed_checks": ["risk_tier"]}
    gate.faults.append(Fault(status=200, body=json.dumps(document).encode(), content_type="application/json"))
    result = run(gate, "--output", "junit")
    assert result.returncode == 1
    suite = parse_junit(result.stdout)
    assert suite.get("failures") == "1" and len(suite.findall("testcase")) == 2


def test_junit_without_a_decision_is_an_error_case(gate: GateStandIn, tmp_path: Path) -> None:
    report = tmp_path / "gate.xml"
    result = run(gate, "--output", "junit", "--report-file", str(report), version="0.0.1")
    assert result.returncode == 3
    suite = parse_junit(report.read_bytes())
    [case] = suite.findall("testcase")
    error = case.find("error")
    assert error is not None and "version '0.0.1' visible to you" in (error.get("message") or "")


def test_junit_stays_well_formed_with_hostile_text(gate: GateStandIn) -> None:
    gate.reasons[("credit-scoring", "1.0.0", "prod")] = [HOSTILE]
    result = run(gate, "--output", "junit")
    assert result.returncode == 1
    suite = parse_junit(result.stdout)
    failure = suite.find("testcase/failure")
    assert failure is not None
    assert "\\x1b[2J" in (failure.get("message") or "") and "\\x1b[2J" in (failure.text or "")
    assert TOKEN not in result.stdout


# --- sarif ---------------------------------------------------------------------------------------


def test_sarif_fail_validates_and_names_rules(
    failing: GateStandIn, tmp_path: Path, sarif_validator: jsonschema.Draft4Validator
) -> None:
    report = tmp_path / "gate.sarif"
    result = run(failing, "--output", "sarif", "--report-file", str(report), version="1.1.0")
    assert result.returncode == 1
    log = json.loads(report.read_text())
    sarif_validator.validate(log)
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-schema-2.1.0.json")
    [run_] = log["runs"]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "govctl"
    assert [rule["id"] for rule in driver["rules"]] == ["approval_missing", "bias_threshold"]
    results = run_["results"]
    assert [(r["ruleId"], r["ruleIndex"], r["level"]) for r in results] == [
        ("approval_missing", 0, "error"),
        ("bias_threshold", 1, "error"),
    ]
    assert results[0]["message"]["text"] == (
        "No approval by the model risk reviewer (expected: approved, actual: pending)"
    )
    [location] = results[0]["locations"][0]["logicalLocations"]
    assert location["fullyQualifiedName"] == "credit-scoring/1.1.0/prod"
    assert "credit-scoring 1.1.0" in location["name"] and "prod" in location["name"]
    decision = next(iter(failing.decisions.values()))
    assert run_["properties"]["decision_id"] == decision["decision_id"]
    assert run_["invocations"][0] == {"executionSuccessful": True, "exitCode": 1}


def test_sarif_pass_has_no_results(gate: GateStandIn, sarif_validator: jsonschema.Draft4Validator) -> None:
    result = run(gate, "--output", "sarif")
    assert result.returncode == 0
    log = json.loads(result.stdout)
    sarif_validator.validate(log)
    assert log["runs"][0]["results"] == [] and log["runs"][0]["properties"]["decision"] == "pass"


def test_sarif_error_is_an_unsuccessful_invocation(
    gate: GateStandIn, sarif_validator: jsonschema.Draft4Validator
) -> None:
    result = run_govctl(*check_args(), "--output", "sarif", env=gate_env(gate, token="nope"))
    assert result.returncode == 2
    log = json.loads(result.stdout)
    sarif_validator.validate(log)
    [invocation] = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False and invocation["exitCode"] == 2
    assert "authentication problem" in invocation["toolExecutionNotifications"][0]["message"]["text"]
    assert "nope" not in result.stdout + result.stderr


def test_sarif_with_hostile_and_duplicate_codes(
    gate: GateStandIn, sarif_validator: jsonschema.Draft4Validator
) -> None:
    gate.reasons[("credit-scoring", "1.0.0", "prod")] = [HOSTILE, HOSTILE, FAILING[0]]
    result = run(gate, "--output", "sarif")
    log = json.loads(result.stdout)
    sarif_validator.validate(log)
    run_ = log["runs"][0]
    assert [rule["id"] for rule in run_["tool"]["driver"]["rules"]] == ["evil,code:x", "approval_missing"]
    assert [r["ruleIndex"] for r in run_["results"]] == [0, 0, 1]
    assert TOKEN not in result.stdout


def test_the_schema_rejects_what_it_should(sarif_validator: jsonschema.Draft4Validator) -> None:
    """The vendored schema is the real one: it refuses a log without runs or with a bad level."""
    assert not sarif_validator.is_valid({"version": "2.1.0"})
    bad_level = {
        "version": "2.1.0",
        "runs": [
            {"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "level": "bad"}]}
        ],
    }
    assert not sarif_validator.is_valid(bad_level)


# --- the decision's signed bundle ----------------------------------------------------------------


def test_save_bundle_fetches_a_bundle_that_verifies(gate: GateStandIn, tmp_path: Path) -> None:
    signer = LocalP256Signer.generate()
    st = statement(
        [subject("credit-scoring-1.0.0", DIGEST.removeprefix("sha256:"))],
        GATE_DECISION_PREDICATE,
        {"decision": "pass", "audit_sequence": 7},
    )
    gate.bundle = sign_statement(st, signer)
    jwks = tmp_path / "jwks.json"
    created = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    jwks.write_text(json.dumps(jwks_document([jwk_from_public_key(signer.public_key(), created_at=created)])))
    bundle = tmp_path / "decision.bundle.json"
    result = run(gate, "--save-bundle", str(bundle))
    assert result.returncode == 0, result.stderr
    decision_id = next(iter(gate.decisions))
    assert gate.requests[-1].method == "GET"
    assert gate.requests[-1].path == f"/api/v1/gate/decisions/{decision_id}"
    assert gate.requests[-1].headers["authorization"] == f"Bearer {TOKEN}"
    verified = run_govctl("verify", "bundle", bundle, "--keys", jwks)
    assert verified.returncode == 0, verified.stderr
    assert f"predicate type: {GATE_DECISION_PREDICATE}" in verified.stdout


def test_save_bundle_failure_is_exit_2_after_the_verdict(gate: GateStandIn, tmp_path: Path) -> None:
    gate.faults += [Fault(), Fault(status=404)]  # the POST goes through, the GET finds nothing
    result = run(gate, "--save-bundle", str(tmp_path / "b.json"))
    assert result.returncode == 2
    assert result.stdout.startswith("PASS: ")
    assert "fetching the decision bundle" in result.stderr
    assert len(gate.posts("/api/v1/gate/checks")) == 1


def test_unwritable_summary_warns_but_the_verdict_decides(gate: GateStandIn, tmp_path: Path) -> None:
    result = run(gate, "--output", "github", GITHUB_STEP_SUMMARY=str(tmp_path / "missing" / "summary.md"))
    assert result.returncode == 0
    assert "govctl: warning: cannot write the job summary" in result.stderr


def test_unwritable_outputs_file_is_exit_2(gate: GateStandIn, tmp_path: Path) -> None:
    result = run(gate, "--output", "github", GITHUB_OUTPUT=str(tmp_path / "missing" / "outputs"))
    assert result.returncode == 2  # later steps need the decision id: the step must not look fine
    assert "cannot write the outputs file" in result.stderr
