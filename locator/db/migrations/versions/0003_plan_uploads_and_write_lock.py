"""Plans' uploaded files (so a queue worker on any machine can read them) and the one-row
lock that makes the queue limit hold across every web worker.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_uploads",
        sa.Column(
            "plan_id", sa.String(32), sa.ForeignKey("plans.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("field", sa.String(16), primary_key=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )  # fmt: skip
    op.create_table(
        "write_lock",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
    )
    op.execute("INSERT INTO write_lock (id, n) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("write_lock")
    op.drop_table("plan_uploads")
