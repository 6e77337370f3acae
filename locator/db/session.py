"""Engines, sessions and schema upgrades.

:func:`engine_for` turns ``LOCATOR_DATABASE_URL`` into an engine; a SQLite database is
put in WAL mode with foreign keys on and a busy timeout, so web workers can read while
an import writes. :func:`upgrade` runs every Alembic migration not yet applied (the app
does this at start-up, and ``locator db upgrade`` by hand).
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text, update
from sqlalchemy.orm import Session, sessionmaker

from locator.db.models import WriteLock

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
MIGRATION_LOCK_KEY = 0x10CA7042  # any 64-bit number no other application's lock uses


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def database_url(setting: str, instance_dir: Path) -> str:
    """LOCATOR_DATABASE_URL, else the embedded default: SQLite in the instance folder."""
    return setting or f"sqlite:///{Path(instance_dir).resolve() / 'locator.db'}"


def engine_for(url: str) -> Engine:
    """An engine for ``url``; a SQLite file's folder is created when missing."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(engine: Engine) -> Config:
    """Alembic's configuration in code (no alembic.ini): our migrations, this engine."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the newest schema). Processes that
    start together (gunicorn's workers, ``locator worker``) take turns
    (:func:`migration_lock`): the first migrates, the others then find nothing to do."""
    with migration_lock(engine):
        command.upgrade(alembic_config(engine), revision)


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's migration lock: a PostgreSQL advisory lock, or an exclusive
    ``flock`` on a file beside a SQLite database (an in-memory one needs none)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            try:
                yield
            finally:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database back to ``revision`` (``base`` empties it)."""
    command.downgrade(alembic_config(engine), revision)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on any error."""
    with sessionmaker(engine, expire_on_commit=False).begin() as session:
        yield session


def take_write_lock(session: Session) -> None:
    """Wait for, then hold until commit, the database's one write lock row (a row lock
    on PostgreSQL, the database write lock on SQLite)."""
    session.execute(update(WriteLock).where(WriteLock.id == 1).values(n=WriteLock.n + 1))
