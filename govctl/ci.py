"""Which CI run is asking: read from the provider's environment, so the audit trail names it.

The gate records the repository, commit, run URL and actor beside its decision. GitHub Actions and
GitLab CI set these in every job (GitHub: "Default environment variables"; GitLab: "Predefined CI/CD
variables"); flags override them, and elsewhere the provider is ``other`` with what the flags give.

The same run identity makes the ``Idempotency-Key``: a POST retried after a network error, or the
same job step run twice in one attempt, gets the decision already made; a *re-run* of the job (a new
GitHub run attempt, a new GitLab job id) asks again, since an approval may have landed meanwhile.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

PROVIDERS: Final = ("github", "gitlab", "other")
KEY_PREFIX: Final = "govctl-"


@dataclass(frozen=True)
class CiContext:
    """The ``ci`` object of a gate check, plus the run identity the idempotency key is derived from."""

    provider: str
    repository: str | None = None
    commit: str | None = None
    run_url: str | None = None
    actor: str | None = None
    run_id: str | None = None
    attempt: str | None = None

    def as_body(self) -> dict[str, str]:
        """The fields known (the API takes each as optional, never null)."""
        fields = {
            "provider": self.provider,
            "repository": self.repository,
            "commit": self.commit,
            "run_url": self.run_url,
            "actor": self.actor,
        }
        return {name: value for name, value in fields.items() if value is not None}


def _get(environ: Mapping[str, str], name: str) -> str | None:
    return environ.get(name, "").strip() or None


def detect(environ: Mapping[str, str]) -> CiContext:
    """The context the environment describes: GitHub Actions, GitLab CI, or ``other``."""
    if environ.get("GITHUB_ACTIONS") == "true":
        server = (_get(environ, "GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
        repository = _get(environ, "GITHUB_REPOSITORY")
        run_id = _get(environ, "GITHUB_RUN_ID")
        run_url = f"{server}/{repository}/actions/runs/{run_id}" if repository and run_id else None
        return CiContext(
            provider="github",
            repository=repository,
            commit=_get(environ, "GITHUB_SHA"),
            run_url=run_url,
            actor=_get(environ, "GITHUB_ACTOR"),
            run_id=run_id,
            attempt=_get(environ, "GITHUB_RUN_ATTEMPT"),
        )
    if environ.get("GITLAB_CI") == "true":
        return CiContext(
            provider="gitlab",
            repository=_get(environ, "CI_PROJECT_PATH"),
            commit=_get(environ, "CI_COMMIT_SHA"),
            run_url=_get(environ, "CI_JOB_URL"),
            actor=_get(environ, "GITLAB_USER_LOGIN"),
            run_id=_get(environ, "CI_JOB_ID"),  # a retried GitLab job gets a new id
        )
    return CiContext(provider="other")


def with_overrides(
    context: CiContext,
    *,
    provider: str | None = None,
    repository: str | None = None,
    commit: str | None = None,
    run_url: str | None = None,
    actor: str | None = None,
) -> CiContext:
    """``context`` with whatever the ``--ci-*`` flags set."""
    return CiContext(
        provider=provider or context.provider,
        repository=repository or context.repository,
        commit=commit or context.commit,
        run_url=run_url or context.run_url,
        actor=actor or context.actor,
        run_id=context.run_id,
        attempt=context.attempt,
    )


def idempotency_key(context: CiContext, purpose: str, *fields: str) -> str:
    """Deterministic inside one CI run attempt; random (but fixed for this process) outside CI."""
    if context.run_id is None:
        return KEY_PREFIX + uuid.uuid4().hex
    material = "\n".join(
        [
            f"govctl/{purpose}/v1",
            context.provider,
            context.repository or "",
            context.run_id,
            context.attempt or "1",
            *fields,
        ]
    )
    return KEY_PREFIX + hashlib.sha256(material.encode()).hexdigest()
