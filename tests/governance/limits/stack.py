"""A private redis-server, gunicorn (gthread, as the Procfile runs it) and a worker, for the limits tests."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

from tests.governance.jobs import processes


def read_status(pid: int) -> dict[str, str]:
    """``/proc/PID/status`` as a dict (VmHWM: the peak resident set, VmPeak: the peak address space)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def descendants(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found.append(int(child))
            found.extend(descendants(int(child)))
    return found


def kib(value: str) -> int:
    return int(value.split()[0])


class Stack:
    """Processes and an API key of one test; ``close()`` stops them by PID."""

    def __init__(self, tmp: Path, team, scopes: list[str], **env: str) -> None:
        from governance.accounts.principal import cli_principal
        from governance.accounts.services import api_key_create

        self.tmp = tmp
        self.redis = processes.PrivateRedis()
        self.redis.start()
        self.queue = f"test-limits-{uuid.uuid4().hex[:8]}"
        self.env = processes.child_env(self.redis, self.queue, WORKER_READABLE_ROOTS=str(tmp), **env)
        self.token = api_key_create(
            actor=cli_principal("test"),
            team=team,
            name="limits",
            scopes=scopes,
            expires_in=dt.timedelta(days=1),
        ).secret
        self.port = processes.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.web = processes.start_web(self.env, self.port, tmp / "web.log")
        self.workers: list = []

    def start_worker(self):
        worker = processes.start_worker(self.env, self.queue, self.tmp / "worker.log", self.tmp / "beat")
        self.workers.append(worker)
        return worker

    def post(self, path: str, body: dict):
        return processes.http("POST", self.base + path, self.token, json.dumps(body).encode())

    def close(self) -> None:
        for worker in self.workers:
            processes.kill(worker)
        processes.kill(self.web)
        self.redis.stop()
