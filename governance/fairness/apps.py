from django.apps import AppConfig


class FairnessConfig(AppConfig):
    """Fairness checks over predictions files, run by Celery workers, and their signed bias reports."""

    name = "governance.fairness"
    label = "fairness"

    def ready(self) -> None:
        from governance.fairness import events  # noqa: F401  (declares this app's audit actions)
