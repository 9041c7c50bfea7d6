"""The policy matrix, pure: which evidence each rule asks for and what is reported missing."""

from __future__ import annotations

import pytest

from governance.approvals.policy import (
    BiasReportFact,
    DatasetFact,
    EvidenceFacts,
    PolicyRules,
    effective_roles,
    missing_evidence,
    open_roles,
    quorum_reached,
)

HIGH = PolicyRules(
    required_roles={"model_risk_reviewer": 1, "privacy_officer": 1},
    required_roles_when_phi={"clinical_safety_reviewer": 1},
    require_passing_bias_report=True,
    bias_report_max_age_days=90,
)
COMPLETE = EvidenceFacts(
    model_card_complete=True,
    artifact_digest="sha256:" + "a" * 64,
    artifact_attested=True,
    bias_reports=(BiasReportFact(1, passed=True, age_days=3),),
    datasets=(
        DatasetFact("loans v1", contains_personal_data=True, contains_phi=False, dpia_reference="DPIA-7"),
    ),
    owner="Credit Risk Analytics",
)


def _keys(missing: list[str]) -> list[str]:
    return [m.split(":", 1)[0] for m in missing]


def test_complete_evidence_misses_nothing():
    assert missing_evidence(HIGH, COMPLETE) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"model_card_complete": False}, ["model_card"]),
        ({"artifact_digest": ""}, ["artifact_digest"]),
        ({"artifact_attested": False}, ["artifact_attestation"]),
        ({"bias_reports": ()}, ["bias_report"]),
        ({"bias_reports": (BiasReportFact(1, passed=False, age_days=1),)}, ["bias_report"]),
        ({"bias_reports": (BiasReportFact(1, passed=True, age_days=91),)}, ["bias_report"]),
        (
            {"datasets": (DatasetFact("loans v1", True, False, ""), DatasetFact("ref v2", False, False, ""))},
            ["dpia"],
        ),
        ({"owner": " "}, ["owner"]),
        (
            {"model_card_complete": False, "artifact_digest": "", "owner": ""},
            ["model_card", "artifact_digest", "owner"],
        ),
    ],
)
def test_each_missing_item_is_listed(change, expected):
    facts = EvidenceFacts(**{**COMPLETE.__dict__, **change})
    assert _keys(missing_evidence(HIGH, facts)) == expected


def test_a_failing_report_does_not_hide_a_passing_one():
    facts = EvidenceFacts(
        **{**COMPLETE.__dict__, "bias_reports": (BiasReportFact(1, False, 1), BiasReportFact(2, True, 2))}
    )
    assert missing_evidence(HIGH, facts) == []


def test_the_dpia_item_names_the_dataset():
    facts = EvidenceFacts(**{**COMPLETE.__dict__, "datasets": (DatasetFact("loans v1", True, False, ""),)})
    assert "loans v1" in missing_evidence(HIGH, facts)[0]


def test_rules_that_are_off_ask_for_nothing():
    lenient = PolicyRules(
        required_roles={"model_risk_reviewer": 1},
        require_complete_model_card=False,
        require_signed_artifact=False,
        require_dpia_for_personal_data=False,
        require_named_owner=False,
    )
    assert missing_evidence(lenient, EvidenceFacts(False, "", False, owner="")) == []


def test_prohibited_tier_can_never_be_approved():
    prohibited = PolicyRules(required_roles={"model_risk_reviewer": 1}, approvable=False)
    assert _keys(missing_evidence(prohibited, COMPLETE)) == ["approvable"]


def test_phi_adds_the_clinical_safety_role():
    assert effective_roles(HIGH, COMPLETE) == {"model_risk_reviewer": 1, "privacy_officer": 1}
    phi = EvidenceFacts(**{**COMPLETE.__dict__, "datasets": (DatasetFact("ehr", True, True, "DPIA-1"),)})
    assert effective_roles(HIGH, phi) == {
        "model_risk_reviewer": 1,
        "privacy_officer": 1,
        "clinical_safety_reviewer": 1,
    }


def test_quorum_counts_each_role_separately():
    required = {"model_risk_reviewer": 2, "privacy_officer": 1}
    assert not quorum_reached(required, {"model_risk_reviewer": 3})
    assert not quorum_reached(required, {"model_risk_reviewer": 1, "privacy_officer": 1})
    assert quorum_reached(required, {"model_risk_reviewer": 2, "privacy_officer": 1})
    assert open_roles(required, {"model_risk_reviewer": 2}) == ["privacy_officer"]
