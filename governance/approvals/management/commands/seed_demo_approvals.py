"""``manage.py seed_demo_approvals``: the demo's approval history, in every state. Run by ``seed_demo``.

Everything goes through the approval services as the demo's people, so the history is what the
product would have recorded: four-eyes checked, evidence hashed, decisions signed, all audited.

- credit-scoring 1.0.0: submitted by alice, approved by rita (model risk) and pavel (privacy);
- credit-scoring 1.1.1: submitted by alice, rejected by rita with her reason;
- readmission-risk 2025.06.1 (PHI): pavel asked for changes, carlos revised the card and re-submitted,
  clara approved as clinical safety reviewer; it waits for rita and pavel;
- bed-occupancy-forecast 2025.07.0: under its own pilot policy (the admin's, valid 0 days), approved by
  rita and lapsed by the expiry pass: expired.

Idempotent: a version that already has an approval request is left as it is.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from governance.accounts.principal import Principal, principal_for_user
from governance.approvals.choices import Decision
from governance.approvals.expiry import approvals_expire_due
from governance.approvals.models import ApprovalPolicy, ApprovalRequest
from governance.approvals.policies import approval_policy_create_override
from governance.approvals.services import approval_decide, approval_request_submit
from governance.inventory.models import ModelCard, ModelVersion
from governance.inventory.services import model_card_create

PEOPLE = ("admin", "alice", "carlos", "rita", "pavel", "clara")
PILOT_REASON = (
    "Pilot: bed-occupancy-forecast runs as a supervised staffing pilot; each approval covers one pilot "
    "run only and lapses at once (validity 0 days), so every run is reviewed again."
)


class Command(BaseCommand):
    help = "Demo approvals in every state: approved, rejected, awaiting review, expired (run by seed_demo)."

    people: dict[str, Principal]

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        users = {u.username: u for u in get_user_model().objects.filter(username__in=PEOPLE)}
        missing = sorted(set(PEOPLE) - set(users))
        if missing:
            raise CommandError(f"Demo users missing ({', '.join(missing)}): run seed_demo.")
        self.people = {name: principal_for_user(user) for name, user in users.items()}
        self._approved()
        self._rejected()
        self._awaiting()
        self._expired()

    def _version(self, model: str, version: str) -> ModelVersion | None:
        """The demo version, or None when it already has a review (done before, or started by hand)."""
        mv = ModelVersion.objects.select_related("model").filter(model__name=model, version=version).first()
        if mv is None:
            raise CommandError(f"Demo version {model} {version} missing: run seed_demo.")
        return None if ApprovalRequest.objects.filter(model_version=mv).exists() else mv

    def _decide(self, who: str, request: ApprovalRequest, decision: str, role: str, comment: str) -> None:
        approval_decide(
            actor=self.people[who], request=request, decision=decision, role=role, comment=comment
        )

    def _submit(self, who: str, mv: ModelVersion, comment: str) -> ApprovalRequest:
        return approval_request_submit(
            actor=self.people[who], model_version=mv, environment="prod", comment=comment
        )

    def _approved(self) -> None:
        mv = self._version("credit-scoring", "1.0.0")
        if mv is None:
            return
        request = self._submit(
            "alice",
            mv,
            "1.0.0 for production: AUC 0.781 on the 2024-q4 hold-out; the bias report passes the four-fifths "
            "rule on sex and age band; underwriters keep the final decision.",
        )
        self._decide(
            "rita",
            request,
            Decision.APPROVE,
            "model_risk_reviewer",
            "Validation reviewed: discrimination and calibration are adequate for the intended use, no group "
            "outside the four-fifths band, and a human underwriter decides every application. Approved.",
        )
        self._decide(
            "pavel",
            request,
            Decision.APPROVE,
            "privacy_officer",
            "DPIA-2024-017 covers this processing; ethnicity is held for bias monitoring only (Art. 9(2)(g)) "
            "and is not a model input; 7-year retention matches the lending records policy. Approved.",
        )

    def _rejected(self) -> None:
        mv = self._version("credit-scoring", "1.1.1")
        if mv is None:
            return
        request = self._submit(
            "alice",
            mv,
            "1.1.1 for production: AUC up from 0.781 to 0.806 with two postcode-district aggregates, and the "
            "age gap that failed 1.1.0's bias report is gone.",
        )
        self._decide(
            "rita",
            request,
            Decision.REJECT,
            "model_risk_reviewer",
            "Rejected: the gain comes from postcode-district features, which are a close proxy for ethnicity "
            "in our markets, and neither the card nor the bias report examines that proxy effect (the report "
            "covers sex and age band only). Drop the postcode features, or add a proxy analysis and a bias "
            "check by ethnicity, and register a new version.",
        )

    def _awaiting(self) -> None:
        mv = self._version("readmission-risk", "2025.06.1")
        if mv is None:
            return
        first = self._submit(
            "carlos",
            mv,
            "2025.06.1 for production: flags inpatients for a follow-up call after discharge; AUC 0.72.",
        )
        self._decide(
            "pavel",
            first,
            Decision.REQUEST_CHANGES,
            "privacy_officer",
            "The card does not say where the risk scores are stored or for how long. Under HIPAA's minimum "
            "necessary standard state both (who can see a score, and when it is deleted), then re-submit.",
        )
        card = ModelCard.objects.filter(model_version=mv).order_by("-revision").first()
        assert card is not None  # seed_demo wrote revision 1
        considerations = dict(card.considerations)
        considerations["limitations"] = [
            *considerations.get("limitations", []),
            {
                "description": "Scores are written only to the discharge follow-up worklist, visible to the "
                "care-transition nurses, and deleted 30 days after discharge."
            },
        ]
        model_card_create(
            actor=self.people["carlos"],
            model_version=mv,
            model_details=card.model_details,
            model_parameters=card.model_parameters,
            quantitative_analysis=card.quantitative_analysis,
            considerations=considerations,
            factors=card.factors,
            caveats=card.caveats,
        )
        second = self._submit(
            "carlos",
            mv,
            f"Re-submitted after request #{first.pk}: card revision 2 states where scores are kept, who sees "
            "them and when they are deleted.",
        )
        self._decide(
            "clara",
            second,
            Decision.APPROVE,
            "clinical_safety_reviewer",
            "Clinical safety: a flag only prompts a follow-up call and no treatment is decided by the model; "
            "not used for paediatric patients; hazard log entry HL-READMIT-03 reviewed. Approved.",
        )

    def _expired(self) -> None:
        mv = self._version("bed-occupancy-forecast", "2025.07.0")
        if mv is None:
            return
        if not ApprovalPolicy.objects.filter(model=mv.model, is_current=True).exists():
            approval_policy_create_override(
                actor=self.people["admin"], model=mv.model, reason=PILOT_REASON, validity_days=0
            )
        request = self._submit(
            "carlos",
            mv,
            "2025.07.0 for the staffing pilot on wards 3 and 4: MAPE 8.4% on June; planners review every "
            "forecast before a rota changes.",
        )
        self._decide(
            "rita",
            request,
            Decision.APPROVE,
            "model_risk_reviewer",
            "Minimal risk: aggregate counts only, no decision about a person, planners stay in control. "
            "Approved for this pilot run only, as the model's pilot policy says.",
        )
        approvals_expire_due()  # the periodic pass, as beat runs it: the pilot approval has run its course
