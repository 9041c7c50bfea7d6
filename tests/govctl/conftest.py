"""Fixtures of the govctl tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.govctl.helpers import FileServer, serve_files


@pytest.fixture
def file_server() -> Iterator[FileServer]:
    """A local HTTP server in a thread; tests fill in its routes."""
    with serve_files() as server:
        yield server
