"""The gate's verdict as text, JSON, JUnit XML and SARIF 2.1.0: what people and CI systems read.

* **text**: the verdict line, every reason, the decision's ids and link.
* **json**: the server's decision document plus ``exit_code`` (or the error and its problem document).
* **junit**: one ``testsuite`` named ``deploy-gate``, one ``testcase`` per evaluated check: each check
  the server lists as passed (``passed_checks``; else the verdict itself) passes, each failing reason
  is a ``testcase`` with a ``failure``, no verdict a ``testcase`` with an ``error``. GitLab shows it
  in the merge request (``artifacts:reports:junit``), Jenkins and Azure Pipelines likewise.
* **sarif**: a SARIF 2.1.0 log (OASIS), one rule per reason code, one ``error`` result per reason,
  located logically at the model version and environment; no verdict is an unsuccessful invocation.

The server's strings are untrusted: text escapes control characters, XML gets only the characters
XML 1.0 allows (the rest escaped as ``\\xNN``), JSON is ASCII.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any, Final

from .errors import EXIT_FAILED, EXIT_OK
from .output import clean
from .verdict import Decision, Failure, GateRequest, Outcome, Reason

SARIF_SCHEMA: Final = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SARIF_VERSION: Final = "2.1.0"
TOOL_NAME: Final = "govctl"
JUNIT_SUITE: Final = "deploy-gate"

_NOT_XML: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def verdict_line(request: GateRequest, decision: Decision) -> str:
    """``PASS: m v may deploy to env`` or ``FAIL: m v may not deploy to env (N reasons)``."""
    if decision.passed:
        return f"PASS: {request.subject} may deploy to {request.environment}"
    count = plural(len(decision.reasons), "reason")
    return f"FAIL: {request.subject} may not deploy to {request.environment} ({count})"


def reason_line(reason: Reason) -> str:
    comparison = reason.comparison()
    return f"  - [{reason.code}] {reason.message}" + (f" ({comparison})" if comparison else "")


def text_lines(request: GateRequest, outcome: Decision) -> list[str]:
    """Lines for people (cleaned when printed): verdict, every reason, ids and the attestation."""
    lines = [verdict_line(request, outcome), *(reason_line(r) for r in outcome.reasons)]
    policy = f" (policy version {outcome.policy_version})" if outcome.policy_version is not None else ""
    lines.append(f"  decision:    {outcome.decision_id}{policy}")
    lines.append(f"  audit entry: {outcome.audit_entry or '-'}")
    lines.append(f"  attestation: {outcome.attestation_url or '-'}")
    return lines


def json_document(request: GateRequest, outcome: Outcome, exit_code: int) -> dict[str, Any]:
    """The server's decision plus ``exit_code``; without a decision, the error and its problem."""
    if isinstance(outcome, Decision):
        return {**outcome.document, "exit_code": exit_code}
    return {
        "decision": None,
        "model": request.model,
        "version": request.version,
        "environment": request.environment,
        "artifact_digest": request.artifact_digest,
        "error": outcome.message,
        "problem": dict(outcome.problem) if outcome.problem is not None else None,
        "exit_code": exit_code,
    }


def render_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=True) + "\n"


# --- JUnit ----------------------------------------------------------------------------------------


def xml_text(text: str) -> str:
    """``text`` with the characters XML 1.0 forbids (most C0 controls) escaped as ``\\xNN``."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _attr(text: str) -> str:
    """An attribute value: one line, XML-legal."""
    return xml_text(clean(text))


def _case(request: GateRequest, what: str) -> ET.Element:
    """A ``testcase`` named after the check, grouped by environment (GitLab shows both)."""
    name = _attr(f"{request.subject} to {request.environment}: {what}")
    classname = _attr(f"{JUNIT_SUITE}.{request.environment}")
    return ET.Element("testcase", name=name, classname=classname, time="0")


def _reason_body(reason: Reason) -> str:
    lines = [reason.message]
    if reason.comparison():
        lines.append(reason.comparison())
    if reason.policy:
        lines.append(f"policy: {reason.policy}")
    return xml_text("\n".join(lines))


def junit_xml(request: GateRequest, outcome: Outcome, elapsed: float) -> bytes:
    """A JUnit XML report (``testsuites/testsuite/testcase`` with ``failure`` or ``error``)."""
    suite_attrs = {"name": JUNIT_SUITE, "time": f"{elapsed:.3f}"}
    cases: list[ET.Element] = []
    failures = errors = 0
    properties: dict[str, str] = {
        "model": request.model,
        "version": request.version,
        "environment": request.environment,
        "artifact_digest": request.artifact_digest,
    }
    if isinstance(outcome, Failure):
        errors = 1
        case = _case(request, "gate check")
        ET.SubElement(case, "error", message=_attr(outcome.message), type="govctl").text = xml_text(
            outcome.message
        )
        cases.append(case)
    else:
        properties |= {
            "decision": outcome.decision,
            "decision_id": outcome.decision_id,
            "audit_entry": outcome.audit_entry or "",
            "attestation_url": outcome.attestation_url or "",
        }
        if outcome.evaluated_at:
            suite_attrs["timestamp"] = _attr(outcome.evaluated_at)
        for reason in outcome.reasons:
            failures += 1
            what = reason.code + (f" [{reason.policy}]" if reason.policy else "")
            case = _case(request, what)
            failure = ET.SubElement(case, "failure", message=_attr(reason.message), type=_attr(reason.code))
            failure.text = _reason_body(reason)
            cases.append(case)
        if not outcome.passed and not outcome.reasons:  # a fail without reasons is still a failure
            failures += 1
            case = _case(request, "deploy gate")
            ET.SubElement(case, "failure", message="the gate said fail", type="fail")
            cases.append(case)
        cases += [_case(request, check) for check in outcome.passed_checks]
        if outcome.passed and not outcome.passed_checks:  # no check named: the verdict itself
            cases.append(_case(request, "deploy gate"))
    counts = {"tests": str(len(cases)), "failures": str(failures), "errors": str(errors), "skipped": "0"}
    root = ET.Element("testsuites", {"name": "govctl gate check", **counts, "time": suite_attrs["time"]})
    suite = ET.SubElement(root, "testsuite", {**suite_attrs, **counts})
    props = ET.SubElement(suite, "properties")
    for name, value in properties.items():
        ET.SubElement(props, "property", name=name, value=_attr(value))
    suite.extend(cases)
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body + b"\n"


# --- SARIF ----------------------------------------------------------------------------------------


def _sarif_location(request: GateRequest) -> dict[str, Any]:
    return {
        "logicalLocations": [
            {
                "name": f"{request.model} {request.version} ({request.environment})",
                "fullyQualifiedName": f"{request.model}/{request.version}/{request.environment}",
                "kind": "module",
            }
        ]
    }


def _sarif_message(reason: Reason) -> str:
    comparison = reason.comparison()
    return reason.message + (f" ({comparison})" if comparison else "") or reason.code


def sarif_document(request: GateRequest, outcome: Outcome, exit_code: int) -> dict[str, Any]:
    """A SARIF 2.1.0 log of one run: the verdict's failed checks as ``error`` results."""
    rules: list[dict[str, Any]] = []
    rule_index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    invocation: dict[str, Any] = {"executionSuccessful": isinstance(outcome, Decision), "exitCode": exit_code}
    properties: dict[str, Any] = {
        "model": request.model,
        "version": request.version,
        "environment": request.environment,
        "artifact_digest": request.artifact_digest,
    }
    if isinstance(outcome, Failure):
        invocation["exitCodeDescription"] = "no gate decision"
        invocation["toolExecutionNotifications"] = [{"level": "error", "message": {"text": outcome.message}}]
    else:
        keys = ("decision", "decision_id", "audit_entry", "evaluated_at", "policy_version", "approval_id")
        properties |= {key: outcome.document.get(key) for key in keys}
        properties["attestation_url"] = outcome.attestation_url
        properties["passed_checks"] = list(outcome.passed_checks)
        for reason in outcome.reasons:
            if reason.code not in rule_index:
                rule_index[reason.code] = len(rules)
                rules.append(
                    {
                        "id": reason.code,
                        "name": reason.code,
                        "shortDescription": {"text": f"Deploy gate check {reason.code}"},
                        "defaultConfiguration": {"level": "error"},
                    }
                )
            results.append(
                {
                    "ruleId": reason.code,
                    "ruleIndex": rule_index[reason.code],
                    "kind": "fail",
                    "level": "error",
                    "message": {"text": _sarif_message(reason)},
                    "locations": [_sarif_location(request)],
                    "properties": {
                        "policy": reason.policy,
                        "expected": reason.expected,
                        "actual": reason.actual,
                    },
                }
            )
    run: dict[str, Any] = {
        "tool": {"driver": {"name": TOOL_NAME, "rules": rules}},
        "automationDetails": {"id": f"deploy-gate/{request.model}/{request.environment}/"},
        "invocations": [invocation],
        "results": results,
        "properties": properties,
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def exit_code_for(outcome: Outcome) -> int:
    if isinstance(outcome, Failure):
        return outcome.exit_code
    return EXIT_OK if outcome.passed else EXIT_FAILED
