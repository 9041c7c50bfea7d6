from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Teams, memberships, roles and API keys: who may see and change what."""

    name = "governance.accounts"
    label = "accounts"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_login_failed
        from django.db.models.signals import post_migrate

        from governance.accounts import events, schema, signals  # noqa: F401  (audit actions, OpenAPI)
        from governance.accounts.services import roles_sync

        # Roles are declared in code (roles.py); the matching auth groups follow every migrate. It
        # listens to every app's post_migrate because permissions of apps migrated after this one
        # only exist once their own signal has run; the sync is idempotent and cheap.
        post_migrate.connect(lambda **kwargs: roles_sync(), weak=False, dispatch_uid="accounts.roles_sync")
        # Admin logins and failed logins go into the audit log (who had access, and who tried).
        user_logged_in.connect(signals.on_login, dispatch_uid="accounts.audit_login")
        user_login_failed.connect(signals.on_login_failed, dispatch_uid="accounts.audit_login_failed")
        user_locked_out.connect(signals.on_lockout, dispatch_uid="accounts.audit_lockout")
