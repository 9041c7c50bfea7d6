"""Policy evaluation as pure data: which evidence a policy asks for and what is missing.

No Django imports: the services adapt rows into these dataclasses, so the policy matrix is tested
(and could be re-checked offline) without a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PolicyRules:
    """What one approval-policy version requires."""

    required_roles: Mapping[str, int]
    required_roles_when_phi: Mapping[str, int] = field(default_factory=dict)
    require_complete_model_card: bool = True
    require_signed_artifact: bool = True
    require_passing_bias_report: bool = False
    bias_report_max_age_days: int | None = None
    require_dpia_for_personal_data: bool = True
    require_named_owner: bool = True
    approvable: bool = True


@dataclass(frozen=True)
class BiasReportFact:
    """A bias report of the version: its id, verdict and age in days."""

    report_id: int
    passed: bool
    age_days: float


@dataclass(frozen=True)
class DatasetFact:
    """A training/evaluation dataset version and its privacy classification."""

    label: str
    contains_personal_data: bool
    contains_phi: bool
    dpia_reference: str


@dataclass(frozen=True)
class EvidenceFacts:
    """What is on record for a version, as far as policies care."""

    model_card_complete: bool
    artifact_digest: str
    artifact_attested: bool
    bias_reports: tuple[BiasReportFact, ...] = ()
    datasets: tuple[DatasetFact, ...] = ()
    owner: str = ""


def effective_roles(rules: PolicyRules, facts: EvidenceFacts) -> dict[str, int]:
    """Required roles with their quorum; PHI in any dataset adds the PHI roles (HIPAA review)."""
    roles = {role: int(n) for role, n in rules.required_roles.items() if int(n) > 0}
    if any(d.contains_phi for d in facts.datasets):
        for role, n in rules.required_roles_when_phi.items():
            roles[role] = max(roles.get(role, 0), int(n))
    return roles


@dataclass(frozen=True)
class Requirement:
    """One item of a policy's evidence checklist: what is required and whether the record meets it."""

    key: str
    label: str
    met: bool

    @property
    def missing_text(self) -> str:
        return f"{self.key}: {self.label}"


def evidence_checklist(rules: PolicyRules, facts: EvidenceFacts) -> list[Requirement]:
    """Every requirement ``rules`` make, met or not, in the order reviewers read them."""
    items: list[Requirement] = []
    if not rules.approvable:
        # EU AI Act Art. 5: prohibited practices cannot be placed on the market at all.
        items.append(Requirement("approvable", "the prohibited risk tier cannot be approved", False))
    if rules.require_complete_model_card:
        items.append(
            Requirement(
                "model_card", "a complete model card (all four sections filled)", facts.model_card_complete
            )
        )
    if rules.require_signed_artifact:
        items.append(
            Requirement("artifact_digest", "the artifact's sha256 digest", bool(facts.artifact_digest))
        )
        items.append(
            Requirement(
                "artifact_attestation",
                "a signed attestation of the artifact digest",
                bool(facts.artifact_digest) and facts.artifact_attested,
            )
        )
    if rules.require_passing_bias_report:
        fresh = [
            r
            for r in facts.bias_reports
            if rules.bias_report_max_age_days is None or r.age_days <= rules.bias_report_max_age_days
        ]
        window = (
            f" no older than {rules.bias_report_max_age_days} days"
            if rules.bias_report_max_age_days is not None
            else ""
        )
        items.append(
            Requirement("bias_report", f"a passing bias report{window}", any(r.passed for r in fresh))
        )
    if rules.require_dpia_for_personal_data:
        for d in facts.datasets:
            if d.contains_personal_data:
                items.append(
                    Requirement(
                        "dpia",
                        f"a DPIA reference for dataset {d.label} (personal data, GDPR Art. 35)",
                        bool(d.dpia_reference.strip()),
                    )
                )
    if rules.require_named_owner:
        items.append(Requirement("owner", "a named owner of the model", bool(facts.owner.strip())))
    return items


def missing_evidence(rules: PolicyRules, facts: EvidenceFacts) -> list[str]:
    """Every requirement of ``rules`` that ``facts`` do not meet, as readable items (empty: complete).

    Without a digest there is nothing to attest: only the digest is reported missing then.
    """
    unmet = [r for r in evidence_checklist(rules, facts) if not r.met]
    if any(r.key == "artifact_digest" for r in unmet):
        unmet = [r for r in unmet if r.key != "artifact_attestation"]
    return [r.missing_text for r in unmet]


def quorum_reached(required: Mapping[str, int], approvals_per_role: Mapping[str, int]) -> bool:
    """Every required role has at least its quorum of approvals."""
    return all(approvals_per_role.get(role, 0) >= n for role, n in required.items())


def open_roles(required: Mapping[str, int], approvals_per_role: Mapping[str, int]) -> list[str]:
    """Required roles still short of their quorum, in declaration order."""
    return [role for role, n in required.items() if approvals_per_role.get(role, 0) < n]
