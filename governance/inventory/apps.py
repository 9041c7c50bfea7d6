from django.apps import AppConfig


class InventoryConfig(AppConfig):
    """The model inventory: registered models, versions, model cards, datasets."""

    name = "governance.inventory"
    label = "inventory"
