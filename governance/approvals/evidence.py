"""The evidence a request is bound to: gathered from the inventory, fairness and audit records.

``evidence_snapshot`` is what the request hashes (so it goes stale when any of it changes);
``evidence_facts`` adapts the same records into the pure policy module's dataclasses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.utils import timezone

from audit.models import Attestation
from audit.pure.canonical import canonical_bytes
from audit.pure.evidence.model_artifact import MODEL_SIGNING_PREDICATE_TYPE
from governance.approvals.models import ApprovalPolicy
from governance.approvals.policy import BiasReportFact, DatasetFact, EvidenceFacts, PolicyRules
from governance.fairness.models import BiasReport
from governance.inventory.models import ModelCard, ModelVersion, ModelVersionDataset

CARD_SECTIONS = ("model_details", "model_parameters", "quantitative_analysis", "considerations")


def policy_rules(policy: ApprovalPolicy) -> PolicyRules:
    return PolicyRules(
        required_roles=dict(policy.required_roles),
        required_roles_when_phi=dict(policy.required_roles_when_phi or {}),
        require_complete_model_card=policy.require_complete_model_card,
        require_signed_artifact=policy.require_signed_artifact,
        require_passing_bias_report=policy.require_passing_bias_report,
        bias_report_max_age_days=policy.bias_report_max_age_days,
        require_dpia_for_personal_data=policy.require_dpia_for_personal_data,
        require_named_owner=policy.require_named_owner,
        approvable=policy.approvable,
    )


def _latest_card(mv: ModelVersion) -> ModelCard | None:
    return ModelCard.objects.filter(model_version=mv).order_by("-revision").first()


def _card_owner(card: ModelCard | None) -> str:
    owners = (card.model_details or {}).get("owners") if card else None
    if not isinstance(owners, list):
        return ""
    names = [str(o.get("name", "")).strip() for o in owners if isinstance(o, dict)]
    return ", ".join(n for n in names if n)


def evidence_snapshot(*, model_version: ModelVersion, policy: ApprovalPolicy) -> dict[str, Any]:
    """What reviewers review: digest, card revision hash, bias verdicts, datasets, policy version."""
    card = _latest_card(model_version)
    card_doc = {s: getattr(card, s) for s in CARD_SECTIONS} if card else None
    attestation_ids = list(
        Attestation.objects.filter(
            subject_type="inventory.modelversion",
            subject_id=str(model_version.pk),
            predicate_type=MODEL_SIGNING_PREDICATE_TYPE,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # Only what the snapshot holds: a report's counts and full results are hundreds of kB of JSON.
    reports = (
        BiasReport.objects.filter(model_version=model_version).order_by("pk").only("passed", "created_at")
    )
    links = (
        ModelVersionDataset.objects.filter(model_version=model_version)
        .select_related("dataset_version__dataset__team")  # the label names the team: no query a dataset
        .order_by("pk")
    )
    return {
        "policy": {"id": policy.pk, "version": policy.version},
        "artifact_digest": model_version.artifact_digest or "",
        "artifact_attestations": attestation_ids,
        "model_card": (
            {
                "id": card.pk,
                "revision": card.revision,
                "sha256": hashlib.sha256(canonical_bytes(card_doc)).hexdigest(),
                "complete": all(bool(v) for v in (card_doc or {}).values()),
            }
            if card
            else None
        ),
        "owner": _card_owner(card),
        "bias_reports": [
            {"id": r.pk, "passed": r.passed, "created_at": r.created_at.isoformat()} for r in reports
        ],
        "datasets": [
            {
                "dataset_version_id": link.dataset_version_id,
                "label": str(link.dataset_version),
                "usage": link.usage,
                "contains_personal_data": link.dataset_version.contains_personal_data,
                "contains_phi": link.dataset_version.contains_phi,
                "special_categories": link.dataset_version.special_categories,
                "dpia_reference": link.dataset_version.dpia_reference,
            }
            for link in links
        ],
    }


def evidence_sha256(snapshot: dict[str, Any]) -> str:
    """sha256 of the snapshot's RFC 8785 canonical JSON."""
    return hashlib.sha256(canonical_bytes(snapshot)).hexdigest()


def evidence_facts(snapshot: dict[str, Any]) -> EvidenceFacts:
    """The snapshot as the pure policy module's facts (ages measured now)."""
    now = timezone.now()
    card = snapshot.get("model_card") or {}
    return EvidenceFacts(
        model_card_complete=bool(card.get("complete")),
        artifact_digest=snapshot["artifact_digest"],
        artifact_attested=bool(snapshot["artifact_attestations"]),
        bias_reports=tuple(
            BiasReportFact(
                report_id=r["id"],
                passed=r["passed"],
                age_days=(now - dt.datetime.fromisoformat(r["created_at"])).total_seconds() / 86400,
            )
            for r in snapshot["bias_reports"]
        ),
        datasets=tuple(
            DatasetFact(
                label=d["label"],
                contains_personal_data=d["contains_personal_data"],
                contains_phi=d["contains_phi"],
                dpia_reference=d["dpia_reference"] or "",
            )
            for d in snapshot["datasets"]
        ),
        owner=snapshot["owner"],
    )
