"""Vocabularies of the deployment protection rule: our answer to GitHub, and how sending it went."""

from django.db import models


class ProtectionState(models.TextChoices):
    """The ``state`` we answer GitHub with (its review endpoint accepts these two)."""

    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class CallbackStatus(models.TextChoices):
    """``pending`` until GitHub took the answer (``sent``) or the last attempt failed (``failed``);
    ``refused`` when the callback URL was not on the installation's API host (nothing is sent)."""

    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    REFUSED = "refused", "Refused (callback URL not on the API host)"


class SubjectSource(models.TextChoices):
    """Where the model, version and artifact digest to evaluate came from."""

    PAYLOAD = "payload", "Deployment payload"
    GATE_CHECK = "gate_check", "Earlier gate check of the same commit"
    NONE = "none", "None found"
