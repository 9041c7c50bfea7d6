from django.apps import AppConfig


class InventoryConfig(AppConfig):
    """The model inventory: registered models, versions, model cards, datasets."""

    name = "governance.inventory"
    label = "inventory"

    def ready(self) -> None:
        from governance.inventory import events  # noqa: F401  (declares this app's audit actions)
