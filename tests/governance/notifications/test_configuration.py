"""Configuring webhooks and emitting events: who may, which URLs, which hooks get a delivery, and the
transaction rule (a delivery exists iff the change committed). Secrets stay out of logs and audit."""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from audit.models import AuditEvent
from governance.accounts.principal import principal_for_user
from governance.core.exceptions import PermissionDeniedError
from governance.jobs.models import JobDispatch
from governance.notifications.delivery import webhook_delivery_attempt
from governance.notifications.models import Webhook, WebhookDelivery
from governance.notifications.services import (
    webhook_create,
    webhook_deactivate,
    webhook_event_emit,
    webhook_secret_rotate,
    webhook_update,
)
from tests.governance.jobs.test_outbox import BrokerSpy
from tests.governance.notifications.conftest import ADMIN, Reply, emit

EVENTS = ["approval.submitted", "approval.decided", "approval.expired", "approval.stale"]


def create(team, url, **extra):
    extra.setdefault("events", ["approval.submitted"])
    return webhook_create(
        actor=extra.pop("actor", ADMIN), team=team, name=extra.pop("name", "ci"), url=url, **extra
    )


@pytest.mark.django_db
def test_plain_http_is_refused_unless_allowed_and_other_schemes_always(team_a, settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    with pytest.raises(ValidationError, match="must use https"):
        create(team_a, "http://hooks.example.org/governance")
    for url in (
        "ftp://hooks.example.org/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "https://user:pw@hooks.example.org/x",
        "https://hooks.example.org/x#frag",
        "not a url",
    ):
        with pytest.raises(ValidationError):
            create(team_a, url)
    assert create(team_a, "https://hooks.example.org/governance").webhook.pk
    settings.WEBHOOK_ALLOW_HTTP = True
    assert create(team_a, "http://127.0.0.1:9/x", name="loopback").webhook.pk
    assert not Webhook.objects.filter(url__startswith="ftp").exists()


@pytest.mark.django_db
def test_events_are_validated(team_a):
    for events in ([], ["approval.submitted", "approval.submitted"], ["model.created"], "approval.submitted"):
        with pytest.raises(ValidationError):
            create(team_a, "https://hooks.example.org/x", events=events)
    assert create(team_a, "https://hooks.example.org/x", events=EVENTS).webhook.events == EVENTS


@pytest.mark.django_db
def test_only_team_admins_configure_webhooks(make_user, team_a, team_b):
    submitter = principal_for_user(make_user("submitter", teams=(team_a,)))
    reviewer = principal_for_user(make_user("model_risk_reviewer"))
    admin = principal_for_user(make_user(username="root", is_superuser=True, is_staff=True))
    for actor in (submitter, reviewer):
        with pytest.raises(PermissionDeniedError, match="teams:admin"):
            create(team_a, "https://hooks.example.org/x", actor=actor)
    webhook = create(team_b, "https://hooks.example.org/x", actor=admin).webhook
    with pytest.raises(PermissionDeniedError):
        webhook_update(actor=submitter, webhook=webhook, url="https://evil.example.org/")
    with pytest.raises(PermissionDeniedError):
        webhook_secret_rotate(actor=submitter, webhook=webhook)
    with pytest.raises(PermissionDeniedError):
        webhook_deactivate(actor=submitter, webhook=webhook)
    assert Webhook.objects.get().url == "https://hooks.example.org/x"


@pytest.mark.django_db
def test_changes_are_audited_without_the_secret_or_the_full_url(team_a):
    issued = create(team_a, "https://hooks.example.org/services/T0/B0/tokenish?x=1", events=EVENTS[:2])
    webhook = issued.webhook
    assert len(issued.secret) >= 43 and webhook.secret == issued.secret
    webhook_update(actor=ADMIN, webhook=webhook, url="https://other.example.org/y", events=EVENTS)
    rotated = webhook_secret_rotate(actor=ADMIN, webhook=webhook)
    assert rotated.secret != issued.secret and Webhook.objects.get().secret == rotated.secret
    webhook_deactivate(actor=ADMIN, webhook=webhook)
    webhook_deactivate(actor=ADMIN, webhook=webhook)  # already inactive: nothing more recorded

    events = list(AuditEvent.objects.filter(target_type="notifications.webhook").order_by("created_at"))
    assert [e.action for e in events] == [
        "webhook.create",
        "webhook.update",
        "webhook.rotate_secret",
        "webhook.deactivate",
    ]
    created = events[0].payload
    assert created["destination"] == "https://hooks.example.org" and len(created["url_sha256"]) == 64
    assert created["events"] == EVENTS[:2] and created["team_id"] == team_a.pk
    changes = events[1].payload["changes"]
    assert changes["url"][1]["destination"] == "https://other.example.org"
    for event in events:
        stored = event.canonical.tobytes() if hasattr(event.canonical, "tobytes") else bytes(event.canonical)
        for secret in (issued.secret, rotated.secret):
            assert secret not in str(event.payload) and secret.encode() not in stored
        assert "tokenish" not in str(event.payload)


@pytest.mark.django_db
def test_the_secret_never_reaches_the_logs(receiver, make_webhook, team_a, caplog):
    caplog.set_level(logging.DEBUG)
    webhook, secret = make_webhook(team_a, receiver.url)
    receiver.answer(Reply(500))
    (delivery,) = emit(team_a)
    for attempt in (1, 2):
        webhook_delivery_attempt(delivery_pk=delivery.pk, attempt=attempt)
    rotated = webhook_secret_rotate(actor=ADMIN, webhook=webhook).secret
    assert WebhookDelivery.objects.get().status == "delivered"
    assert "webhook delivery" in caplog.text  # the outcomes are logged ...
    signatures = [r.headers["x-governance-signature"] for r in receiver.requests]
    for needle in (secret, rotated, *signatures, *(s.split(",", 1)[1] for s in signatures)):
        assert needle not in caplog.text  # ... but no secret and no signature
    assert receiver.url not in caplog.text  # nor the URL (some carry a credential in their path)


@pytest.mark.django_db
def test_only_active_webhooks_of_the_team_subscribed_to_the_event_get_a_delivery(team_a, team_b):
    wanted = create(team_a, "https://a.example.org/1", name="submitted").webhook
    create(team_a, "https://a.example.org/2", name="decided", events=["approval.decided"])
    create(team_a, "https://a.example.org/3", name="off", active=False)
    create(team_b, "https://b.example.org/1", name="other-team")
    both = create(team_a, "https://a.example.org/4", name="both", events=EVENTS).webhook

    deliveries = emit(team_a, "approval.submitted")
    assert sorted(d.webhook_id for d in deliveries) == sorted([wanted.pk, both.pk])
    assert {d.event for d in deliveries} == {"approval.submitted"}
    assert len({d.delivery_id for d in deliveries}) == 2  # one delivery id per webhook
    assert [d.webhook.name for d in emit(team_a, "approval.stale")] == ["both"]
    assert [d.webhook.name for d in emit(team_b, "approval.expired")] == []
    assert WebhookDelivery.objects.count() == JobDispatch.objects.count() == 3
    with pytest.raises(ValueError, match="Unknown webhook event"):
        emit(team_a, "approval.approved")


@pytest.mark.django_db
def test_data_must_be_json_and_dates_become_strings(team_a):
    import datetime as dt
    import decimal

    create(team_a, "https://a.example.org/1")
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    (delivery,) = emit(team_a, data={"at": when, "score": decimal.Decimal("0.5")})
    assert delivery.payload["data"] == {"at": "2026-01-02T03:04:05Z", "score": "0.5"}
    with pytest.raises(TypeError):
        emit(team_a, data={"bad": object()})


@pytest.fixture
def broker(monkeypatch):
    from governance.celery import app

    spy = BrokerSpy()
    monkeypatch.setattr(app, "send_task", spy)
    return spy


def test_a_rolled_back_change_leaves_no_delivery_and_sends_nothing(committed_db, broker, team_a):
    create(team_a, "https://a.example.org/1")
    with pytest.raises(RuntimeError, match="approval change failed"), transaction.atomic():
        assert len(webhook_event_emit(team_id=team_a.pk, event="approval.decided", data={})) == 0
        assert len(webhook_event_emit(team_id=team_a.pk, event="approval.submitted", data={})) == 1
        raise RuntimeError("approval change failed")
    assert WebhookDelivery.objects.count() == 0 and JobDispatch.objects.count() == 0
    assert broker.sent == []

    with transaction.atomic():
        (delivery,) = webhook_event_emit(team_id=team_a.pk, event="approval.submitted", data={})
        assert broker.sent == []  # not before commit
    assert broker.sent == [("notifications.webhook_deliver", [delivery.pk, 1])]


def test_emitting_outside_a_transaction_is_refused(committed_db, team_a):
    with pytest.raises(RuntimeError, match="in the transaction"):
        webhook_event_emit(team_id=team_a.pk, event="approval.submitted", data={})
