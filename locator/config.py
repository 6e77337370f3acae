"""Every setting in one table.

Each setting can be given as an environment variable ``LOCATOR_<NAME>`` or in
``create_app(test_config={...})``. The README's settings table is checked
against this one by a test, so the two cannot drift apart.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    parse: Callable[[str], Any]
    help: str


def _path(value: str) -> Path:
    return Path(value).expanduser()


def _optional_path(value: str) -> Path | None:
    return Path(value).expanduser() if value else None


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATA_DIR",
        PROJECT_DIR / "data",
        _path,
        "Folder with the shipped datasets (boundaries, census, places, synthetic stations).",
    ),
    Setting(
        "STORE",
        None,
        _optional_path,
        "Station store (GeoPackage) written by `locator import`. "
        "Default: `stations.gpkg` in the Flask instance folder.",
    ),
    Setting(
        "DATABASE_URL",
        "",
        str,
        "SQLAlchemy URL of the database (`locator db upgrade`). Default: SQLite "
        "`locator.db` in the Flask instance folder; production: "
        "`postgresql+psycopg://user@host/db`.",
    ),
    Setting(
        "REGION",
        "beijing,shaanxi",
        str,
        "Comma-separated regions whose boundaries a station must lie in: beijing, shaanxi.",
    ),
    Setting("DEFAULT_LIMIT", 100, int, "Page size of /api/v1/stations when `limit` is not given."),
    Setting("MAX_LIMIT", 10000, int, "Largest `limit` /api/v1/stations accepts."),
    Setting("HOST", "127.0.0.1", str, "Address `locator run` listens on."),
    Setting("PORT", 5000, int, "Port `locator run` listens on."),
    Setting("PLAN_WORKERS", 1, int, "Siting plans /api/v1/plans runs at the same time."),
    Setting(
        "PLAN_QUEUE",
        4,
        int,
        "Most plans queued or running at once; POST /api/v1/plans answers 429 beyond it.",
    ),
    Setting("PLAN_KEEP", 50, int, "Finished plans kept in memory for status and downloads."),
    Setting(
        "EMBED_ORIGINS",
        "*",
        str,
        "Sites that may frame /embed/ pages (CSP frame-ancestors): * for any, or "
        "space-separated origins such as https://news.example.com.",
    ),
    Setting(
        "TIANDITU_KEY",
        "",
        str,
        "Browser key for Tianditu base maps on the planner; without one the option is hidden.",
    ),
)


def load_settings(
    environ: Mapping[str, str], overrides: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Merge defaults, then ``LOCATOR_*`` environment variables, then ``overrides``."""
    merged = {s.name: s.default for s in SETTINGS}
    for s in SETTINGS:
        raw = environ.get(f"LOCATOR_{s.name}")
        if raw is not None:
            merged[s.name] = s.parse(raw)
    merged.update(overrides or {})
    return merged


def from_environment(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return load_settings(os.environ, overrides)
