"""On PostgreSQL with PostGIS available: a ``geog`` geography column on stations,
computed from lon/lat, with a GiST index, for QGIS and SQL users (``ORDER BY geog <->
point``). Elsewhere (SQLite, PostgreSQL without PostGIS) this revision changes nothing.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _postgis_available() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    found = bind.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"
    ).first()
    return found is not None


def upgrade() -> None:
    if not _postgis_available():
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute(
        "ALTER TABLE stations ADD COLUMN geog geography(Point, 4326) GENERATED ALWAYS AS "
        "(ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography) STORED"
    )
    op.execute("CREATE INDEX stations_geog_gist ON stations USING GIST (geog)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS stations_geog_gist")
    op.execute("ALTER TABLE stations DROP COLUMN IF EXISTS geog")
