from django.apps import AppConfig


class GitHubIntegrationConfig(AppConfig):
    """GitHub deployment protection rule: GitHub asks, the deploy gate decides, GitHub is answered."""

    name = "governance.integrations.github"
    label = "github_integration"
    verbose_name = "GitHub deployment protection"

    def ready(self) -> None:
        from governance.integrations.github import events  # noqa: F401  (declares this app's audit actions)
        from governance.integrations.github.callback import JOB_TYPE, protection_callback_give_up
        from governance.jobs.registry import JobType, register_job_type

        register_job_type(
            JobType(
                JOB_TYPE,
                "github_integration.ProtectionRuleRequest",
                give_up=protection_callback_give_up,
                states={"pending": "queued", "sent": "succeeded", "refused": "failed"},
            )
        )
