"""The outbox row and lease of one task message: how a committed job is guaranteed to run."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class JobDispatch(models.Model):
    """One task message a committed job needs: written in the job's own transaction (outbox), sent after
    commit, leased by the worker that runs it (heartbeat), re-sent by the sweeper when it was never sent,
    never picked up, or its worker died. Finished once a worker completes it.
    """

    key = models.CharField(
        max_length=255, unique=True, help_text="Task name and arguments: one row per message."
    )
    task = models.CharField(max_length=100)
    args = models.JSONField(default=list)
    job_type = models.CharField(max_length=50, help_text="A name registered in governance.jobs.registry.")
    job_id = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="Last hand-over to the broker.")
    sends = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(
        null=True, blank=True, help_text="A worker took the lease (acknowledged)."
    )
    attempts = models.PositiveIntegerField(default=0, help_text="Runs started by workers.")
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["job_type", "job_id"], name="jobdispatch_job"),
            models.Index(
                fields=["created_at"], condition=models.Q(finished_at__isnull=True), name="jobdispatch_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task}{self.args} ({self.state})"

    @property
    def state(self) -> str:
        """pending (not yet with the broker), sent, running (leased), finished."""
        if self.finished_at:
            return "finished"
        if self.lease_owner and self.lease_expires_at and self.lease_expires_at > timezone.now():
            return "running"
        return "sent" if self.sent_at else "pending"
