"""Reports on stations from the people who use them, "there should be a station here"
suggestions, and the day each station was last confirmed.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("stations", sa.Column("confirmed_on", sa.Date))
    op.create_table(
        "station_reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("station_id", sa.String(64), nullable=False, index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("amenity", sa.String(32)),
        sa.Column("comment", sa.String(280), nullable=False),
        sa.Column("near", sa.Boolean),
        sa.Column("client", sa.String(32), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("moderated_by", sa.String(80)),
        sa.Column("moderated_at", UTC_TIME),
    )
    op.create_table(
        "site_suggestions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("cell", sa.String(32), nullable=False, index=True),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("needs", sa.JSON, nullable=False),
        sa.Column("client", sa.String(32), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("hidden", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("site_suggestions")
    op.drop_table("station_reports")
    with op.batch_alter_table("stations") as stations:  # SQLite rebuilds the table
        stations.drop_column("confirmed_on")
