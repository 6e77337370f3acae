"""locator: find outdoor-worker rest stations and plan new ones.

``create_app`` is the only way to get an app: it merges settings (defaults,
``LOCATOR_*`` environment variables, ``test_config``), loads and validates the
stations once into one :class:`~locator.web.state.State`, and registers the web layer
and the CLI.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from locator import config

__all__ = ["create_app"]


def _work_dir(app: Flask, settings: dict[str, Any], explicit: Mapping[str, Any]) -> Path:
    """Where the embedded database and queue live: the instance folder; for a test app
    whose ``test_config`` names no database, a new temporary folder with its own embedded
    database and queue (whatever the environment says), so test apps never share one."""
    if app.config["TESTING"] and "DATABASE_URL" not in explicit:
        settings["DATABASE_URL"] = settings["QUEUE_URL"] = ""
        folder = Path(tempfile.mkdtemp(prefix="locator-test-"))
        weakref.finalize(app, shutil.rmtree, folder, True)
        return folder
    return Path(app.instance_path)


def _secret_key(work_dir: Path) -> str:
    """The key that signs session cookies: kept in ``secret_key`` in the instance folder,
    made on first start (every worker on this machine then reads the same one)."""
    path = work_dir / "secret_key"
    work_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip()


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
    work_dir = _work_dir(app, settings, test_config or {})
    app.secret_key = settings["SECRET_KEY"] or _secret_key(work_dir)
    app.extensions[EXTENSION] = load_state(settings, work_dir)
    web.register(app)
    cli.register(app)
    return app
