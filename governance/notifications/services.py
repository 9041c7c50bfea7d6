"""Notification writes: configuring team webhooks, and emitting approval events to them.

``webhook_event_emit`` is what approval services call, inside the transaction that changed the
request: a delivery (and its job message, through the outbox) exists if and only if the change
committed. Configuration needs ``teams:admin`` on the owning team; every change is audited, never with
the secret. How receivers verify deliveries: the package docstring (``governance.notifications``).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import audit_append
from governance.accounts.models import Team
from governance.accounts.principal import Principal
from governance.accounts.roles import Scope
from governance.core.visibility import authorize_team_write
from governance.notifications import events as actions
from governance.notifications.choices import DeliveryStatus, WebhookEvent
from governance.notifications.delivery import webhook_delivery_dispatch
from governance.notifications.models import Webhook, WebhookDelivery

WEBHOOK_UPDATABLE = ("name", "url", "events", "active")
# Who configures a team's webhooks: they send the team's approval events to any https endpoint.
CONFIGURE_SCOPE = Scope.TEAMS_ADMIN


@dataclass(frozen=True)
class IssuedWebhook:
    """The stored webhook and its signing secret; the secret is returned only here, once."""

    webhook: Webhook
    secret: str


def _destination(url: str) -> dict[str, str]:
    """How audit payloads name a receiver: its origin and a hash of the full URL (see events.py)."""
    parts = urlsplit(url)
    return {
        "destination": f"{parts.scheme}://{parts.netloc}",
        "url_sha256": hashlib.sha256(url.encode()).hexdigest(),
    }


def _authorize(actor: Principal, team_id: int) -> None:
    authorize_team_write(actor, team_id=team_id, scope=CONFIGURE_SCOPE, action="configure team webhooks")


def _save(webhook: Webhook, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            webhook.save(**kwargs)
    except IntegrityError as exc:
        raise ValidationError({"name": "This team already has a webhook of that name."}) from exc


@transaction.atomic
def webhook_create(
    *, actor: Principal, team: Team, name: str, url: str, events: list[str], active: bool = True
) -> IssuedWebhook:
    """Configure a receiver of the team's approval events; its secret is generated and returned once."""
    _authorize(actor, team.pk)
    secret = secrets.token_urlsafe(32)
    webhook = Webhook(
        team=team,
        name=name.strip(),
        url=url.strip(),
        events=list(events),
        active=active,
        secret=secret,
        created_by=actor.ident,
    )
    webhook.full_clean()
    _save(webhook, force_insert=True)
    audit_append(
        actor=actor,
        action=actions.WEBHOOK_CREATE,
        target=webhook,
        payload={
            "team_id": team.pk,
            "name": webhook.name,
            **_destination(webhook.url),
            "events": webhook.events,
            "active": webhook.active,
        },
    )
    return IssuedWebhook(webhook=webhook, secret=secret)


@transaction.atomic
def webhook_update(*, actor: Principal, webhook: Webhook, **changes: Any) -> Webhook:
    """Change a webhook's name, receiver URL, events or active flag; the team never changes."""
    unknown = sorted(set(changes) - set(WEBHOOK_UPDATABLE))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed."))
    locked = Webhook.objects.select_for_update().get(pk=webhook.pk)
    _authorize(actor, locked.team_id)
    diff: dict[str, Any] = {}
    for field, value in changes.items():
        before = getattr(locked, field)
        if field in ("name", "url") and isinstance(value, str):
            value = value.strip()
        if before != value:
            setattr(locked, field, value)
            diff[field] = [_destination(before), _destination(value)] if field == "url" else [before, value]
    if not diff:
        return locked
    locked.updated_at = timezone.now()
    locked.full_clean()
    _save(locked, update_fields=[*diff, "updated_at"])
    audit_append(actor=actor, action=actions.WEBHOOK_UPDATE, target=locked, payload={"changes": diff})
    return locked


@transaction.atomic
def webhook_deactivate(*, actor: Principal, webhook: Webhook) -> Webhook:
    """Stop sending to a webhook: no new deliveries, and pending ones fail instead of being sent."""
    locked = Webhook.objects.select_for_update().get(pk=webhook.pk)
    _authorize(actor, locked.team_id)
    if locked.active:
        locked.active = False
        locked.updated_at = timezone.now()
        locked.save(update_fields=["active", "updated_at"])
        audit_append(
            actor=actor, action=actions.WEBHOOK_DEACTIVATE, target=locked, payload={"name": locked.name}
        )
    return locked


@transaction.atomic
def webhook_secret_rotate(*, actor: Principal, webhook: Webhook) -> IssuedWebhook:
    """Replace the signing secret (a lost or leaked one); the new secret is returned once.

    Attempts from now on are signed with the new secret, retries of earlier events included.
    """
    locked = Webhook.objects.select_for_update().get(pk=webhook.pk)
    _authorize(actor, locked.team_id)
    secret = secrets.token_urlsafe(32)
    locked.secret = secret
    locked.updated_at = timezone.now()
    locked.save(update_fields=["secret", "updated_at"])
    audit_append(
        actor=actor, action=actions.WEBHOOK_SECRET_ROTATE, target=locked, payload={"name": locked.name}
    )
    return IssuedWebhook(webhook=locked, secret=secret)


def delivery_body(*, delivery: WebhookDelivery, data: dict[str, Any]) -> str:
    """The JSON text posted: ``{"id", "event", "created_at", "data"}`` (ASCII, compact)."""
    envelope = {
        "id": str(delivery.delivery_id),
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "data": data,
    }
    return json.dumps(envelope, separators=(",", ":"), cls=DjangoJSONEncoder)


def webhook_event_emit(*, team_id: int, event: str, data: dict[str, Any]) -> list[WebhookDelivery]:
    """Record one delivery per active webhook of ``team_id`` subscribed to ``event`` and queue it.

    MUST run inside the transaction of the change it announces: the deliveries and their job messages
    are written there (outbox), so they exist if and only if the change commits. ``data`` must be
    JSON-serialisable (datetimes, decimals and UUIDs become strings); it is checked even when no
    webhook listens, so a bad payload fails the caller's tests, not a receiver.
    """
    if event not in WebhookEvent.values:
        raise ValueError(f"Unknown webhook event {event!r}; one of {', '.join(WebhookEvent.values)}.")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("webhook_event_emit must run in the transaction of the change it announces")
    data = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    webhooks = [
        w
        for w in Webhook.objects.filter(team_id=team_id, active=True).order_by("pk")
        if w.subscribes_to(event)
    ]
    deliveries = []
    now = timezone.now()
    for webhook in webhooks:
        delivery = WebhookDelivery(webhook=webhook, event=event, created_at=now)
        delivery.body = delivery_body(delivery=delivery, data=data)
        delivery.save(force_insert=True)
        webhook_delivery_dispatch(delivery, attempt=1)
        deliveries.append(delivery)
    return deliveries


@transaction.atomic
def webhook_delivery_redeliver(
    *, actor: Principal, deliveries: Iterable[WebhookDelivery]
) -> list[WebhookDelivery]:
    """Queue one more attempt of each failed delivery of an active webhook; others are left as they are.

    Returns the deliveries queued again. Each is audited: a person chose to send an event again.
    """
    ids = [d.pk for d in deliveries]
    rows = (
        WebhookDelivery.objects.select_for_update()
        .select_related("webhook")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    queued = []
    for delivery in rows:
        authorize_team_write(
            actor, team_id=delivery.webhook.team_id, scope=CONFIGURE_SCOPE, action="deliver webhooks again"
        )
        if delivery.status != DeliveryStatus.FAILED or not delivery.webhook.active:
            continue
        attempt = delivery.attempts + 1
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = None
        delivery.save(update_fields=["status", "next_attempt_at"])
        audit_append(
            actor=actor,
            action=actions.WEBHOOK_DELIVERY_REDELIVER,
            target=delivery.webhook,
            payload={"delivery_id": str(delivery.delivery_id), "event": delivery.event, "attempt": attempt},
        )
        webhook_delivery_dispatch(delivery, attempt=attempt)
        queued.append(delivery)
    return queued
