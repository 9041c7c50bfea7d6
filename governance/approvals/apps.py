from typing import Any

from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    """Approval workflow: versioned policies, evidence-bound requests, four-eyes decisions."""

    name = "governance.approvals"
    label = "approvals"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from governance.approvals import events, receivers  # noqa: F401  (declares this app's audit actions)

        receivers.connect()

        # A tier without a policy could not be submitted at all: the defaults follow every migrate
        # (and every test-database flush), as the role groups do.
        post_migrate.connect(_seed_defaults, sender=self, weak=False, dispatch_uid="approvals.seed_defaults")


def _seed_defaults(using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    from governance.approvals.models import ApprovalPolicy
    from governance.approvals.services import approval_policy_seed_defaults

    # Migrating another app backwards (or a flush while approvals are unapplied) must not fail here.
    if ApprovalPolicy._meta.db_table not in connections[using].introspection.table_names():
        return
    approval_policy_seed_defaults()
