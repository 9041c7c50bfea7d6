"""People and a version whose evidence meets the high-risk policy, ready to be submitted."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from audit.models import Attestation
from audit.pure.evidence.model_artifact import MODEL_SIGNING_PREDICATE_TYPE
from governance.accounts.principal import Principal, principal_for_user
from governance.fairness.models import BiasReport, FairnessCheck
from governance.inventory.models import ModelVersion
from governance.inventory.services import model_card_create
from tests.factories import ModelVersionFactory, RegisteredModelFactory

CARD = {
    "model_details": {
        "name": "credit-scoring",
        "overview": "Estimates 12-month default probability.",
        "owners": [{"name": "Credit Risk Analytics", "contact": "credit-risk@example.org"}],
    },
    "model_parameters": {"model_architecture": "Gradient-boosted trees"},
    "quantitative_analysis": {"performance_metrics": [{"type": "auc", "value": "0.78", "slice": "all"}]},
    "considerations": {"limitations": [{"description": "Thin credit files"}]},
}


def as_principal(user: Any) -> Principal:
    return principal_for_user(user)


def add_bias_report(mv: ModelVersion, *, passed: bool = True, age_days: float = 1) -> BiasReport:
    check = FairnessCheck.objects.create(
        model_version=mv, config={}, input_path="/dev/null", input_format="csv", requested_by="test"
    )
    return BiasReport.objects.create(
        fairness_check=check,
        model_version=mv,
        config={},
        counts={},
        report={},
        policy={},
        policy_result={},
        passed=passed,
        input_sha256="0" * 64,
        rows=100,
        created_at=timezone.now() - dt.timedelta(days=age_days),
    )


def add_artifact_attestation(mv: ModelVersion) -> Attestation:
    return Attestation.objects.create(
        predicate_type=MODEL_SIGNING_PREDICATE_TYPE,
        subject_type="inventory.modelversion",
        subject_id=str(mv.pk),
        subject_digest="1" * 64,
        key_id="test",
        bundle={},
        created_at=timezone.now(),
    )


@dataclass
class Cast:
    """Who is who around one version."""

    mv: ModelVersion
    owner: Any  # created the registered model
    producer: Any  # registered the version (the artifact's producer)
    submitter: Any
    risk: Any  # model_risk_reviewer
    privacy: Any  # privacy_officer
    admin: Any  # superuser, also on the team


@pytest.fixture
def cast(make_user: Any, team_a: Any) -> Cast:
    owner = make_user("submitter", teams=(team_a,), username="owner")
    producer = make_user("submitter", teams=(team_a,), username="producer")
    submitter = make_user("submitter", teams=(team_a,), username="sam")
    risk = make_user("model_risk_reviewer", username="rita")
    privacy = make_user("privacy_officer", username="pia")
    admin = make_user(teams=(team_a,), username="root", is_superuser=True, is_staff=True)
    model = RegisteredModelFactory(
        team=team_a, name="credit-scoring", risk_tier="high", created_by=f"user:{owner.pk}"
    )
    mv = ModelVersionFactory(model=model, version="1.0.0", created_by=f"user:{producer.pk}")
    model_card_create(actor=as_principal(producer), model_version=mv, **CARD)
    add_artifact_attestation(mv)
    add_bias_report(mv)
    return Cast(mv, owner, producer, submitter, risk, privacy, admin)
