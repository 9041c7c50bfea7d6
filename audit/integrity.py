"""``audit_verify``: check the stored log against itself, its head and its signed checkpoints.

The pure verifier (``audit.pure.log_verify``) does what an auditor repeats offline with ``govctl
verify log`` on the export, including the comparison of each event's query columns with its hashed
bytes; this module feeds it the same records straight from the database and adds what only the
database can show: that the head (the integrator's compact range) agrees with the leaves. Every
problem is reported, each located as narrowly as the evidence proves.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from audit import selectors
from audit.export import verifier_tuples
from audit.models import AuditLogHead, Checkpoint, LogVerificationRun
from audit.pure.log_verify import LogProblem, LogVerification, verify_log
from audit.pure.merkle import CompactRange
from audit.signing import jwks


@dataclass(frozen=True)
class StoredLogVerification:
    """The pure verifier's result plus the head check."""

    log: LogVerification
    head_problems: tuple[LogProblem, ...]

    @property
    def ok(self) -> bool:
        return self.log.ok and not self.head_problems

    @property
    def problems(self) -> tuple[LogProblem, ...]:
        return self.log.problems + self.head_problems

    @property
    def first_bad_seq(self) -> int | None:
        located = [p.seq for p in self.problems if p.seq is not None]
        return min(located) if located else None

    @property
    def headline(self) -> str:
        return self.log.headline or (self.head_problems[0].reason if self.head_problems else "")


def _head_problems(head: AuditLogHead, result: LogVerification, leaves: CompactRange) -> list[LogProblem]:
    """Compare the stored compact range with the one recomputed from the leaves, peak by peak: each
    peak is the root of an aligned subtree, so a differing peak locates a change to its range."""
    if head.size != result.size:
        return [
            LogProblem(
                None, "head", f"the head says size {head.size}, but {result.size} events are integrated"
            )
        ]
    problems = []
    start = 0
    stored = [bytes.fromhex(p) for p in head.peaks]
    widths = [1 << bit for bit in range(head.size.bit_length() - 1, -1, -1) if head.size >> bit & 1]
    for index, (width, computed) in enumerate(zip(widths, leaves.peaks, strict=True)):
        if index >= len(stored) or stored[index] != computed:
            problems.append(
                LogProblem(
                    start,
                    "head",
                    f"the head's subtree root over events {start}..{start + width - 1} differs from the "
                    f"leaves: an event in that range changed after it was integrated",
                    start + width - 1,
                )
            )
        start += width
    return problems


def audit_log_verify() -> StoredLogVerification:
    leaves = CompactRange()

    def events() -> Iterator[tuple[Any, ...]]:
        for record in verifier_tuples(selectors.iter_events()):
            leaves.append(record[2])
            yield record

    notes = list(Checkpoint.objects.order_by("size").values_list("note", flat=True))
    result = verify_log(events(), notes, jwks(), settings.AUDIT_LOG_ORIGIN)
    head = AuditLogHead.objects.get(pk=1)
    return StoredLogVerification(result, tuple(_head_problems(head, result, leaves)))


def audit_log_verify_record() -> tuple[StoredLogVerification, LogVerificationRun]:
    """Verify the whole log and keep the outcome (the dashboard's "last verified")."""
    started = time.monotonic()
    result = audit_log_verify()
    run = LogVerificationRun.objects.create(
        verified_at=timezone.now(),
        ok=result.ok,
        size=result.log.size,
        verified_size=result.log.verified_size,
        checkpoints_checked=len(result.log.checked_checkpoints),
        problem_count=len(result.problems) + result.log.problem_count - len(result.log.problems),
        headline=result.headline,
        seconds=round(time.monotonic() - started, 3),
    )
    return result, run
