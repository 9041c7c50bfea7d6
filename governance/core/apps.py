from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Cross-cutting plumbing: problem+json errors, pagination, health endpoints."""

    name = "governance.core"
    label = "core"
