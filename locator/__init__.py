"""locator: find outdoor-worker rest stations and plan new ones.

``create_app`` is the only way to get an app: it merges settings (defaults,
``LOCATOR_*`` environment variables, ``test_config``), loads and validates the
stations once into one :class:`~locator.web.state.State`, and registers the web layer
and the CLI.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from locator import config

__all__ = ["create_app"]


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app; ``test_config`` overrides settings (names without the prefix)."""
    from locator import cli, web
    from locator.stations.readers import configure_gdal
    from locator.web.state import EXTENSION, load_state

    configure_gdal()  # no VRT driver and no network paths, for the whole process
    app = Flask(
        __name__, instance_relative_config=True, static_folder=str(config.PROJECT_DIR / "static")
    )
    settings = config.from_environment(test_config)
    app.config["TESTING"] = bool(settings.pop("TESTING", False))
    settings["STORE"] = Path(settings["STORE"] or Path(app.instance_path) / "stations.gpkg")
    app.extensions[EXTENSION] = load_state(settings)
    web.register(app)
    cli.register(app)
    return app
