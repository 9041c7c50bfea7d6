"""``audit_verify``: check the stored log against itself, its head and its signed checkpoints.

The pure verifier (``audit.pure.log_verify``) does the cryptography an auditor repeats offline with
``govctl verify log``; this module adds what only the database can show: that the queryable
columns of each event still say what its canonical bytes say, and that the head agrees.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings

from audit import selectors
from audit.models import AuditLogHead, Checkpoint
from audit.pure.canonical import canonical_bytes
from audit.pure.log_verify import LogVerification, verify_log
from audit.pure.merkle import CompactRange
from audit.services import event_document
from audit.signing import jwks


@dataclass(frozen=True)
class StoredLogVerification:
    """The pure verifier's result plus the database-only checks; ``first_bad_seq`` is the earliest."""

    log: LogVerification
    column_mismatch_seq: int | None
    head_problem: str | None

    @property
    def ok(self) -> bool:
        return self.log.ok and self.column_mismatch_seq is None and self.head_problem is None

    @property
    def first_bad_seq(self) -> int | None:
        candidates = [s for s in (self.log.first_bad_seq, self.column_mismatch_seq) if s is not None]
        return min(candidates) if candidates else None

    @property
    def reason(self) -> str:
        if self.column_mismatch_seq is not None and self.first_bad_seq == self.column_mismatch_seq:
            return "the event's columns disagree with its canonical (hashed) bytes"
        return self.log.reason or self.head_problem or ""


def audit_log_verify() -> StoredLogVerification:
    mismatch: list[int] = []

    def events() -> Iterator[tuple[int, bytes, bytes]]:
        for event in selectors.iter_events():
            canonical = bytes(event.canonical)
            if not mismatch and canonical_bytes(event_document(event)) != canonical:
                mismatch.append(event.seq)
            yield event.seq, canonical, bytes.fromhex(event.leaf_hash)

    notes = list(Checkpoint.objects.order_by("size").values_list("note", flat=True))
    result = verify_log(events(), notes, jwks(), settings.AUDIT_LOG_ORIGIN)
    head = AuditLogHead.objects.get(pk=1)
    head_root = CompactRange(head.size, [bytes.fromhex(p) for p in head.peaks]).root()
    head_problem = None
    if head.size != result.size or head_root != result.root:
        head_problem = f"the head says size {head.size}, the events give size {result.size} with another root"
    return StoredLogVerification(result, mismatch[0] if mismatch else None, head_problem)
