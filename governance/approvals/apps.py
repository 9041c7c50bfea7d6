from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    """Approval workflow: versioned policies, evidence-bound requests, four-eyes decisions."""

    name = "governance.approvals"
    label = "approvals"

    def ready(self) -> None:
        from governance.approvals import events  # noqa: F401  (declares this app's audit actions)
