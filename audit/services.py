"""Accepting audit entries. Every service calls ``audit_append`` inside its own transaction, so a
state change and its evidence commit together or not at all.

Accepting is an insert and nothing else: no shared row is locked, so one slow transaction that
audits early never stalls another writer. The entry's identity (a random id) and its leaf hash are
fixed at once; its position in the log (``seq``) is assigned later by the integrator
(``audit.integrator``), which the commit nudges. This is how Trillian, Rekor and CT logs separate
accepting an entry from integrating it into the tree.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from audit.actor import Actor
from audit.context import current_request_id, current_source_ip
from audit.models import AuditEvent
from audit.pure.canonical import canonical_bytes, to_jsonable
from audit.pure.merkle import hash_leaf as leaf_hash
from audit.vocabulary import AuditAction, registry


def event_document(event: AuditEvent) -> dict[str, Any]:
    """The document whose canonical bytes are the leaf: every column that carries meaning.

    It holds the entry's id and no sequence number, so its hash does not depend on where the
    integrator places it. (Entries from before the integrator hold ``seq`` instead of ``id``; their
    bytes are never rewritten, see ``audit.pure.log_verify``.)
    """
    return {
        "id": str(event.entry_id),
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
    """Accept one event as a pending entry of the log, in the caller's transaction.

    ``action`` must be declared (``audit.vocabulary``) and ``payload`` must match its declared shape,
    so a typo cannot create an action that auditors filtering by action never see. The entry is
    integrated (given its ``seq``) after the transaction commits; if it rolls back, the entry never
    existed.
    """
    declared = registry.resolve(action)
    declared.check_payload(payload or {})
    if target is not None:
        target_type = target._meta.label_lower
        target_id = str(target.pk)
    event = AuditEvent(
        entry_id=uuid.uuid4(),
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
    event.leaf_hash = leaf_hash(event.canonical).hex()
    event.save(force_insert=True)
    from audit.integrator import nudge_after_commit

    transaction.on_commit(nudge_after_commit)
    return event


def model_snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """Field values of ``instance`` for before/after payloads (foreign keys by id)."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        data[field.attname] = to_jsonable(field.value_from_object(instance))
    return data
