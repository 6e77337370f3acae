"""``locator db upgrade`` creates the embedded database, and is safe to run again."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import inspect

from locator.cli import main
from locator.db.session import engine_for


def test_db_upgrade_creates_then_keeps_the_schema(tmp_path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'locator.db'}"
    monkeypatch.setenv("LOCATOR_DATABASE_URL", url)
    for _ in range(2):
        result = CliRunner().invoke(main, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert "is up to date" in result.output
    assert "dataset_versions" in inspect(engine_for(url)).get_table_names()
