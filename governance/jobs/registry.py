"""The job types: which model holds each job's status, and how to fail a job the workers keep dying on.

Domain apps register their types in ``AppConfig.ready``; this package imports no domain app.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class JobType:
    """A kind of job: its model (``app_label.Model``, with ``status`` and ``created_at``) and give-up hook.

    ``states`` maps the model's own status names to the health vocabulary (queued, running, succeeded,
    failed) where they differ, e.g. a webhook delivery's ``pending`` is ``queued``.
    """

    name: str
    model: str
    give_up: Callable[[int, str], object]
    states: Mapping[str, str] = field(default_factory=dict)

    def state_of(self, status: str) -> str:
        return self.states.get(status, status)


_types: dict[str, JobType] = {}


def register_job_type(job_type: JobType) -> None:
    if _types.get(job_type.name, job_type) != job_type:
        raise ValueError(f"job type {job_type.name!r} is already registered differently")
    _types[job_type.name] = job_type


def job_types() -> dict[str, JobType]:
    return dict(_types)
