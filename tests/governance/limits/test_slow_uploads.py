"""Issue 10 finding 5 against a real gunicorn (gthread, as the Procfile runs it): two slow uploads hold a
thread each, not the worker, and ``/-/alive`` keeps answering within a second."""

from __future__ import annotations

import socket
import statistics
import threading
import time
import urllib.request

import pytest

from tests.governance.limits.stack import Stack

pytestmark = pytest.mark.worker

DECLARED_BYTES = 3_000_000
RATE_BYTES_PER_SECOND = 50_000
SENDING_SECONDS = 4.0
ALIVE_BOUND_SECONDS = 1.0


@pytest.fixture
def stack(committed_db, tmp_path, team_a):
    running = Stack(tmp_path, team_a, ["fairness:read", "fairness:write"])
    yield running
    running.close()


def slow_upload(port: int, token: str, stop: threading.Event, sent: list[int]) -> None:
    """A multipart POST declaring 3 MB, trickled at ~50 KB/s over a raw socket until ``stop``."""
    boundary = "slowboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.csv"\r\n'
        "Content-Type: text/csv\r\n\r\ng,y,p\r\n"
    ).encode()
    request = (
        "POST /api/v1/fairness-checks/ HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {DECLARED_BYTES}\r\n\r\n"
    ).encode()
    piece = b"a,1,0\n" * (RATE_BYTES_PER_SECOND // 10 // 6)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request + head)
        total = len(head)
        while not stop.is_set() and total + len(piece) < DECLARED_BYTES:
            sock.sendall(piece)
            total += len(piece)
            time.sleep(0.1)
        sent.append(total)


def test_alive_answers_within_a_second_during_two_slow_uploads(stack, capsys):
    stop = threading.Event()
    sent: list[int] = []
    uploads = [
        threading.Thread(target=slow_upload, args=(stack.port, stack.token, stop, sent)) for _ in range(2)
    ]
    for upload in uploads:
        upload.start()
    time.sleep(0.5)  # both uploads are being read by now
    latencies = []
    deadline = time.monotonic() + SENDING_SECONDS
    while time.monotonic() < deadline:
        started = time.monotonic()
        with urllib.request.urlopen(f"{stack.base}/-/alive", timeout=5) as response:
            assert response.status == 200
        latencies.append(time.monotonic() - started)
        time.sleep(0.2)
    stop.set()
    for upload in uploads:
        upload.join(timeout=10)
    assert len(sent) == 2 and all(total > RATE_BYTES_PER_SECOND * 2 for total in sent), sent
    with capsys.disabled():
        print(
            f"\n[limits] /-/alive during two slow uploads ({[round(t / 1e3) for t in sent]} KB sent at "
            f"~{RATE_BYTES_PER_SECOND // 1000} KB/s each): {len(latencies)} probes, "
            f"max {max(latencies) * 1000:.0f} ms, median {statistics.median(latencies) * 1000:.0f} ms"
        )
    assert max(latencies) < ALIVE_BOUND_SECONDS
    assert stack.web.poll() is None  # gunicorn's worker was not killed
