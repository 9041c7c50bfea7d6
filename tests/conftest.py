"""Shared fixtures: people with roles, teams, API keys, API clients; server-specific test gating."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from audit.vocabulary import registry

# Integrate accepted audit entries in the committing thread: deterministic for tests (production
# uses a background integrator thread per process; tests of that mode set it themselves).
settings.AUDIT_INTEGRATE_MODE = "inline"

# Actions that only tests record (the vocabulary refuses undeclared ones, as it should).
for _name in ("test.event", "test.concurrent"):
    if _name not in registry:
        registry.declare(_name, "Recorded by the test suite.")

SERVER_MARKERS = {
    "postgres": (
        lambda: settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        "needs PostgreSQL: set DATABASE_URL=postgres://...",
    ),
    "redis": (
        lambda: settings.CELERY_BROKER_URL.startswith("redis"),
        "needs Redis: set CELERY_BROKER_URL=redis://...",
    ),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-tests", action="store_true", help="Fail the run unless at least one test passed (CI)."
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for marker, (available, reason) in SERVER_MARKERS.items():
            if item.get_closest_marker(marker) and not available():
                item.add_marker(pytest.mark.skip(reason=reason))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not session.config.getoption("--require-tests"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    passed = len(reporter.stats.get("passed", [])) if reporter else 0
    if passed == 0 and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    """Create a person with roles and team memberships."""
    from django.contrib.auth.models import Group, User

    from governance.accounts.models import Membership

    counter = {"n": 0}

    def make(*roles: str, teams: tuple[Any, ...] = (), username: str | None = None, **extra: Any) -> User:
        counter["n"] += 1
        user = User.objects.create_user(
            username=username or f"user{counter['n']}", password="pw-not-used", **extra
        )
        for role in roles:
            user.groups.add(Group.objects.get(name=role))
        for team in teams:
            Membership.objects.create(user=user, team=team)
        return user

    return make


@pytest.fixture
def team_a(db: Any) -> Any:
    from tests.factories import TeamFactory

    return TeamFactory(slug="team-a")


@pytest.fixture
def team_b(db: Any) -> Any:
    from tests.factories import TeamFactory

    return TeamFactory(slug="team-b")


@pytest.fixture
def client_for() -> Callable[[Any], APIClient]:
    """An API client logged in as ``user`` (session auth, as the admin would be)."""

    def make(user: Any) -> APIClient:
        client = APIClient()
        client.force_authenticate(user=user)
        return client

    return make


@pytest.fixture
def key_client(db: Any) -> Callable[..., APIClient]:
    """An API client using a real Bearer API key created through the service."""
    from governance.accounts.principal import cli_principal
    from governance.accounts.services import api_key_create

    def make(team: Any, scopes: list[str], name: str = "ci", days: int = 30) -> APIClient:
        issued = api_key_create(
            actor=cli_principal("test"),
            team=team,
            name=name,
            scopes=scopes,
            expires_in=dt.timedelta(days=days),
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
        client.api_key = issued.api_key  # type: ignore[attr-defined]
        return client

    return make


@pytest.fixture
def _evidence_triggers_back_on(django_db_blocker: Any) -> Any:
    """Runs last at teardown: turn PostgreSQL triggers back on for the tests that follow."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")


@pytest.fixture
def committed_db(_evidence_triggers_back_on: Any, transactional_db: Any) -> Any:
    """Really committed data, visible to other threads and to Celery workers.

    The flush after such a test TRUNCATEs every table, which the append-only triggers on the
    evidence tables refuse; the flush therefore runs with triggers off (the test role is a
    superuser; the application's role cannot do this).
    """
    yield
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")


@pytest.fixture
def celery_worker_thread(committed_db: Any) -> Any:
    """A real Celery worker (in a thread) consuming a private queue on the configured broker.

    The queue is unique per test so a developer's running ``make run`` worker never steals the
    test's tasks, and tasks go through real serialisation and a real commit (no eager mode).
    """
    import uuid

    from celery.contrib.testing.worker import start_worker

    from governance.celery import app

    queue = f"test-{uuid.uuid4().hex[:12]}"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=30):
            yield app
    finally:
        app.conf.task_default_queue = previous


def wait_for(predicate: Callable[[], Any], timeout: float = 60.0, interval: float = 0.2) -> Any:
    """Poll until ``predicate()`` is truthy (for results produced by a worker)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


@pytest.fixture(autouse=True)
def _workers_may_read_tmp_path(request: pytest.FixtureRequest, settings: Any) -> None:
    """Tests put artifacts and predictions in tmp_path: make it the storage workers may read."""
    if "tmp_path" in request.fixturenames:
        settings.WORKER_READABLE_ROOTS = [str(request.getfixturevalue("tmp_path"))]


@pytest.fixture(autouse=True)
def _fresh_throttle_counters() -> Any:
    """Failed-API-key counters live in the (local-memory) cache: each test starts from zero."""
    from django.core.cache import cache

    cache.clear()
    yield
