from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Outbound team webhooks for approval events: signed deliveries, retried by jobs, logged."""

    name = "governance.notifications"
    label = "notifications"

    def ready(self) -> None:
        from governance.jobs.registry import JobType, register_job_type
        from governance.notifications import events  # noqa: F401  (declares this app's audit actions)
        from governance.notifications.delivery import JOB_TYPE, webhook_delivery_give_up

        register_job_type(
            JobType(
                JOB_TYPE,
                "notifications.WebhookDelivery",
                give_up=webhook_delivery_give_up,
                states={"pending": "queued", "delivered": "succeeded"},
            )
        )
