"""A real HTTP receiver on loopback that records what it is sent, and an independent signature check.

The check below is written from the documented scheme with the standard library only; it never imports
the service's signer, so a bug there cannot cancel out here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import transaction

from governance.accounts.principal import cli_principal
from governance.notifications.services import webhook_create, webhook_event_emit

ADMIN = cli_principal("notifications-tests")


def independently_verified(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's check, from the README: v1 HMAC-SHA256 over "<id>.<timestamp>.<raw body>"."""
    version, _, received = headers["x-governance-signature"].partition(",")
    signed = b".".join(
        [headers["x-governance-delivery-id"].encode(), headers["x-governance-timestamp"].encode(), body]
    )
    expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    return version == "v1" and hmac.compare_digest(expected, received)


@dataclass
class Reply:
    """How the receiver answers one request."""

    status: int = 200
    body: bytes = b'{"ok": true}'
    delay: float = 0.0
    location: str = ""
    drip_seconds: float = 0.0  # send the answer one byte at a time over this long


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """Answers with the scripted replies in order, then ``default``; records every request."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    script: deque[Reply] = field(default_factory=deque)
    default: Reply = field(default_factory=Reply)

    def answer(self, *replies: Reply) -> None:
        self.script.extend(replies)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.requests.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time())
            )
            reply = receiver.script.popleft() if receiver.script else receiver.default
            time.sleep(reply.delay)
            head = f"HTTP/1.1 {reply.status} Whatever\r\nContent-Length: {len(reply.body)}\r\n"
            if reply.location:
                head += f"Location: {reply.location}\r\n"
            raw = (head + "Connection: close\r\n\r\n").encode() + reply.body
            try:
                if reply.drip_seconds:
                    pause = reply.drip_seconds / len(raw)
                    for byte in raw:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(pause)
                else:
                    self.wfile.write(raw)
            except OSError:
                pass  # the sender gave up (timeout): expected in those tests
            self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Any:
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    server.block_on_close = False
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/governance"
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _webhook_settings(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_HTTP = True  # loopback receivers speak plain http
    settings.WEBHOOK_TIMEOUT_SECONDS = 2.0
    settings.WEBHOOK_BACKOFF_SECONDS = 10.0
    settings.WEBHOOK_BACKOFF_MAX_SECONDS = 3600.0
    settings.WEBHOOK_MAX_ATTEMPTS = 4


@pytest.fixture
def make_webhook(db: Any) -> Any:
    """Configure a webhook through the service; returns (webhook, secret)."""

    def make(team: Any, url: str, events: tuple[str, ...] = ("approval.submitted",), **extra: Any) -> Any:
        name = extra.pop("name", f"hook-{len(url)}-{'-'.join(e.split('.')[1] for e in events)}")
        issued = webhook_create(actor=ADMIN, team=team, name=name, url=url, events=list(events), **extra)
        return issued.webhook, issued.secret

    return make


def emit(team: Any, event: str = "approval.submitted", data: dict[str, Any] | None = None) -> list[Any]:
    """What an approval service does: emit inside its own transaction."""
    with transaction.atomic():
        return webhook_event_emit(team_id=team.pk, event=event, data=data or {"approval_request_id": 7})
