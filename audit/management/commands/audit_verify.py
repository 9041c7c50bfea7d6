"""``manage.py audit_verify``: recompute every leaf and the tree, check every signed checkpoint."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.integrity import audit_log_verify


class Command(BaseCommand):
    help = (
        "Verify the audit log: leaf hashes, sequence, canonical bytes vs columns, head, and every "
        "checkpoint's signature and root. Exits non-zero with the first bad sequence number."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_log_verify()
        log = result.log
        if result.ok:
            self.stdout.write(
                f"OK: {log.size} events, root {log.root.hex()}, {len(log.checked_checkpoints)} checkpoints "
                f"verified (signed up to size {log.verified_size})."
            )
            return
        where = (
            f"first bad sequence number {result.first_bad_seq}" if result.first_bad_seq is not None else "log"
        )
        for problem in log.problems[:20]:
            self.stderr.write(f"  {problem}")
        raise CommandError(f"{where}: {result.reason}")
