"""``manage.py audit_checkpoint``: sign a checkpoint of the audit log now (beat does it periodically)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from audit.checkpoints import checkpoint_sign


class Command(BaseCommand):
    help = "Sign a C2SP checkpoint of the audit log's current head (no-op if already signed)."

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoint = checkpoint_sign()
        if checkpoint is None:
            self.stdout.write("Nothing new to sign.")
        else:
            self.stdout.write(checkpoint.note)
