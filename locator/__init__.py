"""locator: find outdoor-worker rest stations and plan new ones.

``create_app`` is the only way to get an app: it merges settings (defaults,
``LOCATOR_*`` environment variables, ``test_config``), loads and validates the
stations once, and registers the blueprints, the error handlers and the CLI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_babel import Babel

from locator import config
from locator.index import StationIndex
from locator.regions import Regions, load_regions
from locator.serialise import FeatureWriter
from locator.stations import StationTable, dataset_json
from locator.store import load_table


@dataclass(frozen=True)
class State:
    """What the app loaded at start-up, kept in ``app.extensions["locator"]``."""

    settings: dict[str, Any]
    regions: Regions
    table: StationTable
    index: StationIndex
    writer: FeatureWriter
    dataset: dict[str, Any]


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app; ``test_config`` overrides settings (names without the prefix)."""
    app = Flask(
        __name__, instance_relative_config=True, static_folder=str(config.PROJECT_DIR / "static")
    )
    settings = config.from_environment(test_config)
    app.config["TESTING"] = bool(settings.pop("TESTING", False))
    app.config["MAX_CONTENT_LENGTH"] = 32 * 1024 * 1024  # a 100,000-point batch is ~3 MB
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    data_dir = Path(settings["DATA_DIR"])
    store = Path(settings["STORE"] or Path(app.instance_path) / "stations.gpkg")
    settings["STORE"] = store
    regions = load_regions(data_dir, settings["REGION"])
    table = load_table(data_dir, store, regions)
    app.extensions["locator"] = State(
        settings, regions, table, StationIndex(table), FeatureWriter(table), dataset_json(table)
    )

    from locator import api, api_coverage, api_plans, api_search, cli, i18n, pages
    from locator.api_maps import bp as map_images_bp
    from locator.embeds import bp as embeds_bp
    from locator.pages_planner import bp as planner_bp

    Babel(app, default_locale=i18n.DEFAULT, locale_selector=pages.select_locale)
    app.register_blueprint(api.bp)
    app.register_blueprint(api_search.bp)
    app.register_blueprint(api_coverage.bp)
    app.register_blueprint(api_plans.bp)
    app.register_blueprint(map_images_bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(planner_bp)
    app.register_blueprint(embeds_bp)
    api.register_error_handlers(app)
    cli.register(app)
    return app


def state() -> State:
    """The current app's loaded state (inside a request or app context)."""
    found: State = current_app.extensions["locator"]
    return found
