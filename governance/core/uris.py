"""Which URIs a worker can read directly: ``file://`` URIs and absolute paths on shared storage."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from governance.core.exceptions import ApplicationError


def local_path(uri: str, *, field: str) -> Path:
    """The local path behind ``uri``, or an ApplicationError naming ``field`` (object stores come later)."""
    parsed = urlparse(uri)
    if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
        return Path(unquote(parsed.path))
    if not parsed.scheme and uri.startswith("/"):
        return Path(uri)
    raise ApplicationError(
        f"Workers can read file:// URIs only; {parsed.scheme or 'relative'} URIs are not readable here.",
        field=field,
        code="unsupported_uri",
    )
