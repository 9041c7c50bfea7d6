"""The one registry of scopes and roles (Saleor ``permission/enums.py`` style).

A *scope* is a capability the API checks (``inventory:write``). A *role* is a Django group that a
person holds; it grants scopes and says whether its holder sees every team or only their own.
API keys carry scopes directly and are always bound to one team.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    """Capabilities checked by the API's permission classes."""

    INVENTORY_READ = "inventory:read"
    INVENTORY_WRITE = "inventory:write"
    FAIRNESS_READ = "fairness:read"
    FAIRNESS_WRITE = "fairness:write"
    LINEAGE_WRITE = "lineage:write"
    APPROVALS_SUBMIT = "approvals:submit"
    APPROVALS_DECIDE = "approvals:decide"
    GATE_CHECK = "gate:check"
    REPORTS_READ = "reports:read"
    REPORTS_WRITE = "reports:write"
    AUDIT_READ = "audit:read"
    TEAMS_ADMIN = "teams:admin"
    KEYS_ADMIN = "keys:admin"


READ_SCOPES = frozenset({Scope.INVENTORY_READ, Scope.FAIRNESS_READ, Scope.REPORTS_READ})

# Machines never decide approvals (four-eyes needs two accountable people) and never administer
# teams or keys (a leaked CI key must not be able to mint more keys).
MACHINE_SCOPES = frozenset(Scope) - {Scope.APPROVALS_DECIDE, Scope.TEAMS_ADMIN, Scope.KEYS_ADMIN}


class Role(StrEnum):
    """Roles people hold; each is a Django auth group of the same name."""

    SUBMITTER = "submitter"
    MODEL_RISK_REVIEWER = "model_risk_reviewer"
    PRIVACY_OFFICER = "privacy_officer"
    SECURITY_REVIEWER = "security_reviewer"
    CLINICAL_SAFETY_REVIEWER = "clinical_safety_reviewer"
    AUDITOR = "auditor"
    ADMIN = "admin"


@dataclass(frozen=True)
class RoleSpec:
    """What a role grants: scopes, and whether they apply beyond the holder's own teams."""

    label: str
    scopes: frozenset[Scope]
    read_all_teams: bool = False
    write_all_teams: bool = False
    is_reviewer: bool = False


# The audit log spans every team, so reading it is for roles that see every team anyway; a
# submitter sees its own team's history through the objects, not the whole log.
_REVIEWER_SCOPES = READ_SCOPES | {Scope.APPROVALS_DECIDE, Scope.AUDIT_READ}

ROLES: dict[Role, RoleSpec] = {
    Role.SUBMITTER: RoleSpec(
        "Submitter (data scientist / ML engineer)",
        READ_SCOPES
        | {
            Scope.INVENTORY_WRITE,
            Scope.FAIRNESS_WRITE,
            Scope.LINEAGE_WRITE,
            Scope.APPROVALS_SUBMIT,
            Scope.REPORTS_WRITE,
            Scope.GATE_CHECK,
        },
    ),
    Role.MODEL_RISK_REVIEWER: RoleSpec(
        "Model risk reviewer", _REVIEWER_SCOPES, read_all_teams=True, is_reviewer=True
    ),
    Role.PRIVACY_OFFICER: RoleSpec(
        "Privacy officer / DPO", _REVIEWER_SCOPES, read_all_teams=True, is_reviewer=True
    ),
    Role.SECURITY_REVIEWER: RoleSpec(
        "Security reviewer", _REVIEWER_SCOPES, read_all_teams=True, is_reviewer=True
    ),
    Role.CLINICAL_SAFETY_REVIEWER: RoleSpec(
        "Clinical safety reviewer", _REVIEWER_SCOPES, read_all_teams=True, is_reviewer=True
    ),
    Role.AUDITOR: RoleSpec("Auditor (read-only)", READ_SCOPES | {Scope.AUDIT_READ}, read_all_teams=True),
    Role.ADMIN: RoleSpec("Administrator", frozenset(Scope), read_all_teams=True, write_all_teams=True),
}

# Django model permissions each role's group gets, so the admin shows the same picture as the API:
# "view" for readers, "add"/"change" where the role writes. Deletion is never granted: records of
# a system of record are retired, not deleted.
INVENTORY_MODELS = (
    "inventory.registeredmodel",
    "inventory.modelversion",
    "inventory.modelcard",
    "inventory.dataset",
    "inventory.datasetversion",
    "inventory.modelversiondataset",
)
# Fairness checks and bias reports are written by workers only: every role just views them.
FAIRNESS_MODELS = ("fairness.fairnesscheck", "fairness.biasreport")
# Approval records are written by the services only; policies are revised by administrators.
APPROVAL_MODELS = ("approvals.approvalpolicy", "approvals.approvalrequest", "approvals.approvaldecision")
# Gate verdicts and deployments are written by the gate's services only.
GATE_MODELS = ("gate.gatedecision", "gate.deployment")
# The evidence layer spans every team: for the roles that read every team.
EVIDENCE_MODELS = ("audit.auditevent", "audit.attestation", "audit.checkpoint", "audit.logverificationrun")
_VIEW_ALL: dict[str, tuple[str, ...]] = dict.fromkeys(
    (*INVENTORY_MODELS, *FAIRNESS_MODELS, *APPROVAL_MODELS, *GATE_MODELS, *EVIDENCE_MODELS, "accounts.team"),
    ("view",),
)

ADMIN_MODEL_PERMISSIONS: dict[Role, dict[str, tuple[str, ...]]] = {
    Role.SUBMITTER: dict.fromkeys(INVENTORY_MODELS, ("view", "add", "change"))
    | dict.fromkeys((*FAIRNESS_MODELS, *APPROVAL_MODELS, *GATE_MODELS, "accounts.team"), ("view",)),
    Role.MODEL_RISK_REVIEWER: _VIEW_ALL,
    Role.PRIVACY_OFFICER: _VIEW_ALL,
    Role.SECURITY_REVIEWER: _VIEW_ALL,
    Role.CLINICAL_SAFETY_REVIEWER: _VIEW_ALL,
    Role.AUDITOR: _VIEW_ALL,
    Role.ADMIN: _VIEW_ALL
    | dict.fromkeys(
        (
            *INVENTORY_MODELS,
            "accounts.team",
            "accounts.membership",
            "accounts.apikey",
            "approvals.approvalpolicy",
            "notifications.webhook",
        ),
        ("view", "add", "change"),
    )
    | {"notifications.webhookdelivery": ("view",)},
}
