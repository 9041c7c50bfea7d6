from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Evidence: the append-only audit log, its Merkle checkpoints, keys and attestations."""

    name = "audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from audit import events  # noqa: F401  (declares the evidence layer's own audit actions)
