"""Settings from the environment (and the command line, which wins); secrets are never logged."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///sasame.db"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = field(default="", repr=False)
    """Signs session cookies; when empty, a key is generated once and kept beside the database."""

    @classmethod
    def from_env(cls, database_url: str | None = None) -> Settings:
        """Read SASAME_* variables; an explicit database_url (from --db) takes precedence."""
        port = os.environ.get("SASAME_PORT", "8000")
        if not port.isdigit():
            from sasame.core.errors import ConfigError

            raise ConfigError(f"SASAME_PORT: {port!r} is not a port number")
        return cls(
            database_url=database_url or os.environ.get("SASAME_DATABASE_URL") or DEFAULT_DATABASE_URL,
            host=os.environ.get("SASAME_HOST", "127.0.0.1"),
            port=int(port),
            secret_key=os.environ.get("SASAME_SECRET_KEY", ""),
        )


def secret_key_file(database_url: str) -> Path:
    """Where the generated cookie-signing key lives: beside a SQLite file, else in the home folder."""
    if database_url.startswith("sqlite:///") and database_url != "sqlite:///:memory:":
        return Path(database_url.removeprefix("sqlite:///")).resolve().with_suffix(".secret")
    return Path.home() / ".sasame.secret"
