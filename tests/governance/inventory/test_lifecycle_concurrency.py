"""Concurrent status changes serialise on the version's row lock (real PostgreSQL, real threads)."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from governance.accounts.principal import cli_principal
from governance.core.exceptions import ConflictError
from governance.inventory.models import ModelVersion
from governance.inventory.transitions import model_version_transition
from tests.factories import ModelVersionFactory

ACTOR = cli_principal("test")


@pytest.mark.postgres
def test_concurrent_transitions_serialise_on_the_row_lock(committed_db):
    """Two callers decide at once (approve vs reject): exactly one wins, the other sees the new state."""
    mv = ModelVersionFactory()
    model_version_transition(actor=ACTOR, model_version=mv, to="submitted", reason="review")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(to):
        try:
            barrier.wait()
            model_version_transition(
                actor=ACTOR, model_version=ModelVersion.objects.get(pk=mv.pk), to=to, reason=to
            )
            outcomes.append(to)
        except ConflictError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=decide, args=(to,)) for to in ("approved", "rejected")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes).count("refused") == 1
    winner = next(o for o in outcomes if o != "refused")
    assert ModelVersion.objects.get(pk=mv.pk).status == winner
