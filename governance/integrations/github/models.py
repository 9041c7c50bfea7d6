"""GitHub App installations a team answers deployment protection rules for, and the log of each request."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from governance.accounts.models import Team
from governance.approvals.choices import Environment
from governance.core.visibility import TeamScopedQuerySet
from governance.integrations.github import constants
from governance.integrations.github.choices import CallbackStatus, ProtectionState, SubjectSource
from governance.integrations.github.validators import api_base_url_validate, environment_map_validate


class GitHubInstallation(models.Model):
    """One installation of a team's GitHub App: how to verify its webhooks and answer as it.

    The gate is evaluated as the team (a principal with ``gate:check`` on that team only). The webhook
    secret and the private key are written once and never shown again: the secret is kept as given (it
    is an HMAC key), the key as PKCS#8 encrypted with ``SIGNING_KEY_PASSPHRASE``. Neither is editable
    here, logged, or put in an audit payload. ``api_base_url`` is the only host answers go to.
    """

    TEAM_PATH = "team_id"  # one visibility rule: governance.core.visibility
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="github_installations")
    installation_id = models.PositiveBigIntegerField(
        unique=True, help_text="The installation's id (the webhook's installation.id)."
    )
    app_id = models.PositiveBigIntegerField(
        help_text="The GitHub App's id: the JWT issuer, and GitHub's X-GitHub-Hook-Installation-Target-ID."
    )
    account = models.CharField(
        max_length=100, blank=True, help_text="The organization or user the App is installed on."
    )
    api_base_url = models.URLField(
        max_length=300,
        default=constants.DEFAULT_API_BASE_URL,
        validators=[api_base_url_validate],
        help_text="GitHub's REST API root (https://HOSTNAME/api/v3 for GitHub Enterprise Server); the only "
        "origin callbacks are sent to.",
    )
    environment_map = models.JSONField(
        validators=[environment_map_validate],
        help_text='GitHub environment name to ours, e.g. {"production": "prod", "staging": "staging"}.',
    )
    webhook_secret = models.CharField(max_length=200, editable=False)
    private_key = models.TextField(editable=False, help_text="Encrypted PKCS#8 PEM.")
    active = models.BooleanField(default=True)
    created_by = models.CharField(max_length=100, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["team_id", "installation_id"]
        verbose_name = "GitHub installation"
        indexes = [models.Index(fields=["app_id"], name="githubinstallation_app")]

    def __str__(self) -> str:
        return f"GitHub installation {self.installation_id}" + (f" ({self.account})" if self.account else "")

    def environment_for(self, github_environment: str) -> str:
        """Our environment for a GitHub environment name ('' when it is not mapped)."""
        value = (self.environment_map or {}).get(github_environment, "")
        return value if value in Environment.values else ""


class ProtectionRuleRequest(models.Model):
    """One ``deployment_protection_rule`` request: what GitHub asked, our verdict and why, how answering went.

    Written when the signed webhook arrives (the gate decisions in the same transaction); the answer is
    then sent by jobs, one message per attempt (``status``, ``attempts`` and ``next_attempt_at`` as for
    team webhooks). ``comment`` is the exact text sent. A request whose callback URL was not on the API
    host is kept as ``refused``: nothing was evaluated or sent.
    """

    TEAM_PATH = "installation__team_id"  # one visibility rule: governance.core.visibility
    installation = models.ForeignKey(
        GitHubInstallation, on_delete=models.PROTECT, related_name="protection_requests"
    )
    delivery_id = models.CharField(max_length=100, unique=True, help_text="GitHub's X-GitHub-Delivery.")
    repository = models.CharField(max_length=300, blank=True)
    repository_id = models.PositiveBigIntegerField(null=True, blank=True)
    run_id = models.PositiveBigIntegerField(null=True, blank=True)
    github_environment = models.CharField(max_length=255)
    environment = models.CharField(max_length=20, choices=Environment.choices, blank=True)
    sha = models.CharField(max_length=64, blank=True)
    event = models.CharField(max_length=50, blank=True, help_text="What triggered the workflow run.")
    deployment_id = models.PositiveBigIntegerField(null=True, blank=True)
    sender = models.CharField(max_length=100, blank=True)
    callback_url = models.CharField(max_length=1000)
    source = models.CharField(max_length=20, choices=SubjectSource.choices, default=SubjectSource.NONE)
    subjects = models.JSONField(default=list, blank=True, help_text="[{model, version, artifact_digest}]")
    decision_ids = models.JSONField(default=list, blank=True)
    verdict = models.CharField(max_length=10, choices=ProtectionState.choices, blank=True)
    reasons = models.JSONField(default=list, blank=True, help_text="[{subject, code, message}]")
    comment = models.TextField(blank=True, help_text="The comment sent to GitHub, exactly.")
    status = models.CharField(max_length=10, choices=CallbackStatus.choices, default=CallbackStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response_excerpt = models.CharField(max_length=600, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "protection rule request"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending", next_attempt_at__isnull=False),
                name="protectionrequest_due",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=CallbackStatus.values), name="protectionrequest_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status="refused") | models.Q(verdict__in=ProtectionState.values),
                name="protectionrequest_answer_has_verdict",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(answered_at__isnull=False),
                name="protectionrequest_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.repository} run {self.run_id} → {self.github_environment}: {self.verdict or self.status}"
        )
