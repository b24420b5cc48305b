"""Owner accounts: Argon2id password hashes, user creation and login checks.

Services never commit: the caller (CLI command, request, job) owns the transaction.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sasame.core.clock import ensure_utc
from sasame.core.errors import UserError
from sasame.models import User

MINIMUM_PASSWORD_LENGTH = 10

# The RFC 9106 "second recommended" profile (argon2-cffi's defaults): 64 MiB, 3 passes, 4 lanes.
# Changing these makes authenticate() re-hash stored passwords on the next successful login.
_hasher = PasswordHasher(time_cost=3, memory_cost=65_536, parallelism=4, type=Type.ID)


@cache
def _absent_user_hash() -> str:
    """Return a hash to verify against when the email is unknown.

    A miss then costs the same as a wrong password, so response times do not reveal which emails
    have accounts. Made lazily so importing this module stays cheap for the CLI.
    """
    return _hasher.hash("sasame: no such user; this hash only burns the same time")


def normalise_email(email: str) -> str:
    """Return the email as stored: trimmed and lower-cased."""
    return email.strip().lower()


def hash_password(password: str) -> str:
    """Return an Argon2id hash (PHC string with its own salt and parameters) of the password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Return whether the password matches the hash; a malformed hash is simply no match."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def create_user(session: Session, email: str, password: str, now: datetime, role: str = "owner") -> User:
    """Add a dashboard user; a malformed email, a short password or a taken email is a UserError."""
    address = normalise_email(email)
    local, _, domain = address.partition("@")
    if not local or not domain or " " in address:
        raise UserError(f"email: {email!r} is not an email address")
    if len(password) < MINIMUM_PASSWORD_LENGTH:
        raise UserError(f"password: use at least {MINIMUM_PASSWORD_LENGTH} characters")
    if session.scalar(select(func.count()).select_from(User).where(User.email == address)):
        raise UserError(f"email: a user {address} already exists")
    user = User(email=address, password_hash=hash_password(password), role=role, created_at=ensure_utc(now))
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the user whose email and password match, else None; the work is the same either way.

    When the stored hash was made with other parameters than today's, it is replaced by a fresh
    one (the caller's commit keeps it).
    """
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        verify_password(_absent_user_hash(), password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user
