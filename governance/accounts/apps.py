from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Teams, memberships, roles and API keys: who may see and change what."""

    name = "governance.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from governance.accounts.services import roles_sync

        # Roles are declared in code (roles.py); the matching auth groups follow every migrate.
        post_migrate.connect(lambda **kwargs: roles_sync(), sender=self, weak=False)
