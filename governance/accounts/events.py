"""Audit actions of accounts: teams, memberships, API keys, logins."""

from audit.vocabulary import declare

TEAM_CREATE = declare("team.create", "A team was created.", required=("slug", "name"))
TEAM_MEMBER_ADD = declare("team.member_add", "A person joined a team.", required=("user_id",))
API_KEY_CREATE = declare(
    "api_key.create",
    "An API key was issued (its secret is never logged).",
    required=("name", "team", "scopes", "expires_at"),
)
API_KEY_REVOKE = declare("api_key.revoke", "An API key was revoked.", required=("name",))
# HIPAA 164.312(b) and SOC 2 CC6: who had access, and who tried.
AUTH_LOGIN = declare("auth.login", "A person logged in to the admin.", required=("path",))
AUTH_LOGIN_FAILED = declare("auth.login_failed", "A failed admin login attempt.", required=("path",))
AUTH_LOCKOUT = declare(
    "auth.lockout",
    "Admin logins for a username from an address were locked after repeated failures (django-axes).",
    required=("path", "failure_limit"),
)
