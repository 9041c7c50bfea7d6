"""``manage.py signing_key_rotate``: create the first signing key or rotate to a new one."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audit.actor import command_actor
from audit.signing import signing_key_rotate


class Command(BaseCommand):
    help = "Create a new active ECDSA P-256 signing key; the previous one is retired (still in the JWKS)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reason", default="scheduled rotation", help="Recorded in the audit log.")

    def handle(self, *args: Any, **options: Any) -> None:
        key = signing_key_rotate(actor=command_actor("signing_key_rotate"), reason=options["reason"])
        self.stdout.write(f"Active signing key: {key.key_id}")
