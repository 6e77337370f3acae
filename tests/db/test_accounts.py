"""Users and tokens: Argon2 password hashes, tokens shown once and stored hashed, roles
that a token cannot exceed, revocation, and an audit entry for every change."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from locator.db import accounts
from locator.db.models import ApiToken, User
from locator.db.session import transaction, upgrade
from locator.errors import BadQuery, NotFound

PASSWORD = "correct horse battery"


@pytest.fixture()
def db(engine):
    upgrade(engine)
    accounts.add_user(engine, "li", PASSWORD, "planner", actor="cli")
    accounts.add_user(engine, "wang", PASSWORD + "!", "admin", actor="cli")
    return engine


def test_passwords_are_argon2_hashes_and_checked(db) -> None:
    with transaction(db) as session:
        stored = session.scalar(select(User.password_hash).where(User.name == "li"))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.sign_in(db, "li", PASSWORD) == accounts.Identity(1, "li", "planner")
    assert accounts.sign_in(db, "li", "wrong password") is None
    assert accounts.sign_in(db, "nobody", PASSWORD) is None


def test_bad_users_are_refused(db) -> None:
    with pytest.raises(BadQuery, match="already a user"):
        accounts.add_user(db, "li", PASSWORD, "planner", actor="cli")
    with pytest.raises(BadQuery, match="at least 10 characters"):
        accounts.add_user(db, "zhao", "short", "planner", actor="cli")
    with pytest.raises(BadQuery, match="role must be one of"):
        accounts.add_user(db, "zhao", PASSWORD, "root", actor="cli")


def test_tokens_are_shown_once_stored_hashed_and_revocable(db) -> None:
    token = accounts.create_token(db, "li", "planner", "nightly script", actor="cli")
    assert token.startswith("loc_") and len(token) > 40
    with transaction(db) as session:
        (row,) = session.scalars(select(ApiToken)).all()
    assert token not in row.token_sha256 and len(row.token_sha256) == 64
    assert accounts.identify_token(db, token) == accounts.Identity(1, "li", "planner")
    assert accounts.identify_token(db, token + "x") is None
    accounts.revoke_token(db, row.id, actor="wang")
    assert accounts.identify_token(db, token) is None
    with pytest.raises(NotFound):
        accounts.revoke_token(db, 99, actor="wang")


def test_a_token_cannot_outrank_its_user(db) -> None:
    with pytest.raises(BadQuery, match="cannot have more rights"):
        accounts.create_token(db, "li", "admin", "", actor="cli")
    admin = accounts.identify_token(db, accounts.create_token(db, "wang", "planner", "", "cli"))
    assert admin is not None and admin.role == "planner" and not admin.may("admin")
    assert accounts.Identity(2, "wang", "admin").may("planner")


def test_every_change_is_audited(db) -> None:
    accounts.create_token(db, "li", "planner", "", actor="cli")
    with db.connect() as connection:
        rows = connection.execute(text("SELECT actor, action FROM audit_log ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [
        ("cli", "add user"),
        ("cli", "add user"),
        ("cli", "create token"),
    ]
