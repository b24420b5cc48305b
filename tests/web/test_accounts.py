"""Owner accounts: Argon2id hashes, user creation, authentication with rehash."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select
from web_store import NOW

from sasame.accounts import authenticate, create_user, hash_password, verify_password
from sasame.accounts import service as accounts
from sasame.core.errors import UserError
from sasame.db import transaction
from sasame.models import User


def test_password_hash_is_argon2id_and_never_the_password():
    password = "tea-kettle-42"
    hashed = hash_password(password)
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert password not in hashed
    assert hash_password(password) != hashed  # a fresh salt every time
    assert verify_password(hashed, password)
    assert not verify_password(hashed, "tea-kettle-43")
    assert not verify_password("not a hash", password)


def test_create_user_lowercases_email_and_stores_only_the_hash(engine: Engine):
    with transaction(engine) as session:
        user = create_user(session, "  Owner@Example.COM ", "s3cret-enough", NOW)
        assert user.id is not None
    with transaction(engine) as session:
        stored = session.scalars(select(User)).one()
        assert stored.email == "owner@example.com"
        assert stored.role == "owner"
        assert stored.created_at == NOW
        assert stored.password_hash.startswith("$argon2id$")
        assert "s3cret-enough" not in stored.password_hash


def test_a_duplicate_email_is_a_user_error(engine: Engine):
    with transaction(engine) as session:
        create_user(session, "owner@example.com", "s3cret-enough", NOW)
    with pytest.raises(UserError, match="already exists"), transaction(engine) as session:
        create_user(session, "OWNER@example.com", "another-secret", NOW)


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [("not-an-email", "long-enough", "not an email"), ("a@b.c", "too-short", "at least 10")],
)
def test_bad_input_is_a_user_error(engine: Engine, email: str, password: str, message: str):
    with pytest.raises(UserError, match=message), transaction(engine) as session:
        create_user(session, email, password, NOW)


def test_authenticate(engine: Engine):
    with transaction(engine) as session:
        create_user(session, "owner@example.com", "s3cret-enough", NOW)
    with transaction(engine) as session:
        assert authenticate(session, "Owner@Example.com", "s3cret-enough").email == "owner@example.com"
        assert authenticate(session, "owner@example.com", "wrong-password") is None
        assert authenticate(session, "nobody@example.com", "s3cret-enough") is None


def test_an_unknown_email_still_verifies_a_hash(monkeypatch: pytest.MonkeyPatch, engine: Engine):
    """The miss path burns one Argon2 verification too, so timing does not reveal accounts."""
    verified: list[str] = []
    real = accounts.verify_password
    monkeypatch.setattr(accounts, "verify_password", lambda h, p: verified.append(h) or real(h, p))
    with transaction(engine) as session:
        assert authenticate(session, "nobody@example.com", "whatever-it-is") is None
    assert len(verified) == 1 and verified[0].startswith("$argon2id$")


def test_authenticate_rehashes_when_the_parameters_changed(engine: Engine):
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    with transaction(engine) as session:
        user = create_user(session, "owner@example.com", "s3cret-enough", NOW)
        user.password_hash = weak.hash("s3cret-enough")
    with transaction(engine) as session:
        assert authenticate(session, "owner@example.com", "s3cret-enough") is not None
    with transaction(engine) as session:
        rehashed = session.scalars(select(User)).one().password_hash
    assert rehashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(rehashed, "s3cret-enough")
