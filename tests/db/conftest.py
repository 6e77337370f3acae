"""Databases for the tests: SQLite in a temporary folder, and a fresh PostgreSQL database
on the server at 127.0.0.1:5432 (trust auth). Without that server the PostgreSQL cases
skip, except when ``CI=true``: there a missing server fails the run."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from locator.db.session import engine_for

POSTGRES_ADMIN_URL = os.environ.get(
    "LOCATOR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _postgres_database() -> Iterator[str]:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"locator_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required when CI=true: {exc}")
        pytest.skip(f"no PostgreSQL server at {POSTGRES_ADMIN_URL}")
    yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    """An empty database of each kind."""
    if request.param == "sqlite":
        found = engine_for(f"sqlite:///{tmp_path / 'instance' / 'locator.db'}")
        yield found
        found.dispose()
        return
    for url in _postgres_database():
        found = engine_for(url)
        yield found
        found.dispose()
