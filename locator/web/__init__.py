"""The web layer: the only floor that imports Flask (with the factory and the CLI).

:func:`register` wires the blueprints, Flask-Babel, the error handlers and the response
headers onto an app whose :class:`~locator.web.state.State` is already loaded, with the
guards on what a request may cost: the trusted hosts (:mod:`~locator.web.urls`), per-client
budgets (:mod:`~locator.web.budget`), the request deadline and render slots
(:mod:`~locator.web.work`) and the JSON depth bound (:mod:`~locator.web.bodies`), and
compression and caching (:mod:`~locator.web.transfer`). The
blueprints never import each other; what two of them share lives in a module of this
package that is not a blueprint (state, handlers, headers, locale, serialise, ...) or on a
floor below.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import Babel

from locator import palette
from locator.web import (
    account,
    admin,
    api,
    auth,
    bodies,
    budget,
    coverage,
    embeds,
    handlers,
    headers,
    i18n,
    images,
    journey,
    moderation,
    offline,
    pages,
    plan_list,
    planner,
    plans,
    reports,
    search,
    transfer,
    urls,
    work,
)
from locator.web.locale import language_context, select_locale
from locator.web.state import state_of

BLUEPRINTS = (
    account.bp,
    admin.bp,
    moderation.bp,
    api.bp,
    search.bp,
    journey.bp,
    coverage.bp,
    plans.bp,
    reports.bp,
    images.bp,
    pages.bp,
    offline.bp,
    planner.bp,
    plan_list.bp,
    embeds.bp,
)


def register(app: Flask) -> None:
    """Register the blueprints, translations, error handlers and headers on ``app``."""
    transfer.register(app)  # first: its after_request hook then runs last, on the final body
    app.config["MAX_CONTENT_LENGTH"] = 32 * 1024 * 1024  # uploads; routes may lower it
    app.json = bodies.JsonProvider(app)
    urls.register(app)
    budget.register(app, state_of(app).settings)
    work.register(app)
    auth.register(app)
    Babel(app, default_locale=i18n.DEFAULT, locale_selector=select_locale)
    app.context_processor(language_context)
    app.jinja_env.globals["locator_style"] = palette.page_style()
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    headers.register(app)
    handlers.register(app)
