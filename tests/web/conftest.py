"""Fixtures for the dashboard tests: the hand-written store, the app at a fixed instant, a login."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from web_store import NOW, OWNER_EMAIL, OWNER_PASSWORD, add_everything

from sasame.config import Settings
from sasame.core.clock import fixed_clock
from sasame.web.app import create_app

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def log_in(client: TestClient, email: str = OWNER_EMAIL, password: str = OWNER_PASSWORD):
    """Log in through the form like a browser: fetch it for the token, then post it."""
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}, follow_redirects=False
    )


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
