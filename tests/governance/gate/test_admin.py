"""Gate records in the admin: decisions with every reason, and the point-in-time deployment view."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from governance.gate.models import Deployment, GateDecision
from tests.governance.gate.conftest import Gate

pytestmark = pytest.mark.django_db


def login(user: Any) -> Client:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    return client


def test_a_reviewer_sees_decisions_with_reasons_and_no_change_button(gate: Gate) -> None:
    gate.check(artifact_digest="sha256:" + "ab" * 32)
    decision = GateDecision.objects.get()
    client = login(gate.people["risk"])
    listing = client.get(reverse("admin:gate_gatedecision_changelist")).content.decode()
    assert "digest_mismatch" in listing and "FAIL" in listing
    page = client.get(reverse("admin:gate_gatedecision_change", args=[decision.pk])).content.decode()
    assert "The artifact to deploy is not the one recorded and approved." in page
    assert 'name="_save"' not in page and "dsseEnvelope" in page


def test_the_point_in_time_view_lists_what_was_deployed(gate: Gate) -> None:
    decision = gate.check().json()["decision_id"]
    gate.ci.post(
        "/api/v1/deployments",
        {
            "model": "credit-scoring",
            "version": "1.0.0",
            "environment": "prod",
            "artifact_digest": gate.mv.artifact_digest,
            "decision_id": decision,
        },
        format="json",
    )
    deployed = Deployment.objects.get()
    client = login(gate.people["risk"])
    url = reverse("admin:gate_deployment_at")
    now = client.get(url, {"environment": "prod"}).content.decode()
    assert "credit-scoring 1.0.0" in now.split('id="deployed-at"')[1]
    before = client.get(url, {"environment": "prod", "at": "2020-01-01 00:00"}).content.decode()
    assert "Nothing was deployed there at that instant." in before
    at = deployed.recorded_at.strftime("%Y-%m-%d %H:%M:%S.%f")
    assert "credit-scoring 1.0.0" in client.get(url, {"environment": "prod", "at": at}).content.decode()
    assert (
        "What was deployed at a given instant"
        in client.get(reverse("admin:gate_deployment_changelist")).content.decode()
    )
