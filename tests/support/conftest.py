from __future__ import annotations

import pytest
from sqlalchemy import Engine
from support_store import build_store


@pytest.fixture
def store(engine: Engine) -> dict[str, int]:
    """The hand-written store of support_store.py in a fresh database (SQLite and PostgreSQL)."""
    return build_store(engine)
