from django.apps import AppConfig


class GateConfig(AppConfig):
    """The deploy gate: fail-closed verdicts CI asks for, signed and audited; recorded deployments."""

    name = "governance.gate"
    label = "gate"

    def ready(self) -> None:
        from governance.gate import events  # noqa: F401  (declares this app's audit actions)
