"""A loopback stand-in for the gate API, speaking the HTTP contract ``govctl gate``/``deploy`` rely on.

It behaves like the service where the CLI can tell: bearer auth (401/403 as problem+json), 404
``not_found`` for an unknown model or version, 422 with field errors, one decision per
``Idempotency-Key`` (the same key gets the same decision back; reused with another body, 409), the
decision document with its reasons, the decision's signed bundle, and deployments refused (409
``no_passing_decision``) unless a passing decision covers them. Tests queue faults (503 with
``Retry-After``, 429, a dropped connection, a slow answer, a canned answer) that are served before
the real handling, one per request, and read every request the server saw.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "gk_test_0123456789abcdef"  # a test key, served only on loopback
READONLY_TOKEN = "gk_readonly_feedfacecafebeef"  # authenticates, lacks gate:check
DIGEST = "sha256:" + "ab" * 32
DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}")
ENVIRONMENTS = ("dev", "staging", "prod")
CHECKS = (
    "version_status",
    "risk_tier",
    "approval",
    "artifact_digest",
    "artifact_attestation",
    "bias_report",
    "evidence",
)
CHECK_OF = {
    "artifact_digest_mismatch": "artifact_digest",
    "approval_missing": "approval",
    "bias_threshold": "bias_report",
}


@dataclass
class Fault:
    """One request answered (or not) abnormally, before the stand-in's real handling."""

    status: int | None = None
    retry_after: str | None = None
    drop: bool = False  # close the connection without a byte of answer
    delay: float = 0.0  # wait this long before answering (or dropping)
    body: bytes | None = None
    content_type: str = "application/problem+json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    """A request as the stand-in received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class GateStandIn:
    """State of the stand-in: what it knows, what it answers, and what it saw."""

    base_url: str = ""
    models: dict[str, dict[str, str | None]] = field(
        default_factory=lambda: {
            "credit-scoring": {"1.0.0": DIGEST, "1.1.0": DIGEST},
            "readmission-risk": {"2025.06.1": None},
        }
    )
    reasons: dict[tuple[str, str, str], list[dict[str, Any]]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)
    decisions: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_key: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    deployments: list[dict[str, Any]] = field(default_factory=list)
    bundle: dict[str, Any] | None = None  # served as every decision's bundle when set
    attestation_relative: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)

    def posts(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.method == "POST" and r.path == path]

    # --- the contract ---------------------------------------------------------------------------

    def answer(self, seen: Seen) -> tuple[int, dict[str, Any], dict[str, str]]:
        auth = seen.headers.get("authorization")
        if auth not in (f"Bearer {TOKEN}", f"Bearer {READONLY_TOKEN}"):
            return problem(401, "authentication_failed", "Invalid or expired API key.")
        if seen.method == "POST" and auth != f"Bearer {TOKEN}":
            return problem(403, "permission_denied", "This needs the gate:check scope.")
        if seen.method == "POST" and seen.path == "/api/v1/gate/checks":
            return self.gate_check(seen)
        if seen.method == "POST" and seen.path == "/api/v1/deployments":
            return self.deployment(seen)
        match = re.fullmatch(r"/api/v1/gate/decisions/([0-9a-f-]+)", seen.path)
        if seen.method == "GET" and match and match.group(1) in self.decisions:
            document = {**self.decisions[match.group(1)], "bundle": self.bundle or {"mediaType": "none"}}
            return 200, document, {}
        return problem(404, "not_found", f"No resource at {seen.path}.")

    def gate_check(self, seen: Seen) -> tuple[int, dict[str, Any], dict[str, str]]:
        try:
            body = seen.json()
        except ValueError:
            return problem(400, "malformed_request", "JSON parse error.")
        errors: list[tuple[str, str]] = []
        for name in ("model", "version", "environment", "artifact_digest"):
            if not isinstance(body.get(name), str) or not body[name]:
                errors.append((name, "This field is required."))
        names = {name for name, _ in errors}
        if "environment" not in names and body["environment"] not in ENVIRONMENTS:
            errors.append(("environment", f'"{body["environment"]}" is not a valid choice.'))
        if "artifact_digest" not in names and not DIGEST_RE.fullmatch(body["artifact_digest"]):
            errors.append(("artifact_digest", "This value does not match the required pattern."))
        for name, value in (body.get("ci") or {}).items():
            if not isinstance(value, str):  # the service's CI fields are optional strings, never null
                errors.append((f"ci.{name}", "This field may not be null."))
        if errors:
            detail = "Invalid value for: " + ", ".join(sorted({name for name, _ in errors})) + "."
            return problem(422, "validation_error", detail, errors)
        versions = self.models.get(body["model"])
        if versions is None or body["version"] not in versions:
            detail = f"No model {body['model']!r} version {body['version']!r} visible to you."
            return problem(404, "not_found", detail, [("version", detail)])
        key = seen.headers.get("idempotency-key", "")
        with self.lock:
            if key in self.by_key:
                previous_body, decision_id = self.by_key[key]
                if previous_body != seen.body:
                    detail = "This Idempotency-Key was used with a different request; use a new key."
                    return problem(422, "idempotency_key_reused", detail, [("Idempotency-Key", detail)])
                return 200, self.decisions[decision_id], {}
            reasons = list(self.reasons.get((body["model"], body["version"], body["environment"]), []))
            expected_digest = versions[body["version"]]
            if expected_digest is not None and body["artifact_digest"] != expected_digest:
                reasons.append(
                    {
                        "code": "artifact_digest_mismatch",
                        "message": "The artifact is not the one that was approved.",
                        "policy": None,
                        "expected": expected_digest,
                        "actual": body["artifact_digest"],
                    }
                )
            failed_checks = {CHECK_OF.get(r.get("code", ""), "") for r in reasons}
            decision_id = str(uuid.uuid4())
            attestation = f"/api/v1/gate/decisions/{decision_id}"
            document = {
                "decision": "fail" if reasons else "pass",
                "reasons": reasons,
                "decision_id": decision_id,
                "evaluated_at": dt.datetime.now(dt.UTC).isoformat(),
                "policy_version": 3,
                "approval_id": None if reasons else 41,
                "attestation_url": attestation if self.attestation_relative else self.base_url + attestation,
                "audit_entry": str(uuid.uuid4()),
                "model": body["model"],
                "version": body["version"],
                "environment": body["environment"],
                "artifact_digest": body["artifact_digest"],
                "ci": body.get("ci") or {},
                "passed_checks": [c for c in CHECKS if c not in failed_checks],
                "requested_by": "key:1",
            }
            self.decisions[decision_id] = document
            self.by_key[key] = (seen.body, decision_id)
        return 200, document, {}

    def deployment(self, seen: Seen) -> tuple[int, dict[str, Any], dict[str, str]]:
        body = seen.json()
        fields = ("model", "version", "environment", "artifact_digest", "decision_id")
        errors = [(name, "This field is required.") for name in fields if not body.get(name)]
        if body.get("status") not in ("deployed", "undeployed"):
            errors.append(("status", f'"{body.get("status")}" is not a valid choice.'))
        if errors:
            return problem(422, "validation_error", "Invalid value for: status.", errors)
        versions = self.models.get(body["model"])
        if versions is None or body["version"] not in versions:
            detail = f"No model {body['model']!r} version {body['version']!r} visible to you."
            return problem(404, "not_found", detail, [("version", detail)])
        decision = self.decisions.get(body["decision_id"])
        if decision is None or decision["model"] != body["model"] or decision["version"] != body["version"]:
            detail = f"No gate decision {body['decision_id']} for {body['model']} {body['version']}."
            return problem(404, "not_found", detail, [("decision_id", detail)])
        problems = []
        if decision["decision"] != "pass":
            problems.append("the decision is a fail")
        if decision["artifact_digest"] != body["artifact_digest"]:
            problems.append("it was for another artifact digest")
        if decision["environment"] != body["environment"]:
            problems.append(f"it was for {decision['environment']}, not {body['environment']}")
        if problems and body["status"] == "deployed":
            because = "; ".join(problems)
            detail = f"Gate decision {decision['decision_id']} does not allow this deployment: {because}."
            return problem(409, "no_passing_decision", detail, [("decision_id", detail)])
        with self.lock:
            record = {
                "id": len(self.deployments) + 1,
                **{name: body[name] for name in fields},
                "status": body["status"],
                "recorded_at": dt.datetime.now(dt.UTC).isoformat(),
            }
            self.deployments.append(record)
        return 201, record, {}


TITLES = {401: "Authentication required", 403: "Permission denied", 404: "Not found", 409: "Conflict"}


def problem(
    status: int, code: str, detail: str, errors: list[tuple[str, str]] | None = None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """A problem document shaped as the service's (``governance.core.api.problems``)."""
    document = {
        "type": f"urn:modelops-governance:problem:{code}",
        "title": TITLES.get(status, "Validation failed" if status == 422 else "Error"),
        "status": status,
        "detail": detail,
        "errors": [{"field": name, "message": message, "code": code} for name, message in errors or []],
    }
    return status, document, {"Content-Type": "application/problem+json"}


@contextlib.contextmanager
def serve_gate(state: GateStandIn | None = None) -> Iterator[GateStandIn]:
    """Run the stand-in on a free loopback port for the duration of the ``with`` block."""
    stand_in = state or GateStandIn()

    class Handler(BaseHTTPRequestHandler):
        def handle_any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(
                method=self.command,
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            with stand_in.lock:
                stand_in.requests.append(seen)
                fault = stand_in.faults.pop(0) if stand_in.faults else None
            if fault is not None:
                time.sleep(fault.delay)
                if fault.drop:
                    self.close_connection = True
                    return
                if fault.status is not None:
                    headers = dict(fault.headers)
                    if fault.retry_after is not None:
                        headers["Retry-After"] = fault.retry_after
                    body = fault.body
                    if body is None:
                        body = json.dumps(
                            problem(fault.status, "service_unavailable", "Retry shortly.")[1]
                        ).encode()
                    self.send(fault.status, body, {"Content-Type": fault.content_type, **headers})
                    return
            status, document, headers = stand_in.answer(seen)
            self.send(status, json.dumps(document).encode(), {"Content-Type": "application/json", **headers})

        def send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = handle_any

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stand_in.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def gate_env(stand_in: GateStandIn, token: str | None = TOKEN, **extra: str) -> dict[str, str]:
    """A CI job's environment pointing govctl at the stand-in (``token=None``: no key set)."""
    from tests.govctl.helpers import cli_env

    env = cli_env(GOVERNANCE_URL=stand_in.base_url, **extra)
    if token is not None:
        env["GOVERNANCE_API_KEY"] = token
    return env


def check_args(
    model: str = "credit-scoring", version: str = "1.0.0", env: str = "prod", digest: str = DIGEST
) -> list[str]:
    return ["gate", "check", "--model", model, "--version", version, "--env", env, "--digest", digest]
