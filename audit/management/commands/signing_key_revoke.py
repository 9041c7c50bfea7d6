"""``manage.py signing_key_revoke KEY_ID --reason ...``: declare a signing key compromised."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.actor import command_actor
from audit.models import SigningKey
from audit.signing import signing_key_revoke


class Command(BaseCommand):
    help = (
        "Mark a signing key revoked (compromised): the JWKS publishes it as revoked, verifiers and the "
        "deploy gate refuse what it signed. The active key is rotated first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key_id", help="The key id (sha256 of its public key), as in the JWKS.")
        parser.add_argument("--reason", required=True, help="Recorded in the audit log.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            key = signing_key_revoke(
                actor=command_actor("signing_key_revoke"), key_id=options["key_id"], reason=options["reason"]
            )
        except SigningKey.DoesNotExist as exc:
            raise CommandError(f"No signing key {options['key_id']}.") from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Revoked signing key: {key.key_id}")
