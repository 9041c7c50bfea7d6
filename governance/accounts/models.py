"""Teams own models and datasets; API keys let machines act for one team."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from governance.core.visibility import TeamScopedQuerySet

slug_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9-]{0,62}$", "Use 1-63 lowercase letters, digits and hyphens."
)


class Team(models.Model):
    """The unit of ownership: every model and dataset belongs to exactly one team."""

    TEAM_PATH = "id"  # one visibility rule: governance.core.visibility
    slug = models.CharField(max_length=63, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class Membership(models.Model):
    """A person belongs to a team; what they may do there comes from their roles."""

    TEAM_PATH = "team_id"  # one visibility rule: governance.core.visibility
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="membership_unique_user_team")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class ApiKey(models.Model):
    """A machine credential for one team (CI pipelines, training jobs).

    Only a SHA-256 of the key is stored: the key is 256 random bits, so a slow password hash would
    add latency to every gate call without adding security. The prefix finds the row.
    """

    TEAM_PATH = "team_id"  # one visibility rule: governance.core.visibility
    name = models.CharField(max_length=100)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="api_keys")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="apikey_unique_team_name")]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.team.slug}, {self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
