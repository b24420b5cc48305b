"""Login, logout, sessions, CSRF, throttling and the rule that everything but login is private."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import fastapi.routing
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from web_store import NOW, OWNER_EMAIL, csrf_from, log_in

from sasame.config import Settings, secret_key_file
from sasame.core.clock import fixed_clock
from sasame.web.app import create_app
from sasame.web.security import LoginThrottle

PUBLIC_PATHS = {"/login", "/api/health"}


def _routes(app: FastAPI) -> list[tuple[str, set[str]]]:
    """Return every (path, methods) the app answers, through included routers too."""
    if hasattr(fastapi.routing, "iter_route_contexts"):  # FastAPI >= 0.16x includes routers lazily
        routes = list(fastapi.routing.iter_route_contexts(app.routes))
    else:
        routes = app.routes
    return [(getattr(r, "path", ""), set(getattr(r, "methods", None) or ())) for r in routes]


def test_login_success_sets_a_safe_session_cookie(client: TestClient):
    response = log_in(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("sasame_session=")
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    page = client.get("/")
    assert page.status_code == 200
    assert OWNER_EMAIL in page.text


def test_login_failure_says_so_without_saying_which_part(client: TestClient):
    wrong_password = log_in(client, password="not the password")
    unknown_email = log_in(client, email="nobody@example.com")
    for response in (wrong_password, unknown_email):
        assert response.status_code == 400
        assert "That email and password do not match an account." in response.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_login_returns_to_the_page_asked_for_but_never_to_another_site(client: TestClient):
    response = client.get("/inventory", follow_redirects=False)
    assert response.headers["location"] == "/login?next=/inventory"
    token = csrf_from(client.get("/login?next=/inventory").text)
    form = {"email": OWNER_EMAIL, "password": "correct horse battery staple", "csrf_token": token}
    assert (
        client.post("/login", data={**form, "next": "/inventory"}, follow_redirects=False).headers["location"]
        == "/inventory"
    )
    client.cookies.clear()
    token = csrf_from(client.get("/login").text)
    form["csrf_token"] = token
    for hostile in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        assert (
            client.post("/login", data={**form, "next": hostile}, follow_redirects=False).headers["location"]
            == "/"
        )
        client.cookies.clear()
        form["csrf_token"] = csrf_from(client.get("/login").text)


def test_logged_out_pages_redirect_to_login(client: TestClient):
    for path in ("/", "/support", "/inventory", "/finance", "/marketing", "/operations"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login"), path


def test_logged_out_api_answers_401_json(client: TestClient):
    for path in ("/api/overview/sales", "/api/overview/headline", "/api/support", "/api/openapi.json"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json() == {"detail": "not logged in"}


def test_every_route_but_login_static_and_health_needs_a_login(app: FastAPI, client: TestClient):
    """Walk the app's routes so that a new route cannot be added unprotected unnoticed."""
    checked = 0
    for path, methods in _routes(app):
        if path.startswith("/static") or path in PUBLIC_PATHS or not methods:
            continue
        for method in methods - {"HEAD"}:
            token = {"csrf_token": csrf_from(client.get("/login").text)} if method == "POST" else None
            response = client.request(method, path, data=token, follow_redirects=False)
            assert response.status_code in (303, 401), f"{method} {path} answered {response.status_code}"
            checked += 1
    assert checked >= 10


def test_health_and_login_are_public(client: TestClient):
    assert client.get("/api/health").json() == {"status": "ok"}
    assert client.get("/login").status_code == 200
    assert client.get("/static/app.css").status_code == 200


def test_logout_ends_the_session(owner: TestClient):
    token = csrf_from(owner.get("/").text)
    response = owner.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.headers["location"] == "/login"
    assert owner.get("/", follow_redirects=False).status_code == 303
    assert owner.get("/api/support").status_code == 401


def test_a_post_without_the_csrf_token_is_refused(owner: TestClient):
    assert owner.post("/logout", follow_redirects=False).status_code == 403
    assert owner.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False).status_code == 403
    assert owner.get("/").status_code == 200  # still logged in: the refused logout did nothing


def test_the_login_form_itself_needs_the_token(client: TestClient):
    client.get("/login")
    response = client.post("/login", data={"email": OWNER_EMAIL, "password": "correct horse battery staple"})
    assert response.status_code == 403
    assert "CSRF" in response.text


def test_a_cross_origin_post_is_refused_even_with_the_token(owner: TestClient):
    token = csrf_from(owner.get("/").text)
    response = owner.post(
        "/logout",
        data={"csrf_token": token},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    same_site = owner.post(
        "/logout", data={"csrf_token": token}, headers={"Origin": "http://testserver"}, follow_redirects=False
    )
    assert same_site.status_code == 303


def test_the_token_may_come_in_a_header(owner: TestClient):
    token = csrf_from(owner.get("/").text)
    assert owner.post("/logout", headers={"X-CSRF-Token": token}, follow_redirects=False).status_code == 303


def test_repeated_failed_logins_are_throttled_per_email(client: TestClient):
    for _ in range(5):
        assert log_in(client, password="guess").status_code == 400
    blocked = log_in(client)  # even the right password waits now
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.text
    assert int(blocked.headers["retry-after"]) > 0


def test_throttle_forgets_failures_after_the_window():
    now = [NOW]
    throttle = LoginThrottle(lambda: now[0], window=timedelta(minutes=15), per_email=2, per_address=3)
    throttle.failed("a@x.com", "1.1.1.1")
    assert throttle.retry_after("A@x.com", "1.1.1.1") is None
    throttle.failed("a@x.com", "1.1.1.1")
    assert throttle.retry_after("a@x.com", "2.2.2.2") == timedelta(minutes=15)
    throttle.failed("b@x.com", "1.1.1.1")
    assert throttle.retry_after("c@x.com", "1.1.1.1") is not None  # the address is over its limit
    now[0] = NOW + timedelta(minutes=15)
    assert throttle.retry_after("a@x.com", "1.1.1.1") is None
    throttle.failed("a@x.com", "1.1.1.1")
    throttle.succeeded("a@x.com")
    assert throttle.retry_after("a@x.com", "9.9.9.9") is None


def test_a_generated_secret_key_is_kept_private_and_reused(sqlite_engine: Engine, tmp_path: Path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'store.db'}")
    key_file = secret_key_file(settings.database_url)
    assert not key_file.exists()
    first = TestClient(create_app(sqlite_engine, settings, fixed_clock(NOW)))
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text()
    first.get("/login")
    # A restarted app signs with the same key, so the first app's cookie still carries a session.
    second = TestClient(create_app(sqlite_engine, settings, fixed_clock(NOW)))
    second.cookies = first.cookies
    assert csrf_from(second.get("/login").text) == csrf_from(first.get("/login").text)
    assert key_file.read_text() == key


def test_security_headers(client: TestClient):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_interactive_docs_are_off(owner: TestClient, path: str):
    assert owner.get(path).status_code == 404
