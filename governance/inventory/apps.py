from django.apps import AppConfig


class InventoryConfig(AppConfig):
    """The model inventory: registered models, versions, model cards, datasets."""

    name = "governance.inventory"
    label = "inventory"

    def ready(self) -> None:
        from governance.inventory import events  # noqa: F401  (declares this app's audit actions)
        from governance.inventory.artifacts import JOB_TYPE, artifact_hash_give_up
        from governance.jobs.registry import JobType, register_job_type

        register_job_type(JobType(JOB_TYPE, "inventory.ArtifactHashJob", give_up=artifact_hash_give_up))
