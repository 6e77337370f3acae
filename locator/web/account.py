"""Blueprint for signing in and out (``/login``, ``/logout``).

Sign-in attempts are counted per client (Flask-Limiter, :func:`locator.web.budget.
charge_sign_in`), the form carries a CSRF token, and a wrong name and a wrong password
get the same answer. ``next`` may only point back into this site.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from flask_wtf.csrf import CSRFError

from locator.db import accounts
from locator.db.models import AuditEntry
from locator.db.session import transaction
from locator.web import budget
from locator.web.auth import SignedIn, check_csrf
from locator.web.state import state

bp = Blueprint("account", __name__)


def _safe_next(value: str | None) -> str:
    """A path on this site to go to after signing in (never another host)."""
    parts = urlsplit(value or "")
    if not value or parts.scheme or parts.netloc or not value.startswith("/"):
        return url_for("planner.planner")
    return value


@bp.route("/login", methods=["GET", "POST"])
def sign_in() -> Any:
    """The sign-in form, and signing in."""
    next_url = _safe_next(request.args.get("next"))
    name, error, status = "", None, 200
    if request.method == "POST":
        try:
            check_csrf()
        except CSRFError:  # a form left open past the session: ask again, on the page
            error = _("This form has expired. Please sign in again.")
            return render_template("sign_in.html", name="", error=error, next_url=next_url), 400
        budget.charge_sign_in()
        name = request.form.get("name", "")[:80]
        found = accounts.sign_in(state().engine, name, request.form.get("password", ""))
        if found is not None:
            login_user(SignedIn(found))
            with transaction(state().engine) as session:
                session.add(AuditEntry(actor=found.name, action="sign in", target=found.name))
            return redirect(next_url)
        error, status = _("That user name and password do not match."), 401
    page = render_template("sign_in.html", name=name, error=error, next_url=next_url)
    return page, status


@bp.post("/logout")
def sign_out() -> Any:
    """Sign out and go back to the finder."""
    check_csrf()
    logout_user()
    return redirect(url_for("pages.finder"))
