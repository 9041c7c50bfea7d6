"""One HTTP POST to a receiver, bounded in time and in what is read, never following a redirect.

Pure standard library (``http.client``, no Django): ``http.client`` does not follow redirects, read
proxies from the environment or read more of the answer than asked. A watchdog shuts the socket down
when the whole exchange passes ``timeout`` seconds, so a receiver that trickles its answer one byte at a
time cannot hold a worker longer than that (a socket timeout alone bounds each read, not their sum).
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class PostResult:
    """What a receiver answered (``status``), the start of its body, or why there was no answer."""

    status: int | None
    excerpt: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(
    url: str, body: bytes, headers: Mapping[str, str], *, timeout: float, excerpt_bytes: int
) -> PostResult:
    """POST ``body`` to ``url``; any answer is a result, as is any failure to get one (never raises)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            host, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    elif parts.scheme == "http":
        connection = http.client.HTTPConnection(host, parts.port, timeout=timeout)
    else:
        return PostResult(None, error=f"Unsupported URL scheme {parts.scheme!r}.")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    expired = threading.Event()

    def abort() -> None:
        expired.set()
        sock = connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(timeout, abort)
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", target, body=body, headers=dict(headers))
        response = connection.getresponse()
        excerpt = response.read(excerpt_bytes).decode("utf-8", errors="replace")
        if expired.is_set():
            raise TimeoutError
        error = ""
        if 300 <= response.status < 400:
            location = (response.getheader("Location") or "")[:200]
            error = f"Answered {response.status} (redirect to {location!r}); redirects are not followed."
        elif not 200 <= response.status < 300:
            error = f"Answered {response.status}."
        return PostResult(response.status, excerpt=excerpt, error=error)
    except TimeoutError:
        return PostResult(None, error=f"No answer within {timeout:g} s.")
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set():
            return PostResult(None, error=f"No answer within {timeout:g} s.")
        return PostResult(None, error=f"{type(exc).__name__}: {exc}"[:500])
    finally:
        watchdog.cancel()
        connection.close()
