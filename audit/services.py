"""Appending to the audit log. Every service calls ``audit_append`` inside its own transaction,
so a state change and its evidence commit together or not at all."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils import timezone

from audit.actor import Actor
from audit.context import current_request_id, current_source_ip
from audit.models import AuditEvent, AuditLogHead
from audit.pure.canonical import canonical_bytes, to_jsonable
from audit.pure.merkle import CompactRange
from audit.pure.merkle import hash_leaf as leaf_hash
from audit.vocabulary import AuditAction, registry


def event_document(event: AuditEvent) -> dict[str, Any]:
    """The document whose canonical bytes are the leaf: every column that carries meaning."""
    return {
        "seq": event.seq,
        "time": event.created_at,
        "actor": {"id": event.actor, "label": event.actor_label},
        "action": event.action,
        "target": {"type": event.target_type, "id": event.target_id},
        "payload": event.payload,
        "request_id": event.request_id or None,
        "source_ip": event.source_ip or None,
    }


def audit_append(
    *,
    actor: Actor,
    action: AuditAction | str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    payload: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event; serialised on the head row so concurrent appends form one chain.

    ``action`` must be declared (``audit.vocabulary``) and ``payload`` must match its declared shape,
    so a typo cannot create an action that auditors filtering by action never see.
    """
    declared = registry.resolve(action)
    declared.check_payload(payload or {})
    if target is not None:
        target_type = target._meta.label_lower
        target_id = str(target.pk)
    with transaction.atomic():
        head = AuditLogHead.objects.select_for_update().filter(pk=1).first()
        if head is None:  # a new or flushed database: racing creators converge on the one pk
            AuditLogHead.objects.get_or_create(pk=1)
            head = AuditLogHead.objects.select_for_update().get(pk=1)
        event = AuditEvent(
            seq=head.size,
            created_at=timezone.now(),
            actor=actor.ident,
            actor_label=actor.label,
            action=declared.name,
            target_type=target_type,
            target_id=target_id,
            payload=to_jsonable(payload or {}),
            request_id=current_request_id() or "",
            source_ip=current_source_ip(),
        )
        event.canonical = canonical_bytes(event_document(event))
        leaf = leaf_hash(event.canonical)
        event.leaf_hash = leaf.hex()
        event.save(force_insert=True)
        tree = CompactRange(head.size, [bytes.fromhex(p) for p in head.peaks])
        tree.append(leaf)
        head.size = tree.size
        head.peaks = [p.hex() for p in tree.peaks]
        head.save(update_fields=["size", "peaks"])
    return event


def model_snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """Field values of ``instance`` for before/after payloads (foreign keys by id)."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        data[field.attname] = to_jsonable(field.value_from_object(instance))
    return data
