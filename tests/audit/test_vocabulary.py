"""The audit vocabulary: every action declared once with its payload shape; nothing else is recorded."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from audit.models import AuditEvent
from audit.services import audit_append
from audit.vocabulary import ActionRegistry, PayloadShapeError, UndeclaredActionError, registry
from governance.accounts.principal import cli_principal
from governance.inventory import events as inventory_events

ROOT = Path(__file__).resolve().parents[2]
ACTOR = cli_principal("test")


@pytest.mark.django_db
def test_undeclared_action_is_refused_and_nothing_is_written():
    before = AuditEvent.objects.count()
    with pytest.raises(UndeclaredActionError, match=r"model\.craete"):
        audit_append(actor=ACTOR, action="model.craete", target_type="x", target_id="1")
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_payload_must_match_the_declared_shape():
    with pytest.raises(PayloadShapeError, match="missing changes; undeclared chnages"):
        audit_append(
            actor=ACTOR, action=inventory_events.MODEL_UPDATE, target_type="x", payload={"chnages": {}}
        )
    event = audit_append(
        actor=ACTOR, action=inventory_events.MODEL_UPDATE, target_type="x", payload={"changes": {}}
    )
    assert event.action == "model.update"


def test_declaring_twice_is_an_error():
    fresh = ActionRegistry()
    fresh.declare("a.b", "first")
    with pytest.raises(ValueError, match="declared twice"):
        fresh.declare("a.b", "again")


def test_every_action_string_in_the_code_is_declared():
    """No call site passes a string literal as an action: they use the declared constants."""
    literals = []
    for path in [*ROOT.joinpath("governance").rglob("*.py"), *ROOT.joinpath("audit").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "audit_append"
            ):
                for kw in node.keywords:
                    if kw.arg == "action" and isinstance(kw.value, ast.Constant):
                        literals.append(f"{path.relative_to(ROOT)}: {kw.value.value}")
    assert literals == []


def test_registry_knows_every_app_vocabulary():
    names = {a.name for a in registry}
    assert {
        "model.create",
        "model_version.transition",
        "bias_report.create",
        "api_key.create",
        "auth.login",
    } <= names
    assert {"signing_key.rotate", "phi.read", "artifact.hashed"} <= names


@pytest.mark.django_db
def test_api_schema_and_filter_list_the_actions(make_user, client_for):
    client = client_for(make_user("auditor"))
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    params = schema["paths"]["/api/v1/audit/events/"]["get"]["parameters"]
    action = next(p for p in params if p["name"] == "action")
    assert "model_version.transition" in action["schema"]["enum"]
    bad = client.get("/api/v1/audit/events/?action=model.craete")
    assert bad.status_code == 422
    assert "action" in bad.content.decode()
    assert client.get("/api/v1/audit/events/?action=model.create").status_code == 200


@pytest.mark.django_db
def test_admin_filter_lists_declared_actions(make_user, client):
    client.force_login(make_user("admin", is_staff=True))
    page = client.get("/admin/audit/auditevent/").content.decode()
    assert "?action=model_version.transition" in page
