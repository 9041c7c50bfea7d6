"""Choices shared by several apps."""

from django.db import models


class JobStatus(models.TextChoices):
    """Lifecycle of work done by Celery workers (artifact hashing, fairness checks)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
