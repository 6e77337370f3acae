"""Every migration runs from empty, up and down and up again, on SQLite and PostgreSQL;
the upgraded schema matches the models; PostGIS adds its geography column when present."""

from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import inspect, text

from locator.db.models import Base
from locator.db.session import downgrade, engine_for, upgrade

# SQLAlchemy reflects PostGIS columns without knowing their type; that is expected here.
pytestmark = pytest.mark.filterwarnings("ignore:Did not recognize type 'geography'")


def test_every_migration_from_empty_and_back(engine) -> None:
    upgrade(engine)
    tables = set(inspect(engine).get_table_names()) - {"alembic_version", "spatial_ref_sys"}
    assert tables == set(Base.metadata.tables)
    for name, table in Base.metadata.tables.items():
        columns = {c["name"] for c in inspect(engine).get_columns(name)} - {"geog"}
        assert columns == set(table.columns.keys()), name
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) - {"spatial_ref_sys"} <= {"alembic_version"}
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def test_sqlite_runs_in_wal_mode(engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_postgis_gets_a_geography_column_with_a_gist_index(engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    with engine.connect() as connection:
        available = connection.exec_driver_sql(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"
        ).first()
    if available is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostGIS is required when CI=true (make test installs it)")
        pytest.skip("PostGIS is not installed on this server")
    upgrade(engine)
    columns = {c["name"] for c in inspect(engine).get_columns("stations")}
    indexes = {i["name"] for i in inspect(engine).get_indexes("stations")}
    assert "geog" in columns and "stations_geog_gist" in indexes


def test_processes_starting_together_take_turns_to_migrate(engine) -> None:
    """gunicorn's workers all upgrade at start-up: the first migrates, the rest wait."""
    url = engine.url.render_as_string(hide_password=False)
    engines = [engine_for(url) for _ in range(4)]
    failures: list[BaseException] = []

    def start(own) -> None:
        try:
            upgrade(own)
        except BaseException as exc:  # collected for the assertion
            failures.append(exc)

    threads = [threading.Thread(target=start, args=(own,)) for own in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for own in engines:
        own.dispose()
    assert failures == []
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
