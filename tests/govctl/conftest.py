"""Fixtures of the govctl tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.govctl.gate_server import GateStandIn, serve_gate
from tests.govctl.helpers import FileServer, serve_files


@pytest.fixture
def file_server() -> Iterator[FileServer]:
    """A local HTTP server in a thread; tests fill in its routes."""
    with serve_files() as server:
        yield server


@pytest.fixture
def gate() -> Iterator[GateStandIn]:
    """The loopback stand-in of the gate API (tests queue faults and read what it saw)."""
    with serve_gate() as stand_in:
        yield stand_in
