"""Fixtures for the carrier tests: the local tracking-service server (see carrier_test_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from carrier_test_server import CarrierServer


@pytest.fixture
def carrier_server() -> Iterator[CarrierServer]:
    server = CarrierServer()
    server.start()
    yield server
    server.stop()
