"""Reading a ``deployment_protection_rule`` webhook body into what the gate needs.

Pure: no Django imports. Field names are GitHub's (docs: "Webhook events and payloads",
``deployment_protection_rule``): ``environment``, ``event``, ``sha``, ``ref``, ``deployment_callback_url``,
``deployment`` (its ``payload`` is "object or string"), ``repository``, ``installation``, ``sender``. The
workflow run's id is the ``runs/<id>`` segment of the callback URL.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

PAYLOAD_KEYS = ("model", "version", "artifact_digest")
"""The keys of a deployment's payload that name the gate's subject."""
_RUN_ID = re.compile(r"/actions/runs/([0-9]{1,20})/deployment_protection_rule$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


class PayloadError(ValueError):
    """A body that is not a deployment protection rule request we can answer."""


@dataclass(frozen=True)
class Subject:
    """One artifact the gate evaluates: a model version and the digest about to be deployed."""

    model: str
    version: str
    artifact_digest: str

    def to_dict(self) -> dict[str, str]:
        return {"model": self.model, "version": self.version, "artifact_digest": self.artifact_digest}

    @property
    def label(self) -> str:
        return f"{self.model} {self.version}"


@dataclass(frozen=True)
class ProtectionRequest:
    """The parts of a request that the verdict, the answer and the log need."""

    installation_id: int
    github_environment: str
    callback_url: str
    repository: str = ""
    repository_id: int | None = None
    repository_html_url: str = ""
    run_id: int | None = None
    sha: str = ""
    event: str = ""
    deployment_id: int | None = None
    deployment_payload: Any = None
    sender: str = ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63 else None


def installation_id_of(body: Any) -> int | None:
    """``installation.id`` of a webhook body, if it has one."""
    return _id(_dict(_dict(body).get("installation")).get("id"))


def protection_request_parse(body: Any) -> ProtectionRequest:
    """The request in a ``deployment_protection_rule``/``requested`` body (raises ``PayloadError``)."""
    body = _dict(body)
    installation_id = installation_id_of(body)
    environment = body.get("environment")
    callback_url = body.get("deployment_callback_url")
    if installation_id is None:
        raise PayloadError("The body names no installation.id.")
    if not isinstance(environment, str) or not 0 < len(environment) <= 255:
        raise PayloadError("The body names no environment.")
    if not isinstance(callback_url, str) or not 0 < len(callback_url) <= 1000:
        raise PayloadError("The body has no deployment_callback_url.")
    repository = _dict(body.get("repository"))
    deployment = _dict(body.get("deployment"))
    run = _RUN_ID.search(callback_url.split("?", 1)[0])
    return ProtectionRequest(
        installation_id=installation_id,
        github_environment=environment,
        callback_url=callback_url,
        repository=_text(repository.get("full_name"), 300),
        repository_id=_id(repository.get("id")),
        repository_html_url=_text(repository.get("html_url"), 500),
        run_id=int(run.group(1)) if run else None,
        sha=_text(body.get("sha"), 64) or _text(deployment.get("sha"), 64),
        event=_text(body.get("event"), 50),
        deployment_id=_id(deployment.get("id")),
        deployment_payload=deployment.get("payload"),
        sender=_text(_dict(body.get("sender")).get("login"), 100),
    )


def _payload_object(value: Any) -> dict[str, Any]:
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return _dict(value)


def subject_from_deployment_payload(value: Any) -> tuple[Subject | None, str]:
    """The subject a deployment's payload names, or why it cannot be used.

    ``(None, "")`` when the payload carries none of ``model``, ``version``, ``artifact_digest`` (look
    elsewhere); ``(None, problem)`` when it carries some but not all of them, or malformed ones.
    """
    payload = _payload_object(value)
    if not any(key in payload for key in PAYLOAD_KEYS):
        return None, ""
    problems = []
    model, version, digest = (payload.get(key) for key in PAYLOAD_KEYS)
    for key, text in (("model", model), ("version", version)):
        if not isinstance(text, str) or not 0 < len(text.strip()) <= 100 or not text.isprintable():
            problems.append(f"{key} must be 1-100 printable characters")
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        problems.append("artifact_digest must be sha256:<64 lowercase hex>")
    if problems:
        return None, "The deployment payload's " + "; ".join(problems) + "."
    assert isinstance(model, str) and isinstance(version, str) and isinstance(digest, str)
    return Subject(model.strip(), version.strip(), digest), ""
