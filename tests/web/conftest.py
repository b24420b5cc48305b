"""Fixtures for the dashboard tests: the hand-written store, the app at a fixed instant, a login."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from web_store import NOW, add_everything, log_in

from sasame.config import Settings
from sasame.core.clock import fixed_clock
from sasame.db import make_engine
from sasame.web.app import create_app


@pytest.fixture(scope="session")
def store_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fill a copy of the migrated database with the hand-written store once; each test gets its own
    copy of the file."""
    path = tmp_path_factory.mktemp("store") / "store.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    add_everything(engine)
    engine.dispose()  # the last connection closing folds the WAL back into the file
    return path


@pytest.fixture
def sqlite_store(store_template: Path, tmp_path: Path) -> Iterator[Engine]:
    path = tmp_path / "store.db"
    shutil.copyfile(store_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


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
