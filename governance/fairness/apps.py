from django.apps import AppConfig


class FairnessConfig(AppConfig):
    """Fairness checks over predictions files, run by Celery workers, and their signed bias reports."""

    name = "governance.fairness"
    label = "fairness"

    def ready(self) -> None:
        from governance.fairness import events  # noqa: F401  (declares this app's audit actions)
        from governance.fairness.services import JOB_TYPE, fairness_check_give_up
        from governance.jobs.registry import JobType, register_job_type

        register_job_type(JobType(JOB_TYPE, "fairness.FairnessCheck", give_up=fairness_check_give_up))
