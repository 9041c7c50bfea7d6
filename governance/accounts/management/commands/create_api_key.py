"""``manage.py create_api_key --name ci --team credit-risk --scopes gate:check,inventory:read``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.accounts.models import Team
from governance.accounts.principal import cli_principal
from governance.accounts.roles import MACHINE_SCOPES
from governance.accounts.services import api_key_create
from governance.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Create an API key for a team and print it once (only its hash is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--name", required=True, help="Key name, unique within the team (e.g. github-ci)."
        )
        parser.add_argument("--team", required=True, help="Team slug the key acts for.")
        parser.add_argument(
            "--scopes",
            required=True,
            help="Comma-separated scopes; allowed: " + ", ".join(sorted(s.value for s in MACHINE_SCOPES)),
        )
        parser.add_argument(
            "--expires-in-days", type=int, default=90, help="Lifetime in days (1-366, default 90)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        team = Team.objects.filter(slug=options["team"]).first()
        if team is None:
            raise CommandError(f"No team with slug {options['team']!r}.")
        scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
        try:
            issued = api_key_create(
                actor=cli_principal("create_api_key"),
                team=team,
                name=options["name"],
                scopes=scopes,
                expires_in=dt.timedelta(days=options["expires_in_days"]),
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        except Exception as exc:  # ValidationError from full_clean (e.g. duplicate name)
            messages = getattr(exc, "messages", None)
            if messages:
                raise CommandError("; ".join(messages)) from exc
            raise
        key = issued.api_key
        self.stderr.write(
            f"Created API key {key.name!r} for team {team.slug} (prefix {key.prefix}, scopes "
            f"{', '.join(key.scopes)}, expires {key.expires_at:%Y-%m-%d}). It is shown once; store it now:"
        )
        self.stdout.write(issued.secret)
