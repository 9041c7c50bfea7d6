from django.apps import AppConfig


class FairnessConfig(AppConfig):
    """Fairness checks over predictions files, run by Celery workers, and their signed bias reports."""

    name = "governance.fairness"
    label = "fairness"
