"""Which URIs a worker may read: ``file://`` URIs and absolute paths under configured roots only.

Without the roots, anyone allowed to submit a fairness check or hash an artifact could make the
service read (and quote back, or sign a listing of) any file the worker can open: /etc/shadow,
private keys. ``WORKER_READABLE_ROOTS`` names the shared storage where models and predictions live.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from django.conf import settings

from governance.core.exceptions import ApplicationError


def local_path(uri: str, *, field: str) -> Path:
    """The resolved local path behind ``uri``, or an ApplicationError naming ``field``."""
    parsed = urlparse(uri)
    if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
        raw = unquote(parsed.path)
    elif not parsed.scheme and uri.startswith("/"):
        raw = uri
    else:
        raise ApplicationError(
            f"Workers can read file:// URIs only; {parsed.scheme or 'relative'} URIs are not readable here.",
            field=field,
            code="unsupported_uri",
        )
    if "\x00" in raw:
        raise ApplicationError("The path contains a NUL character.", field=field, code="invalid")
    path = Path(raw).resolve()  # symlinks and '..' resolved before the check
    roots = [Path(root).resolve() for root in settings.WORKER_READABLE_ROOTS]
    if not any(path.is_relative_to(root) for root in roots):
        raise ApplicationError(
            "The path is outside the storage workers may read (WORKER_READABLE_ROOTS).",
            field=field,
            code="forbidden_path",
        )
    return path
