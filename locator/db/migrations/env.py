"""Alembic's entry point: run the migrations on the engine the caller passes in
(:func:`locator.db.session.alembic_config`)."""

from __future__ import annotations

from alembic import context

from locator.db.models import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata)
    context.run_migrations()
