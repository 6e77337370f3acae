"""The commands of the service side: ``locator db`` (the schema), ``locator datasets``
(versions and rollback), ``locator worker`` (a plan worker), ``locator users`` and
``locator tokens`` (the people who may change things and their scripts' tokens)."""

from __future__ import annotations

import sys

import click
from sqlalchemy import Engine, select

from locator import config
from locator.db import accounts
from locator.db.datasets import list_versions, rollback
from locator.db.models import ApiToken, User
from locator.db.session import database_url, engine_for, transaction, upgrade
from locator.errors import LocatorError

ROLE = click.Choice(accounts.ROLES)
ACTOR = "cli"


def database() -> Engine:
    """The configured database, brought to the current schema."""
    settings = config.from_environment()
    engine = engine_for(database_url(settings["DATABASE_URL"], config.PROJECT_DIR / "instance"))
    upgrade(engine)
    return engine


@click.group()
def db() -> None:
    """The database: dataset versions, plans, users and the audit log."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create the database or bring it to the current schema (LOCATOR_DATABASE_URL)."""
    engine = database()
    click.echo(f"database at {engine.url.render_as_string(hide_password=True)} is up to date.")


@click.group()
def users() -> None:
    """People who may import data (admin) or run and publish plans (planner)."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=ROLE, required=True)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
def users_add(name: str, role: str, password_stdin: bool) -> None:
    """Add a user; asks for the password twice unless --password-stdin."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        accounts.add_user(database(), name, password, role, actor=ACTOR)
    except LocatorError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"added {role} {name}.")


@users.command("list")
def users_list() -> None:
    """Every user and role."""
    with transaction(database()) as session:
        for user in session.scalars(select(User).order_by(User.name)):
            click.echo(f"{user.name}\t{user.role}" + ("\tdisabled" if user.disabled else ""))


@click.group()
def tokens() -> None:
    """API tokens for scripts (Authorization: Bearer <token>)."""


@tokens.command("create")
@click.option("--user", "user_name", required=True, help="Whose token it is.")
@click.option("--role", type=ROLE, required=True, help="At most the user's own role.")
@click.option("--label", default="", help="What the token is for.")
def tokens_create(user_name: str, role: str, label: str) -> None:
    """Create a token; it is printed once, on the last line, and stored only hashed."""
    try:
        token = accounts.create_token(database(), user_name, role, label, actor=ACTOR)
    except LocatorError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"token for {user_name} ({role}); copy it now, it is not shown again:")
    click.echo(token)


@tokens.command("list")
def tokens_list() -> None:
    """Token ids, owners, roles and labels (never the tokens)."""
    with transaction(database()) as session:
        rows = session.execute(select(ApiToken, User.name).join(User).order_by(ApiToken.id)).all()
        for token, owner in rows:
            state = "revoked" if token.revoked_at else "active"
            click.echo(f"{token.id}\t{owner}\t{token.role}\t{state}\t{token.label}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int) -> None:
    """Revoke a token by its id (see ``locator tokens list``)."""
    try:
        accounts.revoke_token(database(), token_id, actor=ACTOR)
    except LocatorError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"token {token_id} revoked.")


@click.group()
def datasets() -> None:
    """Dataset versions: every import is one; the served one can be rolled back."""


@datasets.command("list")
def datasets_list() -> None:
    """Every version, newest first; * marks the one served."""
    for v in list_versions(database()):
        mark = "*" if v.served else " "
        click.echo(f"{mark} {v.id}\t{v.created_at}\t{v.created_by}\t{v.row_count}\t{v.source_name}")


@datasets.command("rollback")
@click.argument("version", type=int)
def datasets_rollback(version: int) -> None:
    """Serve VERSION again (every server switches within seconds, without a restart)."""
    try:
        rollback(database(), version, actor=ACTOR)
    except LocatorError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"now serving dataset version {version}.")


@click.command()
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True)
def worker(threads: int) -> None:
    """Run plans from the queue (LOCATOR_QUEUE_URL) until stopped with Ctrl-C or SIGTERM."""
    from locator import create_app
    from locator.web.state import state_of

    queue = state_of(create_app()).planner.tasks
    click.echo(f"locator worker: {threads} thread(s) on {type(queue.huey).__name__}", err=True)
    queue.run_forever(threads)
