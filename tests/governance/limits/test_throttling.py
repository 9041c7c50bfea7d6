"""Throttling (issue 10 finding 7): admin login lockout (django-axes, audited) and 429s for bad API keys."""

from __future__ import annotations

import pytest
from django.test import Client

from audit.models import AuditEvent
from governance.accounts.events import AUTH_LOCKOUT


@pytest.mark.django_db
def test_thirty_wrong_passwords_lock_the_account_then_the_right_one_is_refused(make_user, settings):
    user = make_user(username="admin1", is_staff=True, is_superuser=True)
    user.set_password("right-password-1")
    user.save()
    client = Client(REMOTE_ADDR="203.0.113.7")
    statuses = [
        client.post("/admin/login/", {"username": "admin1", "password": f"wrong-{i}"}).status_code
        for i in range(30)
    ]
    assert statuses[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert 429 in statuses and statuses[-1] == 429
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "admin1", "password": "right-password-1"}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action=AUTH_LOCKOUT).exists()
    # Another address is not locked out for this username (lockout by username and address).
    other = Client(REMOTE_ADDR="198.51.100.9")
    response = other.post(
        "/admin/login/?next=/admin/", {"username": "admin1", "password": "right-password-1"}
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_bad_api_keys_get_429_with_retry_after(client, settings):
    statuses = []
    for i in range(250):
        response = client.get(
            "/api/v1/models/", HTTP_AUTHORIZATION=f"Bearer mgk_prefix{i % 50:03d}_{'x' * 40}"
        )
        statuses.append(response.status_code)
    limit = settings.API_KEY_FAILURES_PER_ADDRESS
    assert statuses[:limit] == [401] * limit
    assert set(statuses[limit:]) == {429}
    response = client.get("/api/v1/models/", HTTP_AUTHORIZATION="Bearer mgk_prefix000_" + "y" * 40)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert int(response["Retry-After"]) == settings.API_KEY_FAILURE_WINDOW_SECONDS


@pytest.mark.django_db
def test_one_key_prefix_is_throttled_from_any_address(settings):
    settings.API_KEY_FAILURES_PER_KEY = 5
    statuses = [
        Client(REMOTE_ADDR=f"192.0.2.{i}")
        .get("/api/v1/models/", HTTP_AUTHORIZATION=f"Bearer mgk_samepfx_{i:040d}")
        .status_code
        for i in range(8)
    ]
    assert statuses == [401] * 5 + [429] * 3
