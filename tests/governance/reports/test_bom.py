"""The ML-BOM export: a CycloneDX 1.6 document the library's strict validator accepts (the oracle)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from django.utils import timezone

from governance.fairness.engine import AnalysisOptions, BootstrapConfig, analyze, build_count_table
from governance.fairness.engine.policy import evaluate_policy
from governance.fairness.models import BiasReport, FairnessCheck
from governance.inventory.models import ModelVersion, ModelVersionDataset
from governance.inventory.services import model_card_create
from governance.reports.bom_document import (
    BomInvalidError,
    BomRecords,
    bom_document,
    bom_validate,
)
from tests.factories import DatasetVersionFactory, ModelVersionFactory, RegisteredModelFactory
from tests.governance.approvals.conftest import CARD, add_bias_report, as_principal
from tests.governance.gate.conftest import hashed_version

pytestmark = pytest.mark.django_db

RICH_CARD = CARD | {
    "model_parameters": {
        "model_architecture": "Gradient-boosted trees",
        "input_format": "tabular",
        "input_format_map": [{"key": "income", "value": "float, EUR per year"}],
        "output_format": "probability of default",
    },
    "quantitative_analysis": {
        "performance_metrics": [
            {
                "type": "auc",
                "value": "0.78",
                "slice": "all",
                "confidence_interval": {"lower_bound": "0.76", "upper_bound": "0.80"},
            }
        ]
    },
    "considerations": {
        "users": [{"description": "Credit officers"}],
        "use_cases": [{"description": "Pre-screening consumer loans"}],
        "limitations": [{"description": "Thin credit files"}],
        "ethical_considerations": [
            {"name": "Proxy discrimination", "mitigation_strategy": "Quarterly audit"}
        ],
    },
    "hf_metadata": {"pipeline_tag": "tabular-classification"},
}


def validate(text: str) -> None:
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, error


def engine_report(mv: ModelVersion) -> BiasReport:
    """A real report: the engine on biased predictions, with bootstrap intervals; four-fifths fails."""
    rng = np.random.default_rng(7)
    n = 600
    sex = rng.choice(["F", "M"], n)
    y_true = rng.integers(0, 2, n)
    y_pred = np.where(sex == "F", rng.random(n) < 0.25, rng.random(n) < 0.6).astype(int)
    table = build_count_table(y_true=y_true, y_pred=y_pred, sensitive_features={"sex": sex})
    data = analyze(table, AnalysisOptions(bootstrap=BootstrapConfig(replicates=50, seed=1))).to_dict()
    policy = evaluate_policy(data)
    check = FairnessCheck.objects.create(
        model_version=mv, config={}, input_path="/dev/null", input_format="csv", requested_by="test"
    )
    return BiasReport.objects.create(
        fairness_check=check,
        model_version=mv,
        config={},
        counts={},
        report=data,
        policy=[],
        policy_result=policy.to_dict(),
        passed=policy.passed,
        input_sha256="a" * 64,
        rows=n,
        created_at=timezone.now(),
    )


@pytest.fixture
def version(make_user: Any, team_a: Any, tmp_path: Path) -> tuple[ModelVersion, Any]:
    """A demo-like version: hashed artifact, two dataset versions, a full card, a real bias report."""
    producer = make_user("submitter", teams=(team_a,), username="producer")
    model = RegisteredModelFactory(team=team_a, name="credit-scoring", risk_tier="high")
    mv = hashed_version(model, "1.0.0", tmp_path / "v1", producer)
    model_card_create(actor=as_principal(producer), model_version=mv, **RICH_CARD)
    train = DatasetVersionFactory(dataset__team=team_a, dataset__name="loans")
    holdout = DatasetVersionFactory(dataset__team=team_a, dataset__name="loans-holdout")
    ModelVersionDataset.objects.create(model_version=mv, dataset_version=train, usage="training")
    ModelVersionDataset.objects.create(model_version=mv, dataset_version=holdout, usage="evaluation")
    ModelVersionDataset.objects.create(model_version=mv, dataset_version=holdout, usage="validation")
    engine_report(mv)
    return mv, producer


def model_of(bom: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in bom["components"] if c["type"] == "machine-learning-model")


def get_bom(client: Any, mv: ModelVersion) -> Any:
    return client.get(f"/api/v1/model-versions/{mv.pk}/bom")


def test_bom_is_valid_cyclonedx_with_the_model_card(version: Any, client_for: Any) -> None:
    mv, producer = version
    response = get_bom(client_for(producer), mv)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.cyclonedx+json; version=1.6"
    text = response.content.decode()
    validate(text)  # the oracle
    bom = json.loads(text)
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
    assert bom["metadata"]["timestamp"]
    assert any(t["name"] == "modelops-governance" for t in bom["metadata"]["tools"]["components"])

    model = model_of(bom)
    assert (model["name"], model["version"]) == ("credit-scoring", "1.0.0")
    assert model["hashes"] == [{"alg": "SHA-256", "content": mv.artifact_digest.removeprefix("sha256:")}]
    assert model["externalReferences"][0]["url"] == mv.artifact_uri

    data = {c["bom-ref"]: c for c in bom["components"] if c["type"] == "data"}
    assert len(data) == 2  # one component per dataset version, however many usages
    for link in mv.dataset_links.all():
        component = data[f"dataset-version:{link.dataset_version_id}"]
        assert component["hashes"][0]["content"] == link.dataset_version.digest.removeprefix("sha256:")
    card = model["modelCard"]
    params = card["modelParameters"]
    assert sorted(d["ref"] for d in params["datasets"]) == sorted(data)
    assert params["modelArchitecture"] == "Gradient-boosted trees"
    assert params["task"] == "tabular-classification"
    assert {"format": "income: float, EUR per year"} in params["inputs"]

    metrics = card["quantitativeAnalysis"]["performanceMetrics"]
    auc = next(m for m in metrics if m["type"] == "auc")
    assert auc["confidenceInterval"] == {"lowerBound": "0.76", "upperBound": "0.80"}
    report = mv.bias_reports.order_by("-created_at").first()
    assert report is not None
    dpd = next(
        m for m in metrics if m["type"] == "demographic_parity_difference" and m["slice"].startswith("sex")
    )
    sex = report.report["attributes"]["sex"]["fairness_metrics"]
    assert float(dpd["value"]) == sex["demographic_parity_difference"]
    ci = sex["ci"]["demographic_parity_difference"]
    assert dpd["confidenceInterval"] == {"lowerBound": repr(ci["lower"]), "upperBound": repr(ci["upper"])}
    assert any(m["type"] == "selection_rate" and m["slice"] == "sex: sex=F" for m in metrics)

    considerations = card["considerations"]
    assert considerations["users"] == ["Credit officers"]
    assert considerations["useCases"] == ["Pre-screening consumer loans"]
    assert considerations["technicalLimitations"] == ["Thin credit files"]
    assert considerations["ethicalConsiderations"] == [
        {"name": "Proxy discrimination", "mitigationStrategy": "Quarterly audit"}
    ]
    assert not report.passed
    assessment = next(a for a in considerations["fairnessAssessments"] if a["groupAtRisk"] == "sex=F")
    assert "four_fifths_rule" in assessment["harms"]
    properties = {p["name"]: p["value"] for p in card["properties"]}
    assert properties["modelops-governance:bias-report:passed"] == "false"
    assert properties["modelops-governance:bias-report:interval-confidence"] == "0.95"


def test_version_without_card_or_report_still_valid(make_user: Any, team_a: Any, client_for: Any) -> None:
    user = make_user("submitter", teams=(team_a,))
    mv = ModelVersionFactory(model__team=team_a, artifact_digest="")
    response = client_for(user).get(f"/api/v1/model-versions/{mv.pk}/bom/")
    assert response.status_code == 200
    validate(response.content.decode())
    model = json.loads(response.content)["components"][0]
    assert model["type"] == "machine-learning-model"
    assert "hashes" not in model  # not hashed yet: nothing invented
    assert "modelCard" not in model


def test_an_empty_bias_report_adds_no_metrics(version: Any, client_for: Any) -> None:
    mv, producer = version
    BiasReport.objects.filter(model_version=mv).update(created_at=timezone.now() - dt.timedelta(days=2))
    add_bias_report(mv, age_days=0)  # newest, with an empty report
    response = get_bom(client_for(producer), mv)
    validate(response.content.decode())
    card = model_of(json.loads(response.content))["modelCard"]
    assert [m["type"] for m in card["quantitativeAnalysis"]["performanceMetrics"]] == ["auc"]
    assert "fairnessAssessments" not in card["considerations"]


def test_other_team_gets_404(version: Any, make_user: Any, team_b: Any, client_for: Any) -> None:
    mv, _ = version
    outsider = make_user("submitter", teams=(team_b,))
    assert get_bom(client_for(outsider), mv).status_code == 404


def test_needs_inventory_read_scope(version: Any, key_client: Any, team_a: Any) -> None:
    mv, _ = version
    assert get_bom(key_client(team_a, ["gate:check"]), mv).status_code == 403
    assert get_bom(key_client(team_a, ["inventory:read"], name="reader"), mv).status_code == 200


def test_an_invalid_document_is_refused() -> None:
    records = BomRecords(
        key="1",
        model_name="m",
        version="1",
        artifact_uri="s3://bucket/m",
        artifact_digest="",
        generated_at=timezone.now(),
        tool_version="0",
    )
    document = bom_document(records)
    document["components"][0]["modelCard"] = {"modelParameters": {"approach": {"type": "guesswork"}}}
    with pytest.raises(BomInvalidError, match=r"CycloneDX 1\.6"):
        bom_validate(document)


def test_uris_outside_iri_are_percent_encoded() -> None:
    """Schemathesis found it: a stored URI with private-use characters is no 1.6 ``iri-reference``."""
    records = BomRecords(
        key="1",
        model_name="m",
        version="1",
        artifact_uri="models:/\U0010680e\u00f9 x",
        artifact_digest="sha256:" + "0" * 64,
        generated_at=timezone.now(),
        tool_version="0",
    )
    document = bom_document(records)  # validated inside; raises if not
    assert document["components"][0]["externalReferences"][0]["url"] == "models:/%F4%86%A0%8E%C3%B9%20x"
