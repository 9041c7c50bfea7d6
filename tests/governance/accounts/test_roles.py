"""Roles are declared once in code; groups and scopes follow from that declaration."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from governance.accounts.principal import principal_for_user
from governance.accounts.roles import MACHINE_SCOPES, ROLES, Role, Scope

pytestmark = pytest.mark.django_db


def test_every_role_has_a_group_with_admin_permissions():
    for role in Role:
        group = Group.objects.get(name=role.value)
        assert group.permissions.filter(codename="view_registeredmodel").exists(), role
    submitter = Group.objects.get(name=Role.SUBMITTER)
    assert submitter.permissions.filter(codename="change_modelversion").exists()
    auditor = Group.objects.get(name=Role.AUDITOR)
    assert not auditor.permissions.exclude(codename__startswith="view_").exists()
    assert not Group.objects.filter(permissions__codename__startswith="delete_").exists()


def test_principal_combines_roles_and_teams(make_user, team_a, team_b):
    person = make_user("submitter", "privacy_officer", teams=(team_a,))
    principal = principal_for_user(person)
    assert principal.roles == {Role.SUBMITTER, Role.PRIVACY_OFFICER}
    assert Scope.INVENTORY_WRITE in principal.scopes and Scope.APPROVALS_DECIDE in principal.scopes
    assert principal.read_all_teams and not principal.write_all_teams
    assert principal.can_write_team(team_a.pk) and not principal.can_write_team(team_b.pk)
    assert principal.is_reviewer


def test_superuser_is_admin_and_inactive_user_has_nothing(make_user):
    assert Role.ADMIN in principal_for_user(make_user(is_superuser=True)).roles
    assert principal_for_user(make_user("admin", is_active=False)).scopes == frozenset()


def test_machines_never_decide_or_administer():
    assert Scope.APPROVALS_DECIDE not in MACHINE_SCOPES
    assert {Scope.KEYS_ADMIN, Scope.TEAMS_ADMIN}.isdisjoint(MACHINE_SCOPES)
    assert all(Scope.APPROVALS_DECIDE in ROLES[r].scopes for r in Role if ROLES[r].is_reviewer)
