"""Where verify inputs come from: a local file, standard input, or an http(s) URL.

Only :mod:`urllib` is used (no ``requests``), so the CLI has no HTTP dependency. The API token is
sent as ``Authorization: Bearer`` with :meth:`urllib.request.Request.add_unredirected_header`, so
a redirect never forwards it to another host. The public JWKS is fetched without the token.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import IO, Any, Final

from audit.pure.evidence.errors import KeyFormatError
from audit.pure.evidence.keys import trusted_keys_from_jwks

from .errors import InputError

DEFAULT_TIMEOUT: Final = 30.0
MAX_DOCUMENT_BYTES: Final = 64 << 20
"""Cap on a JSON document read whole (bundle, JWKS, checkpoint list); the event log is streamed."""

USER_AGENT: Final = "govctl"
STDIN: Final = "-"


def is_url(source: str) -> bool:
    """True for http:// and https:// sources; everything else is a file path (or ``-``)."""
    return urllib.parse.urlsplit(source).scheme.lower() in {"http", "https"}


def _request(url: str, token: str | None, accept: str) -> urllib.request.Request:
    request = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": USER_AGENT})  # noqa: S310
    if token:
        request.add_unredirected_header("Authorization", f"Bearer {token}")
    return request


@contextlib.contextmanager
def _http_stream(url: str, token: str | None, accept: str, timeout: float) -> Iterator[IO[bytes]]:
    if not is_url(url):
        raise InputError(f"not an http(s) URL: {url}")
    try:
        response = urllib.request.urlopen(_request(url, token, accept), timeout=timeout)  # noqa: S310
    except urllib.error.HTTPError as exc:
        hint = " (check --token)" if exc.code in (401, 403) else ""
        raise InputError(f"GET {url}: HTTP {exc.code} {exc.reason}{hint}") from exc
    except urllib.error.URLError as exc:
        raise InputError(f"GET {url}: {exc.reason}") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise InputError(f"GET {url}: {exc}") from exc
    with response:
        yield response


@contextlib.contextmanager
def open_binary(
    source: str, *, token: str | None = None, accept: str = "*/*", timeout: float = DEFAULT_TIMEOUT
) -> Iterator[IO[bytes]]:
    """Open a file, ``-`` (stdin) or URL for reading bytes; read errors become :class:`InputError`."""
    if is_url(source):
        with _http_stream(source, token, accept, timeout) as stream:
            yield stream
        return
    if source == STDIN:
        yield sys.stdin.buffer
        return
    try:
        handle = open(source, "rb")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc.strerror or exc}") from exc
    with handle:
        yield handle


def read_document(
    source: str,
    *,
    what: str,
    token: str | None = None,
    accept: str = "application/json",
    timeout: float = DEFAULT_TIMEOUT,
) -> bytes:
    """The whole content of a (small) source, at most :data:`MAX_DOCUMENT_BYTES`."""
    try:
        with open_binary(source, token=token, accept=accept, timeout=timeout) as stream:
            data = stream.read(MAX_DOCUMENT_BYTES + 1)
    except (OSError, http.client.HTTPException) as exc:
        raise InputError(f"cannot read {what} from {source}: {exc}") from exc
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InputError(f"{what} at {source} is larger than {MAX_DOCUMENT_BYTES} bytes")
    return data


def load_jwks(source: str, *, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """Read and validate the trusted JWKS (file or URL); an unusable key set is an input error."""
    data = read_document(source, what="JWKS", timeout=timeout)
    try:
        jwks = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"JWKS at {source} is not JSON: {exc}") from exc
    try:
        trusted = trusted_keys_from_jwks(jwks)
    except KeyFormatError as exc:
        raise InputError(f"JWKS at {source} is not a usable key set: {exc}") from exc
    if not trusted:
        raise InputError(f"JWKS at {source} contains no keys")
    assert isinstance(jwks, dict)  # trusted_keys_from_jwks accepted it as a JSON object
    return jwks
