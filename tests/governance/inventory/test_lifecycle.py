"""The lifecycle holds through every path, including a raw ``save()`` from a shell or task."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from governance.accounts.principal import cli_principal
from governance.inventory import lifecycle
from governance.inventory.models import ModelVersion
from governance.inventory.transitions import model_version_transition
from tests.factories import ModelVersionFactory

pytestmark = pytest.mark.django_db
ACTOR = cli_principal("test")


def test_transition_table_is_closed_and_retired_is_terminal():
    statuses = {c for c, _ in ModelVersion._meta.get_field("status").choices}
    assert set(lifecycle.TRANSITIONS) == statuses
    assert all(targets <= statuses for targets in lifecycle.TRANSITIONS.values())
    assert lifecycle.TRANSITIONS[lifecycle.RETIRED] == frozenset()
    assert not lifecycle.can_transition(lifecycle.DRAFT, lifecycle.APPROVED)


def test_new_version_must_start_as_draft():
    with pytest.raises(ValidationError, match="starts as a draft"):
        ModelVersionFactory(status="approved")


def test_illegal_transition_refused_on_save():
    mv = ModelVersion.objects.get(pk=ModelVersionFactory().pk)
    mv.status = lifecycle.APPROVED
    with pytest.raises(ValidationError, match="Illegal transition draft -> approved"):
        mv.save()
    assert ModelVersion.objects.get(pk=mv.pk).status == lifecycle.DRAFT


def test_frozen_fields_refused_on_save_after_submission():
    mv = ModelVersion.objects.get(pk=ModelVersionFactory().pk)
    model_version_transition(actor=ACTOR, model_version=mv, to=lifecycle.SUBMITTED, reason="review")
    mv = ModelVersion.objects.get(pk=mv.pk)
    mv.artifact_digest = "sha256:" + "0" * 64
    with pytest.raises(ValidationError, match="Frozen"):
        mv.save()
    mv = ModelVersion.objects.get(pk=mv.pk)
    mv.description = "descriptions may still be corrected"
    mv.save()


# --- One owner: model_version_transition ----------------------------------------------------------


def test_transition_service_saves_and_audits_in_one_step():
    from audit.models import AuditEvent

    mv = ModelVersionFactory()
    before = AuditEvent.objects.count()
    model_version_transition(
        actor=ACTOR, model_version=mv, to="submitted", reason="ready for review", evidence={"request": 7}
    )
    assert mv.status == "submitted"
    assert ModelVersion.objects.get(pk=mv.pk).status == "submitted"
    event = AuditEvent.objects.order_by("-seq").first()
    assert AuditEvent.objects.count() == before + 1
    assert event.action == "model_version.transition"
    assert event.target_id == str(mv.pk)
    assert event.payload == {
        "from": "draft",
        "to": "submitted",
        "reason": "ready for review",
        "evidence": {"request": 7},
    }


@pytest.mark.parametrize(
    ("path", "to", "code"),
    [
        ((), "approved", "invalid_transition"),
        ((), "flying", "invalid_transition"),
        (("submitted", "rejected"), "approved", "invalid_transition"),
        (("retired",), "draft", "invalid_transition"),
    ],
)
def test_transition_service_refuses_illegal_moves_and_records_nothing(path, to, code):
    from audit.models import AuditEvent
    from governance.core.exceptions import ConflictError

    mv = ModelVersionFactory()
    for step in path:
        model_version_transition(actor=ACTOR, model_version=mv, to=step, reason="setup")
    before = AuditEvent.objects.count()
    with pytest.raises(ConflictError) as excinfo:
        model_version_transition(actor=ACTOR, model_version=mv, to=to, reason="try")
    assert excinfo.value.code == code
    assert AuditEvent.objects.count() == before
    assert ModelVersion.objects.get(pk=mv.pk).status == (path[-1] if path else "draft")


def test_transition_needs_a_reason():
    from governance.core.exceptions import ConflictError

    with pytest.raises(ConflictError, match="reason"):
        model_version_transition(actor=ACTOR, model_version=ModelVersionFactory(), to="submitted", reason=" ")


def test_status_change_by_plain_save_is_refused_even_when_legal():
    """Only the service changes status, so every change has its audit event."""
    mv = ModelVersion.objects.get(pk=ModelVersionFactory().pk)
    mv.status = lifecycle.SUBMITTED
    with pytest.raises(ValidationError, match="model_version_transition"):
        mv.save()
    assert ModelVersion.objects.get(pk=mv.pk).status == lifecycle.DRAFT


def test_status_vocabulary_is_declared_once():
    from governance.inventory import choices

    assert not hasattr(choices, "ModelVersionStatus")
    field_choices = ModelVersion._meta.get_field("status").choices
    assert field_choices == lifecycle.CHOICES
    assert {value for value, _ in field_choices} == set(lifecycle.TRANSITIONS)


# --- The database refuses what the ORM would (PostgreSQL) -----------------------------------------


def _submitted_version():
    mv = ModelVersionFactory()
    model_version_transition(actor=ACTOR, model_version=mv, to="submitted", reason="review")
    return mv


def _sql_fails(sql, params=()):
    from django.db import DatabaseError, connection, transaction

    with (
        pytest.raises(DatabaseError, match="model version lifecycle"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


@pytest.mark.postgres
def test_trigger_refuses_queryset_update_of_frozen_fields_of_a_submitted_version():
    from django.db import DatabaseError, transaction

    mv = _submitted_version()
    with pytest.raises(DatabaseError, match="frozen fields"), transaction.atomic():
        ModelVersion.objects.filter(pk=mv.pk).update(artifact_uri="s3://evil/model.onnx")
    with pytest.raises(DatabaseError, match="frozen fields"), transaction.atomic():
        ModelVersion.objects.filter(pk=mv.pk).update(metrics={"auc": 0.99})
    assert ModelVersion.objects.get(pk=mv.pk).artifact_uri == mv.artifact_uri
    # descriptive fields may still be corrected
    ModelVersion.objects.filter(pk=mv.pk).update(description="typo fixed")


@pytest.mark.postgres
def test_trigger_refuses_raw_sql_rewrites_illegal_transitions_inserts_and_deletes():
    mv = _submitted_version()
    _sql_fails(
        "UPDATE inventory_modelversion SET artifact_digest = %s WHERE id = %s", ["sha256:" + "1" * 64, mv.pk]
    )
    _sql_fails("UPDATE inventory_modelversion SET status = 'deployed' WHERE id = %s", [mv.pk])
    _sql_fails("DELETE FROM inventory_modelversion WHERE id = %s", [mv.pk])
    _sql_fails(
        "INSERT INTO inventory_modelversion (model_id, version, description, artifact_uri, artifact_digest,"
        " framework, training_run_ref, metrics, status, created_by, created_at, updated_at)"
        " VALUES (%s, 'x9', '', 's3://m/x', '', '', '', '{}', 'approved', '', now(), now())",
        [mv.model_id],
    )
    assert ModelVersion.objects.get(pk=mv.pk).status == "submitted"


@pytest.mark.postgres
def test_trigger_allows_legal_moves_and_draft_edits():
    from django.db import connection

    draft = ModelVersionFactory()
    ModelVersion.objects.filter(pk=draft.pk).update(artifact_uri="s3://models/fixed.onnx")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE inventory_modelversion SET status = 'submitted' WHERE id = %s", [draft.pk])
    assert ModelVersion.objects.get(pk=draft.pk).status == "submitted"


def test_trigger_allows_exactly_the_lifecycle_transitions():
    """The migration writes the transitions out; it must match the lifecycle (else add a migration)."""
    import importlib

    migration = importlib.import_module("governance.inventory.migrations.0004_modelversion_lifecycle_trigger")
    assert sorted(migration.TRANSITIONS) == [(a.value, b.value) for a, b in lifecycle.transition_pairs()]
    assert tuple(migration.FROZEN_COLUMNS) == lifecycle.FROZEN_COLUMNS
