"""``manage.py jobs_sweep``: send pending and lost job messages now (what beat does periodically)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from governance.jobs.outbox import jobs_sweep


class Command(BaseCommand):
    help = "Send job messages that never reached the broker, were lost, or whose worker died."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, default=0.0, help="Repeat every N seconds (0: once).")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            result = jobs_sweep()
            self.stdout.write(f"due {result.due}, sent {result.sent}, given up {len(result.given_up)}")
            if not options["every"]:
                return
            time.sleep(options["every"])
