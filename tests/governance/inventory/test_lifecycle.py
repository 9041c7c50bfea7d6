"""The lifecycle holds through every path, including a raw ``save()`` from a shell or task."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from governance.inventory import lifecycle
from governance.inventory.models import ModelVersion
from tests.factories import ModelVersionFactory

pytestmark = pytest.mark.django_db


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
    mv.status = lifecycle.SUBMITTED
    mv.save()
    mv = ModelVersion.objects.get(pk=mv.pk)
    mv.artifact_digest = "sha256:" + "0" * 64
    with pytest.raises(ValidationError, match="Frozen"):
        mv.save()
    mv = ModelVersion.objects.get(pk=mv.pk)
    mv.description = "descriptions may still be corrected"
    mv.save()
