"""The gate's answer as typed values: what was asked, what was decided, or why there is no decision.

The server's document is checked before anything is printed from it: a ``decision`` that is neither
``pass`` nor ``fail`` is not a verdict, and a CI job must not treat it as one (exit 2). Every output
format (text, JSON, GitHub, JUnit, SARIF) renders these same values.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from .api import ApiError

DIGEST: Final = re.compile(r"sha256:[0-9a-f]{64}")
DECISIONS: Final = ("pass", "fail")


@dataclass(frozen=True)
class GateRequest:
    """What CI asks: may this artifact of this model version go to this environment?"""

    model: str
    version: str
    environment: str
    artifact_digest: str

    @property
    def subject(self) -> str:
        return f"{self.model} {self.version}"


@dataclass(frozen=True)
class Reason:
    """One failed check: a stable code, a sentence for people, and what was expected against found."""

    code: str
    message: str
    policy: str | None = None
    expected: Any = None
    actual: Any = None

    def comparison(self) -> str:
        """``expected: X, actual: Y``, or empty when the server gave neither."""
        if self.expected is None and self.actual is None:
            return ""
        return f"expected: {show(self.expected)}, actual: {show(self.actual)}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "policy": self.policy,
            "expected": self.expected,
            "actual": self.actual,
        }


@dataclass(frozen=True)
class Decision:
    """A verdict the server recorded (and audited); ``document`` is its answer as received."""

    decision: str
    reasons: tuple[Reason, ...]
    decision_id: str
    audit_entry: str | None
    attestation_url: str | None
    evaluated_at: str | None
    policy_version: int | None
    document: Mapping[str, Any] = field(repr=False)
    passed_checks: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.decision == "pass"


@dataclass(frozen=True)
class Failure:
    """No verdict: the request was refused or never answered; ``problem`` is the server's document."""

    message: str
    exit_code: int
    problem: Mapping[str, Any] | None = None


Outcome = Decision | Failure


def show(value: Any) -> str:
    """A JSON value for people: strings as they are, ``none`` for null, anything else as JSON."""
    if value is None:
        return "none"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _string(document: Mapping[str, Any], key: str) -> str | None:
    value = document.get(key)
    return str(value) if value is not None and not isinstance(value, dict | list) else None


def _reason(item: Any) -> Reason:
    if not isinstance(item, dict):
        return Reason(code="unknown", message=show(item))
    return Reason(
        code=_string(item, "code") or "unknown",
        message=_string(item, "message") or "",
        policy=_string(item, "policy"),
        expected=item.get("expected"),
        actual=item.get("actual"),
    )


def absolute_url(base: str, link: str | None) -> str | None:
    """``link`` resolved against the service's base URL; only http(s) links are kept."""
    if not link:
        return None
    resolved = urllib.parse.urljoin(base + "/", link)
    return resolved if urllib.parse.urlsplit(resolved).scheme in {"http", "https"} else None


def parse_decision(document: Any, base: str) -> Decision:
    """The verdict in a 200 answer; anything that is not one is an error (exit 2), never a pass."""
    if not isinstance(document, dict):
        raise ApiError("the gate answered 200 without a decision document")
    decision = document.get("decision")
    if decision not in DECISIONS:
        raise ApiError(f"the gate answered 200 with decision {show(decision)!r}, not pass or fail")
    reasons = document.get("reasons") or []
    if not isinstance(reasons, list):
        raise ApiError("the gate's reasons are not a list")
    policy_version = document.get("policy_version")
    passed = document.get("passed_checks")
    return Decision(
        decision=str(decision),
        reasons=tuple(_reason(item) for item in reasons),
        decision_id=_string(document, "decision_id") or "",
        audit_entry=_string(document, "audit_entry"),
        attestation_url=absolute_url(base, _string(document, "attestation_url")),
        evaluated_at=_string(document, "evaluated_at"),
        policy_version=policy_version if isinstance(policy_version, int) else None,
        document=document,
        passed_checks=tuple(str(c) for c in passed) if isinstance(passed, list) else (),
    )
