"""``locator db upgrade``, ``locator users`` and ``locator tokens`` on the embedded
database: the schema is created once and kept, a token is printed on the last line and
works, and a revoked token stops working."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect

from locator.cli import main
from locator.db import accounts
from locator.db.session import engine_for

pytestmark = pytest.mark.both_databases


@pytest.fixture()
def url(tmp_path, monkeypatch) -> str:
    found = f"sqlite:///{tmp_path / 'locator.db'}"
    monkeypatch.setenv("LOCATOR_DATABASE_URL", found)
    return found


def run(*args: str, stdin: str | None = None):
    result = CliRunner().invoke(main, list(args), input=stdin)
    assert result.exit_code == 0, result.output
    return result


def test_db_upgrade_creates_then_keeps_the_schema(url) -> None:
    for _ in range(2):
        assert "is up to date" in run("db", "upgrade").output
    assert "dataset_versions" in inspect(engine_for(url)).get_table_names()


def test_users_and_tokens(url) -> None:
    run("users", "add", "li", "--role", "planner", "--password-stdin", stdin="a long password\n")
    assert run("users", "list").output.strip() == "li\tplanner"
    created = run("tokens", "create", "--user", "li", "--role", "planner", "--label", "cron")
    token = created.output.strip().splitlines()[-1]
    engine = engine_for(url)
    assert accounts.identify_token(engine, token) is not None
    listed = run("tokens", "list").output
    assert "1\tli\tplanner\tactive\tcron" in listed and token not in listed
    run("tokens", "revoke", "1")
    assert accounts.identify_token(engine, token) is None
    refused = CliRunner().invoke(main, ["tokens", "create", "--user", "li", "--role", "admin"])
    assert refused.exit_code == 1 and "cannot have more rights" in refused.output
