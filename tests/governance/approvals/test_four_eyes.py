"""Every four-eyes bypass attempt, through the service and through the API, is refused with its code."""

from __future__ import annotations

import pytest

from governance.accounts.roles import MACHINE_SCOPES
from governance.approvals.models import ApprovalDecision
from governance.approvals.services import approval_decide, approval_request_submit
from governance.core.exceptions import ConflictError, PermissionDeniedError
from tests.governance.approvals.conftest import as_principal

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _submit(cast, user=None):
    return approval_request_submit(
        actor=as_principal(user or cast.submitter),
        model_version=cast.mv,
        environment="prod",
        comment="Please review.",
    )


def _give_reviewer_roles(user, *roles):
    from django.contrib.auth.models import Group

    for role in roles:
        user.groups.add(Group.objects.get(name=role))


# --- the service -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["submitter", "owner", "producer"])
def test_service_refuses_submitter_owner_and_producer_even_with_a_reviewer_role(cast, who):
    person = getattr(cast, who)
    _give_reviewer_roles(person, "model_risk_reviewer")
    request = _submit(cast)
    with pytest.raises(PermissionDeniedError) as exc:
        approval_decide(
            actor=as_principal(person), request=request, decision="approve", comment="Looks fine."
        )
    assert exc.value.code == "four_eyes_violation"
    assert not ApprovalDecision.objects.exists()


def test_service_refuses_an_admin_who_submitted(cast):
    request = _submit(cast, user=cast.admin)
    with pytest.raises(PermissionDeniedError) as exc:
        approval_decide(
            actor=as_principal(cast.admin), request=request, decision="approve", comment="Mine, fine."
        )
    assert exc.value.code == "four_eyes_violation"


def test_an_admin_who_did_not_submit_decides_under_the_same_rules(cast):
    request = _submit(cast)
    decision = approval_decide(
        actor=as_principal(cast.admin), request=request, decision="approve", comment="ok"
    )
    assert decision.role in {"model_risk_reviewer", "privacy_officer"}
    with pytest.raises(PermissionDeniedError) as exc:
        approval_decide(actor=as_principal(cast.admin), request=request, decision="approve", comment="again")
    assert exc.value.code == "four_eyes_violation"


def test_service_refuses_one_person_in_two_roles(cast):
    _give_reviewer_roles(cast.risk, "privacy_officer")
    request = _submit(cast)
    approval_decide(
        actor=as_principal(cast.risk), request=request, decision="approve", comment="Model risk ok."
    )
    with pytest.raises(PermissionDeniedError) as exc:
        approval_decide(
            actor=as_principal(cast.risk),
            request=request,
            decision="approve",
            comment="Privacy ok.",
            role="privacy_officer",
        )
    assert exc.value.code == "four_eyes_violation"
    cast.mv.refresh_from_db()
    assert cast.mv.status == "submitted"


def test_each_required_role_needs_its_own_approver(cast, make_user):
    request = _submit(cast)
    approval_decide(actor=as_principal(cast.risk), request=request, decision="approve", comment="ok")
    second_risk = make_user("model_risk_reviewer", username="rob")
    with pytest.raises(ConflictError) as exc:
        approval_decide(
            actor=as_principal(second_risk), request=request, decision="approve", comment="me too"
        )
    assert exc.value.code == "role_already_filled"
    with pytest.raises(ConflictError) as exc:
        approval_decide(
            actor=as_principal(second_risk),
            request=request,
            decision="approve",
            comment="me too",
            role="model_risk_reviewer",
        )
    assert exc.value.code == "role_already_filled"


def test_a_reviewer_without_a_required_role_cannot_approve(cast, make_user):
    security = make_user("security_reviewer", username="sec")
    request = _submit(cast)
    with pytest.raises(PermissionDeniedError):
        approval_decide(actor=as_principal(security), request=request, decision="approve", comment="ok")


def test_service_refuses_api_keys(cast, key_client, team_a):
    from governance.accounts.principal import principal_for_api_key

    client = key_client(team_a, sorted(s.value for s in MACHINE_SCOPES))
    request = _submit(cast)
    with pytest.raises(PermissionDeniedError) as exc:
        approval_decide(
            actor=principal_for_api_key(client.api_key), request=request, decision="approve", comment="ci"
        )
    assert exc.value.code == "four_eyes_violation"


# --- the API -----------------------------------------------------------------------------------


def _url(cast, action):
    return f"/api/v1/model-versions/{cast.mv.pk}/{action}"


def _api_submit(cast, client_for, user=None):
    response = client_for(user or cast.submitter).post(
        _url(cast, "submit"), {"environment": "prod", "comment": "Please review."}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.parametrize("who", ["submitter", "owner", "producer"])
def test_api_refuses_submitter_owner_and_producer(cast, client_for, who):
    person = getattr(cast, who)
    _give_reviewer_roles(person, "model_risk_reviewer")
    _api_submit(cast, client_for)
    response = client_for(person).post(_url(cast, "approve"), {"comment": "fine"}, format="json")
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"][0]["code"] == "four_eyes_violation"


def test_api_refuses_an_admin_who_submitted(cast, client_for):
    _api_submit(cast, client_for, user=cast.admin)
    response = client_for(cast.admin).post(_url(cast, "approve"), {"comment": "mine"}, format="json")
    assert response.status_code == 403
    assert response.json()["type"].endswith("four_eyes_violation")


def test_api_refuses_one_person_in_two_roles(cast, client_for):
    _give_reviewer_roles(cast.risk, "privacy_officer")
    _api_submit(cast, client_for)
    client = client_for(cast.risk)
    assert client.post(_url(cast, "approve"), {"comment": "risk ok"}, format="json").status_code == 200
    response = client.post(
        _url(cast, "approve"), {"comment": "privacy ok", "role": "privacy_officer"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "four_eyes_violation"


def test_api_refuses_a_second_approver_for_a_filled_role(cast, client_for, make_user):
    _api_submit(cast, client_for)
    assert (
        client_for(cast.risk).post(_url(cast, "approve"), {"comment": "ok"}, format="json").status_code == 200
    )
    other = make_user("model_risk_reviewer", username="rob")
    response = client_for(other).post(_url(cast, "approve"), {"comment": "ok"}, format="json")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "role_already_filled"


def test_api_key_can_submit_but_never_decide(cast, key_client, team_a):
    client = key_client(team_a, sorted(s.value for s in MACHINE_SCOPES))
    response = client.post(_url(cast, "submit"), {"environment": "prod", "comment": "from CI"}, format="json")
    assert response.status_code == 201, response.content
    for action in ("approve", "reject", "request-changes"):
        response = client.post(_url(cast, action), {"comment": "ci says yes"}, format="json")
        assert response.status_code == 403
        assert response["Content-Type"] == PROBLEM
    assert not ApprovalDecision.objects.exists()


def test_api_full_approval_and_lists(cast, client_for):
    body = _api_submit(cast, client_for)
    assert body["status"] == "open"
    pending = client_for(cast.risk).get("/api/v1/approvals/pending")
    assert [r["id"] for r in pending.json()] == [body["id"]]
    assert client_for(cast.submitter).get("/api/v1/approvals/pending").status_code == 403
    client_for(cast.risk).post(_url(cast, "approve"), {"comment": "risk ok"}, format="json")
    response = client_for(cast.privacy).post(_url(cast, "approve"), {"comment": "privacy ok"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert [d["role"] for d in response.json()["decisions"]] == ["model_risk_reviewer", "privacy_officer"]
    listed = client_for(cast.submitter).get("/api/v1/approvals/", {"status": "approved"}).json()
    assert [r["id"] for r in listed["results"]] == [body["id"]]


def test_api_evidence_missing_lists_each_item(cast, client_for):
    from governance.inventory.services import model_card_create
    from tests.factories import ModelVersionFactory
    from tests.governance.approvals.conftest import CARD, add_bias_report

    unsigned = ModelVersionFactory(model=cast.mv.model, version="2.0.0")
    model_card_create(actor=as_principal(cast.producer), model_version=unsigned, **CARD)
    add_bias_report(unsigned)
    response = client_for(cast.submitter).post(
        f"/api/v1/model-versions/{unsigned.pk}/submit",
        {"environment": "prod", "comment": "go"},
        format="json",
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["code"] == "evidence_missing"
    assert error["field"] == "artifact_attestation"


def test_api_stale_request_is_refused(cast, client_for):
    from tests.governance.approvals.conftest import add_bias_report

    _api_submit(cast, client_for)
    add_bias_report(cast.mv, passed=False)
    response = client_for(cast.risk).post(_url(cast, "approve"), {"comment": "ok"}, format="json")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "stale_request"


def test_api_request_changes_and_withdraw(cast, client_for):
    _api_submit(cast, client_for)
    response = client_for(cast.risk).post(
        _url(cast, "request-changes"), {"comment": "More tests."}, format="json"
    )
    assert response.json()["status"] == "changes_requested"
    _api_submit(cast, client_for)
    response = client_for(cast.submitter).post(_url(cast, "withdraw"), {"comment": "Oops."}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    response = client_for(cast.submitter).post(_url(cast, "withdraw"), {"comment": "Again."}, format="json")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "invalid_transition"


def test_other_teams_cannot_see_or_submit(cast, client_for, make_user, team_b):
    outsider = make_user("submitter", teams=(team_b,))
    response = client_for(outsider).post(
        _url(cast, "submit"), {"environment": "prod", "comment": "x"}, format="json"
    )
    assert response.status_code == 404
