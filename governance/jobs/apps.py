from django.apps import AppConfig


class JobsConfig(AppConfig):
    """Background jobs that are never lost: a transactional outbox, heartbeat leases and a sweeper."""

    name = "governance.jobs"
    label = "jobs"
