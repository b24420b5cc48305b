from sqlalchemy import inspect

from sasame.db import current_revision, head_revision
from sasame.models import Base


def test_migrations_create_every_table(engine):
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
