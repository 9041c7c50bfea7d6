"""Status and decision vocabularies of approvals."""

from django.db import models


class RequestStatus(models.TextChoices):
    """Where an approval request stands; only ``open`` requests take decisions."""

    OPEN = "open", "Open"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    WITHDRAWN = "withdrawn", "Withdrawn"
    STALE = "stale", "Stale (evidence changed)"
    EXPIRED = "expired", "Expired"


class Decision(models.TextChoices):
    """What a reviewer decided."""

    APPROVE = "approve", "Approve"
    REQUEST_CHANGES = "request_changes", "Request changes"
    REJECT = "reject", "Reject"


class Environment(models.TextChoices):
    """Target environments a version is submitted for."""

    DEV = "dev", "Development"
    STAGING = "staging", "Staging"
    PROD = "prod", "Production"
