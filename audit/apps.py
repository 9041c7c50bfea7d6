from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Evidence: the append-only audit log, its Merkle checkpoints, keys and attestations."""

    name = "audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from audit import signals

        user_logged_in.connect(signals.on_login, dispatch_uid="audit.on_login")
        user_login_failed.connect(signals.on_login_failed, dispatch_uid="audit.on_login_failed")
