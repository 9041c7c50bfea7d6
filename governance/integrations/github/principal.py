"""Who acts when GitHub asks: the installation, as its team's CI would, holding only ``gate:check``."""

from __future__ import annotations

from governance.accounts.principal import Principal
from governance.accounts.roles import Scope
from governance.integrations.github.models import GitHubInstallation


def installation_principal(installation: GitHubInstallation) -> Principal:
    """The installation acts like a CI key of its team that holds only ``gate:check``.

    Its decisions are visible to that team (the gate's rule) and it sees that team's versions only; the
    audit log names it ``github_installation:<pk>``.
    """
    return Principal(
        kind="integration",
        ident=f"github_installation:{installation.pk}",
        label=f"GitHub installation {installation.installation_id} ({installation.team.slug})",
        scopes=frozenset({Scope.GATE_CHECK}),
        team_ids=frozenset({installation.team_id}),
    )
