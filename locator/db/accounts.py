"""Users, their passwords and the API tokens scripts use; Flask-free.

Passwords are hashed with Argon2id (argon2-cffi, the reference implementation's
binding, with its recommended parameters). An API token is 32 random bytes shown once;
only its SHA-256 is stored (a token is random, so a slow hash adds nothing), and it
carries a role no higher than its user's. Roles: ``admin`` (import data, roll back,
manage users and tokens) and ``planner`` (run, name, publish and delete plans).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select

from locator.db.models import ApiToken, AuditEntry, User, utc_now
from locator.db.session import transaction
from locator.errors import BadQuery, NotFound

ROLES = ("admin", "planner")
RANK = {"planner": 1, "admin": 2}
TOKEN_PREFIX = "loc_"
MIN_PASSWORD_CHARS = 10
_HASHER = PasswordHasher()


@dataclass(frozen=True)
class Identity:
    """Who is asking, and with which role."""

    user_id: int
    name: str
    role: str

    def may(self, role: str) -> bool:
        """True when this identity's role includes ``role`` (admin includes planner)."""
        return RANK[self.role] >= RANK[role]


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise BadQuery(f"role must be one of {', '.join(ROLES)}, got {role!r}.")


def add_user(engine: Engine, name: str, password: str, role: str, actor: str) -> int:
    """Create a user; BadQuery for a taken name, a short password or an unknown role."""
    _check_role(role)
    if len(password) < MIN_PASSWORD_CHARS:
        raise BadQuery(f"a password needs at least {MIN_PASSWORD_CHARS} characters.")
    with transaction(engine) as session:
        if session.scalar(select(User).where(User.name == name)) is not None:
            raise BadQuery(f"there is already a user called {name!r}.")
        user = User(name=name, password_hash=_HASHER.hash(password), role=role)
        session.add(user)
        session.flush()
        session.add(AuditEntry(actor=actor, action="add user", target=name, detail={"role": role}))
        return user.id


def sign_in(engine: Engine, name: str, password: str) -> Identity | None:
    """The user's identity when the password is right, else None (same answer for an
    unknown name, so sign-in does not reveal which names exist)."""
    with transaction(engine) as session:
        user = session.scalar(select(User).where(User.name == name))
        if user is None or user.disabled:
            _HASHER.hash(password)  # the same work as a real check
            return None
        try:
            _HASHER.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        if _HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = _HASHER.hash(password)
        return Identity(user.id, user.name, user.role)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(engine: Engine, user_name: str, role: str, label: str, actor: str) -> str:
    """A new token for ``user_name`` with ``role`` (at most the user's); the plain text is
    returned once and never stored."""
    _check_role(role)
    with transaction(engine) as session:
        user = session.scalar(select(User).where(User.name == user_name))
        if user is None:
            raise NotFound(f"no user {user_name!r}; add one with `locator users add`.")
        if RANK[role] > RANK[user.role]:
            raise BadQuery(f"{user_name} is a {user.role}; a token cannot have more rights.")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = ApiToken(user_id=user.id, token_sha256=_digest(token), role=role, label=label)
        session.add(row)
        session.flush()
        detail = {"user": user_name, "role": role, "label": label}
        session.add(
            AuditEntry(actor=actor, action="create token", target=f"token {row.id}", detail=detail)
        )
        return token


def revoke_token(engine: Engine, token_id: int, actor: str) -> None:
    """Revoke a token by its id (``locator tokens list`` shows ids, never tokens)."""
    with transaction(engine) as session:
        row = session.get(ApiToken, token_id)
        if row is None:
            raise NotFound(f"no token {token_id}.")
        row.revoked_at = row.revoked_at or utc_now()
        session.add(AuditEntry(actor=actor, action="revoke token", target=f"token {token_id}"))


def identify_token(engine: Engine, token: str) -> Identity | None:
    """The identity a bearer token stands for, or None (unknown, revoked, user disabled)."""
    with transaction(engine) as session:
        row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == _digest(token)))
        if row is None or row.revoked_at is not None:
            return None
        user = session.get(User, row.user_id)
        if user is None or user.disabled:
            return None
        return Identity(user.id, user.name, row.role)
