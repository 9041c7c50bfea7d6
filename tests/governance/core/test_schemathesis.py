"""The OpenAPI schema at ``/api/schema/`` says what the API does: schemathesis, in process.

Every operation of the published schema gets requests generated from that schema (valid and
invalid ones), sent with a full-scope CI key to the project's own WSGI application; each answer must
be no 5xx, a documented status code, a documented content type and a body that matches the
documented schema. Problem+json errors are part of the contract, so they are checked like any
other answer.

Examples are derandomized (the same requests every run: the suite does not flake) and capped per
operation, within a time budget. ``SCHEMATHESIS_EXAMPLES=100 SCHEMATHESIS_RANDOM=1`` makes a deeper
local run with fresh data each time.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from governance.accounts.roles import MACHINE_SCOPES
from tests.factories import (
    DatasetVersionFactory,
    ModelVersionFactory,
    RegisteredModelFactory,
    TeamFactory,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "10"))
RANDOM = os.environ.get("SCHEMATHESIS_RANDOM") == "1"
# ~25 s on two cores with SQLite; the budget catches an API (or a generator) gone slow.
BUDGET_SECONDS = float(os.environ.get("SCHEMATHESIS_BUDGET", "80"))


@pytest.fixture
def _one_connection_per_test() -> Any:
    """The WSGI handler recycles the database connection around each request; inside the test's
    transaction that would drop it. Django's own test client switches this off the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def known_objects(db: Any, settings: Any, tmp_path: Any) -> dict[str, Any]:
    """A few real rows, so that generated ids and names sometimes point at something the key may see
    or change: without them nearly every write would stop at "no such team" and test nothing else."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    team = TeamFactory(slug="team-a")
    model = RegisteredModelFactory(team=team, name="credit-scoring")
    draft = ModelVersionFactory(model=model, version="1.0.0")
    dataset_version = DatasetVersionFactory(dataset__team=team)
    return {
        "paths": {
            "/api/v1/models/": [model.pk],
            "/api/v1/model-versions/": [draft.pk],
            "/api/v1/datasets/": [dataset_version.dataset.pk],
            "/api/v1/dataset-versions/": [dataset_version.pk],
            "/api/v1/teams/": [team.slug],
        },
        "body": {
            "team": team.slug,
            "model": model.name,
            "model_version": draft.pk,
            "dataset": dataset_version.dataset.pk,
            "dataset_version": dataset_version.pk,
        },
    }


@pytest.fixture
def bearer(known_objects: dict[str, Any]) -> dict[str, str]:
    """Headers of a CI key holding every scope a key may hold, bound to team-a; a signed checkpoint."""
    from audit.checkpoints import checkpoint_sign
    from audit.models import AuditEvent
    from governance.accounts.models import Team
    from governance.accounts.principal import cli_principal
    from governance.accounts.services import api_key_create

    issued = api_key_create(
        actor=cli_principal("test"),
        team=Team.objects.get(slug="team-a"),
        name="schemathesis",
        scopes=sorted(MACHINE_SCOPES),
        expires_in=dt.timedelta(days=1),
    )
    checkpoint_sign()
    known_objects["paths"]["/api/v1/audit/events/"] = list(
        AuditEvent.objects.exclude(seq=None).values_list("seq", flat=True)[:3]
    )
    return {"Authorization": f"Bearer {issued.secret}"}


def _cases(operation: Any, known: dict[str, Any]) -> Any:
    """Schemathesis' cases for ``operation``; in about half of them a path id or a reference in the
    body is replaced by an existing object's."""
    names = [p.name for p in operation.path_parameters]
    ids = next((ids for prefix, ids in known["paths"].items() if operation.path.startswith(prefix)), [])

    generated = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )

    @st.composite
    def cases(draw: Any) -> Any:
        case = draw(generated)
        if len(names) == 1 and ids and draw(st.booleans()):
            case.path_parameters = {**(case.path_parameters or {}), names[0]: draw(st.sampled_from(ids))}
        if isinstance(case.body, dict):
            for key, value in known["body"].items():
                if key in case.body and draw(st.booleans()):
                    case.body[key] = value
            links = case.body.get("datasets")
            for link in links if isinstance(links, list) else []:
                if isinstance(link, dict) and "dataset_version" in link and draw(st.booleans()):
                    link["dataset_version"] = known["body"]["dataset_version"]
        return case

    return cases()


def test_every_operation_answers_as_its_schema_says(
    _one_connection_per_test: Any, known_objects: dict[str, Any], bearer: dict[str, str]
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    deadline = time.monotonic() + BUDGET_SECONDS
    failures: list[str] = []
    for operation in operations:
        if time.monotonic() > deadline:
            pytest.fail(f"schemathesis budget of {BUDGET_SECONDS:.0f} s used up at {operation.label}")

        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=not RANDOM,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=_cases(operation, known_objects))
        def check(case: Any) -> None:
            case.call_and_validate(headers=bearer, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failures, not only the first
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
