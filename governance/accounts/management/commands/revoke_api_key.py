"""``manage.py revoke_api_key --prefix 0123abcd4567``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.accounts.models import ApiKey
from governance.accounts.principal import cli_principal
from governance.accounts.services import api_key_revoke


class Command(BaseCommand):
    help = "Revoke an API key at once (by the prefix shown in the admin and in the key itself)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--prefix", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        key = ApiKey.objects.filter(prefix=options["prefix"]).first()
        if key is None:
            raise CommandError(f"No API key with prefix {options['prefix']!r}.")
        api_key_revoke(actor=cli_principal("revoke_api_key"), api_key=key)
        self.stdout.write(f"Revoked {key}.")
