"""``manage.py approvals_expire``: lapse approvals past their validity and re-validate evidence now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from governance.approvals.expiry import approvals_expire_due


class Command(BaseCommand):
    help = "Lapse approvals past their validity and mark requests whose evidence changed as stale."

    def handle(self, *args: Any, **options: Any) -> None:
        result = approvals_expire_due()
        self.stdout.write(
            f"expired {len(result.expired)} {result.expired}, stale {len(result.stale)} {result.stale}"
        )
