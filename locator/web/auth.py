"""Who is asking, and what they may change.

Reading stays open and cookie-free. A write names the role it needs with
:func:`require`: an API token (``Authorization: Bearer <token>``, made by
``locator tokens create``) or a browser signed in with Flask-Login (``/login``). Nobody
is a 401, the wrong role a 403, both in the JSON error shape. A write that relies on
the session cookie must carry the page's CSRF token (Flask-WTF's ``X-CSRFToken`` header
or ``csrf_token`` form field); a token-authenticated call needs none, since a browser
never adds that header by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, g, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect

from locator.db import accounts
from locator.db.accounts import Identity
from locator.db.models import User
from locator.db.session import transaction
from locator.errors import Forbidden, Unauthorized
from locator.web.state import state

F = TypeVar("F", bound=Callable[..., Any])


class SignedIn(UserMixin):
    """A browser session's user, as Flask-Login keeps it."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity
        self.id = str(identity.user_id)


class _SessionFreeLogin(LoginManager):
    """Flask-Login, except that a request without a session cookie leaves the session
    untouched, so public pages answer without ``Vary: Cookie`` and cacheably (locator never
    sets a "remember me" cookie, the only thing this hook maintains)."""

    def _update_remember_cookie(self, response: Any) -> Any:
        if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
            return response
        return super()._update_remember_cookie(response)


def _load_user(user_id: str) -> SignedIn | None:
    with transaction(state().engine) as session:
        user = session.get(User, int(user_id)) if user_id.isdigit() else None
        if user is None or user.disabled:
            return None
        return SignedIn(Identity(user.id, user.name, user.role))


def register(app: Flask) -> None:
    """Sessions (Flask-Login) and CSRF checks (Flask-WTF, only where :func:`require`
    asks for them)."""
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    manager = _SessionFreeLogin(app, add_context_processor=False)
    manager.user_loader(_load_user)
    CSRFProtect(app)  # kept by Flask-WTF as app.extensions["csrf"]


def check_csrf() -> None:
    """A 400 unless the form or the ``X-CSRFToken`` header has this session's token."""
    current_app.extensions["csrf"].protect()


def identity() -> Identity | None:
    """The caller: from the bearer token if one is sent (Unauthorized when it is not
    valid), else the signed-in session, else None."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("send the token as Authorization: Bearer <token>.")
        found = accounts.identify_token(state().engine, token.strip())
        if found is None:
            raise Unauthorized("this API token is not valid or was revoked.")
        return found
    if current_user.is_authenticated:
        signed_in: Identity = current_user.identity
        return signed_in
    return None


def require(role: str) -> Callable[[F], F]:
    """A route decorator: the caller must have ``role`` (an admin has every role)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            found = identity()
            if found is None:
                raise Unauthorized(
                    "sign in at /login, or send Authorization: Bearer <token> "
                    "(made by `locator tokens create`)."
                )
            if not found.may(role):
                raise Forbidden(f"this needs the {role} role; {found.name} is a {found.role}.")
            if "Authorization" not in request.headers and request.method not in ("GET", "HEAD"):
                check_csrf()
            g.identity = found
            return view(*args, **kwargs)

        checked.required_role = role  # type: ignore[attr-defined]  # read by the tests
        return checked  # type: ignore[return-value]

    return decorate


def admin_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """A GET page for admins: nobody signed in goes to /login (and comes back), another
    role gets a 403 page."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        who = identity()
        if who is None:
            back = request.full_path.rstrip("?")
            return redirect(url_for("account.sign_in", next=back))
        if not who.may("admin"):
            return render_template("admin_refused.html", who=who), 403
        g.identity = who
        return view(*args, **kwargs)

    return guarded
