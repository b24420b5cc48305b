"""Fixtures for the dashboard tests: the hand-written store, the app at a fixed instant, a login."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from web_store import NOW, add_everything, log_in

from sasame.config import Settings
from sasame.core.clock import fixed_clock
from sasame.web.app import create_app


@pytest.fixture
def sqlite_store(sqlite_engine: Engine) -> Engine:
    add_everything(sqlite_engine)
    return sqlite_engine


@pytest.fixture
def app(sqlite_store: Engine) -> FastAPI:
    return create_app(
        sqlite_store, Settings(database_url="sqlite://", secret_key="test-secret"), fixed_clock(NOW)
    )


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as anonymous:
        yield anonymous


@pytest.fixture
def owner(client: TestClient) -> TestClient:
    """The same client, logged in as the owner."""
    response = log_in(client)
    assert response.status_code == 303, response.text
    return client
