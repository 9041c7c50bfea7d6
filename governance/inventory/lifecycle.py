"""The model-version lifecycle as data: the one status vocabulary and which status may follow which.

Pure (no Django imports): the model's choices, the transition service, the PostgreSQL trigger and
the filters all read this module, so a status cannot exist in one place and not another.

draft -> submitted -> approved | rejected -> deployed -> retired; approved (and deployed) can lapse
to expired when the approval's validity ends; an expired version can be re-submitted; submitted can
go back to draft (withdrawn, or changes requested).
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Lifecycle states of a model version."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    DEPLOYED = "deployed"
    RETIRED = "retired"
    EXPIRED = "expired"


LABELS: dict[Status, str] = {
    Status.DRAFT: "Draft",
    Status.SUBMITTED: "Submitted for approval",
    Status.APPROVED: "Approved",
    Status.REJECTED: "Rejected",
    Status.DEPLOYED: "Deployed",
    Status.RETIRED: "Retired",
    Status.EXPIRED: "Approval expired",
}

# (value, label) pairs for Django fields and filters.
CHOICES: list[tuple[str, str]] = [(s.value, LABELS[s]) for s in Status]

DRAFT, SUBMITTED, APPROVED, REJECTED, DEPLOYED, RETIRED, EXPIRED = (
    Status.DRAFT,
    Status.SUBMITTED,
    Status.APPROVED,
    Status.REJECTED,
    Status.DEPLOYED,
    Status.RETIRED,
    Status.EXPIRED,
)

TRANSITIONS: dict[str, frozenset[str]] = {
    DRAFT: frozenset({SUBMITTED, RETIRED}),
    SUBMITTED: frozenset({APPROVED, REJECTED, DRAFT}),  # -> draft is a withdrawal or changes requested
    APPROVED: frozenset({DEPLOYED, EXPIRED, RETIRED}),
    REJECTED: frozenset({RETIRED}),
    DEPLOYED: frozenset({RETIRED, EXPIRED}),
    EXPIRED: frozenset({SUBMITTED, RETIRED}),
    RETIRED: frozenset(),
}

# Fields approvals rely on; they may change only while a version is a draft. Django field names;
# ``FROZEN_COLUMNS`` are the same as database columns (for the PostgreSQL trigger).
FROZEN_FIELDS = (
    "version",
    "artifact_uri",
    "artifact_digest",
    "framework",
    "training_run_ref",
    "metrics",
    "model_id",
)
FROZEN_COLUMNS = FROZEN_FIELDS


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def is_editable(status: str) -> bool:
    """Only drafts may change; after submission a change means a new version."""
    return status == DRAFT


def transition_pairs() -> list[tuple[str, str]]:
    """Every legal (from, to) pair, sorted: what the database trigger allows."""
    return sorted((src, dst) for src, targets in TRANSITIONS.items() for dst in targets)
