"""The exported form of an audit entry: what ``govctl verify log`` and ``audit_verify`` both check.

One record per integrated entry: its position, id, hashed bytes and leaf hash, plus the query
``columns`` the service keeps beside the bytes (as a document of the same shape), so an offline
verifier catches a database edit that changed only the columns.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

from audit.models import AuditEvent
from audit.pure.canonical import to_jsonable
from audit.services import event_document

EXPORT_COLUMNS = ("time", "actor", "action", "target", "payload", "request_id", "source_ip")


def event_columns(event: AuditEvent) -> dict[str, Any]:
    """The row's query columns, shaped like the hashed document (without id or seq)."""
    document = to_jsonable(event_document(event))
    return {key: document[key] for key in EXPORT_COLUMNS}


def decoded_event(event: AuditEvent) -> dict[str, Any]:
    """The event as its hashed bytes say it: what the API serves (never the query columns)."""
    document: dict[str, Any] = json.loads(bytes(event.canonical))
    return document


def export_record(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "id": str(event.entry_id),
        "canonical": base64.b64encode(bytes(event.canonical)).decode(),
        "leaf_hash": event.leaf_hash,
        "columns": event_columns(event),
    }


def verifier_tuples(events: Iterator[AuditEvent]) -> Iterator[tuple[Any, ...]]:
    """Rows as ``audit.pure.log_verify.verify_log`` reads them (the same checks as the export)."""
    for event in events:
        yield (
            event.seq,
            bytes(event.canonical),
            bytes.fromhex(event.leaf_hash),
            str(event.entry_id),
            event_columns(event),
        )
