"""Audit actions of the GitHub deployment protection rule: configuration, every delivery, every answer.

No payload carries the webhook secret, the private key, a JWT or an installation token.
"""

from audit.vocabulary import declare

GITHUB_INSTALLATION_CREATE = declare(
    "github_installation.create",
    "A GitHub App installation was configured for a team (its secret and private key are never logged).",
    required=("team_id", "installation_id", "app_id", "api_base_url", "environment_map"),
    optional=("account",),
)
GITHUB_INSTALLATION_UPDATE = declare(
    "github_installation.update",
    "A GitHub installation's API host, environment map, account or active flag changed (before and after).",
    required=("changes",),
)
GITHUB_INSTALLATION_CREDENTIALS = declare(
    "github_installation.credentials_replace",
    "A GitHub installation's webhook secret or private key was replaced (which, never the value).",
    required=("replaced",),
)
GITHUB_WEBHOOK_REFUSE = declare(
    "github_webhook.refuse",
    "A delivery to the GitHub endpoint was refused: bad signature, unknown installation or malformed body.",
    required=("delivery_id", "reason", "status"),
    optional=("app_id", "installation_id", "event"),
)
GITHUB_WEBHOOK_IGNORE = declare(
    "github_webhook.ignore",
    "A signed GitHub delivery of an event or action other than deployment_protection_rule/requested.",
    required=("delivery_id", "installation_id", "event", "action"),
)
GITHUB_PROTECTION_REQUEST = declare(
    "github_protection.request",
    "GitHub asked whether a workflow run may deploy to an environment; the verdict and every reason.",
    required=(
        "delivery_id",
        "installation_id",
        "repository",
        "run_id",
        "github_environment",
        "environment",
        "source",
        "subjects",
        "verdict",
        "decision_ids",
        "reason_codes",
    ),
    optional=("sha", "event", "deployment_id", "sender"),
)
GITHUB_PROTECTION_CALLBACK_REFUSE = declare(
    "github_protection.callback_refuse",
    "A protection rule request named a callback URL off the installation's API host: not evaluated, "
    "nothing sent.",
    required=("delivery_id", "installation_id", "callback_origin", "api_base_url", "problem"),
)
GITHUB_PROTECTION_CALLBACK = declare(
    "github_protection.callback",
    "One attempt at answering GitHub (approved or rejected): sent, to be retried, or failed for good.",
    required=("delivery_id", "state", "attempt", "outcome", "status_code", "error"),
)
