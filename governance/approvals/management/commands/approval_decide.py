"""``manage.py approval_decide``: decide an approval request as a named person, from a terminal.

For reviewers who work from scripts or a break-glass console. The command acts as the named user:
the same service, the same four-eyes rule and the same signed attestation as the admin and the API;
there is no system or superuser identity that may decide instead.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.accounts.principal import principal_for_user
from governance.approvals.choices import Decision, RequestStatus
from governance.approvals.models import ApprovalRequest
from governance.approvals.services import approval_decide
from governance.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Approve, request changes on, or reject an approval request as the named reviewer."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("decision", choices=Decision.values)
        parser.add_argument("--request", dest="request_id", type=int, help="The approval request's id.")
        parser.add_argument("--model", help="Or: the model's name (with --model-version): its open request.")
        parser.add_argument("--model-version", dest="model_version", help="The version, with --model.")
        parser.add_argument("--as", dest="username", required=True, help="The reviewer's username.")
        parser.add_argument("--comment", required=True)
        parser.add_argument("--role", help="Reviewer role to decide in (default: the first unfilled one).")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {options['username']!r}.")
        if options["request_id"]:
            request = ApprovalRequest.objects.filter(pk=options["request_id"]).first()
        elif options["model"] and options["model_version"]:
            request = (
                ApprovalRequest.objects.filter(
                    model_version__model__name=options["model"],
                    model_version__version=options["model_version"],
                    status=RequestStatus.OPEN,
                )
                .order_by("-created_at")
                .first()
            )
        else:
            raise CommandError("Name the request: --request ID, or --model NAME --model-version VERSION.")
        if request is None:
            raise CommandError("No such approval request (or no open one for that version).")
        try:
            row = approval_decide(
                actor=principal_for_user(user),
                request=request,
                decision=options["decision"],
                comment=options["comment"],
                role=options["role"],
            )
        except ApplicationError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(f"Recorded {row}; request #{request.pk} is {request.status}.")
