from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Evidence: the append-only audit log, its Merkle checkpoints, keys and attestations."""

    name = "audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"
