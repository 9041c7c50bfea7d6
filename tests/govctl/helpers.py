"""Helpers for the govctl tests: run the CLI in a subprocess and serve files over local HTTP."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


# Variables a CI runner (or a developer's shell) may have set that would change what govctl does.
CI_VARIABLES = frozenset(
    {
        "GOVCTL_TOKEN",
        "GOVERNANCE_URL",
        "GOVERNANCE_API_KEY",
        "GITHUB_ACTIONS",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_OUTPUT",
        "GITLAB_CI",
    }
)


def cli_env(**extra: str) -> dict[str, str]:
    """The environment of a standalone run: no Django settings, no proxy, no CI provider's variables."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "DJANGO_SETTINGS_MODULE" and not k.lower().endswith("_proxy") and k not in CI_VARIABLES
    }
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(extra)
    return env


def run_govctl(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m govctl ARGS`` from the repository root, as an auditor would run it."""
    return subprocess.run(
        [sys.executable, "-m", "govctl", *map(str, args)],
        cwd=REPO,
        env=env or cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@dataclass
class Route:
    body: bytes
    content_type: str = "application/json"
    token: str | None = None  # required bearer token, if any


@dataclass
class FileServer:
    """A tiny HTTP server whose routes the test sets; records the Authorization headers it saw."""

    base_url: str
    routes: dict[str, Route] = field(default_factory=dict)
    seen_auth: list[str | None] = field(default_factory=list)


@contextlib.contextmanager
def serve_files() -> Iterator[FileServer]:
    state = FileServer(base_url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            auth = self.headers.get("Authorization")
            state.seen_auth.append(auth)
            route = state.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            if route.token is not None and auth != f"Bearer {route.token}":
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Bearer realm="api"')
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
