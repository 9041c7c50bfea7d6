"""Vocabularies of notifications: the events a team may subscribe to, and where a delivery stands."""

from django.db import models


class WebhookEvent(models.TextChoices):
    """Approval events sent to team webhooks (the ``event`` of each delivery and its payload)."""

    APPROVAL_SUBMITTED = "approval.submitted", "Approval requested (a version was submitted)"
    APPROVAL_DECIDED = "approval.decided", "Approval decided (approved, rejected, changes requested)"
    APPROVAL_EXPIRED = "approval.expired", "Approval expired (past its validity)"
    APPROVAL_STALE = "approval.stale", "Approval request stale (the evidence changed)"


class DeliveryStatus(models.TextChoices):
    """``pending`` until a 2xx answer (``delivered``) or the last attempt failed (``failed``)."""

    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
