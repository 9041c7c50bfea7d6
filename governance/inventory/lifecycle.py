"""The model-version lifecycle as data: which status may follow which (pure, no Django imports).

draft -> submitted -> approved | rejected -> deployed -> retired; approved (and deployed) can lapse
to expired when the approval's validity ends; an expired version can be re-submitted.
"""

from __future__ import annotations

DRAFT = "draft"
SUBMITTED = "submitted"
APPROVED = "approved"
REJECTED = "rejected"
DEPLOYED = "deployed"
RETIRED = "retired"
EXPIRED = "expired"

TRANSITIONS: dict[str, frozenset[str]] = {
    DRAFT: frozenset({SUBMITTED, RETIRED}),
    SUBMITTED: frozenset({APPROVED, REJECTED, DRAFT}),  # -> draft is a withdrawal
    APPROVED: frozenset({DEPLOYED, EXPIRED, RETIRED}),
    REJECTED: frozenset({RETIRED}),
    DEPLOYED: frozenset({RETIRED, EXPIRED}),
    EXPIRED: frozenset({SUBMITTED, RETIRED}),
    RETIRED: frozenset(),
}

# Fields approvals rely on; they may change only while a version is a draft.
FROZEN_FIELDS = (
    "version",
    "artifact_uri",
    "artifact_digest",
    "framework",
    "training_run_ref",
    "metrics",
    "model_id",
)


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def is_editable(status: str) -> bool:
    """Only drafts may change; after submission a change means a new version."""
    return status == DRAFT
