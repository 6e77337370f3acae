"""The database behind everything that changes: dataset versions and their stations,
plans, users, API tokens and the audit log (SQLAlchemy 2, migrations by Alembic).

The embedded default is SQLite in WAL mode under ``instance/``; PostgreSQL is the
production choice (``LOCATOR_DATABASE_URL``), where PostGIS, when installed, adds a
``geog`` geography column with a GiST index to the stations table for QGIS and SQL users.
"""
