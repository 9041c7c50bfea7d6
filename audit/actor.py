"""Who acted, as the audit log needs it: an id and a label, nothing about the domain's accounts.

The evidence layer depends on nothing in ``governance/``: services pass their own principal objects,
which satisfy this protocol structurally.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Actor(Protocol):
    """Anything with a stable id for the log (``user:3``, ``api_key:7``, ``cli:audit_verify``) and a
    human-readable label."""

    @property
    def ident(self) -> str: ...

    @property
    def label(self) -> str: ...


@dataclass(frozen=True)
class SystemActor:
    """The service itself acting (a management command, a periodic task)."""

    ident: str
    label: str


def command_actor(command: str) -> SystemActor:
    """A management command, named with the OS user who ran it."""
    import getpass

    try:
        os_user = getpass.getuser()
    except (KeyError, OSError):
        os_user = "unknown"
    return SystemActor(f"cli:{command}", f"{os_user} via manage.py {command}")
