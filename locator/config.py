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
        "GeoPackage store of earlier versions; a new database starts from it when it exists. "
        "Default: `stations.gpkg` in the Flask instance folder.",
    ),
    Setting(
        "SECRET_KEY",
        "",
        str,
        "Key that signs sign-in session cookies. Default: made once and kept in "
        "`secret_key` in the instance folder; set it when web servers run on several machines.",
    ),
    Setting(
        "QUEUE_URL",
        "",
        str,
        "Job queue for plans (huey): empty for SQLite `queue.db` in the instance folder, or "
        "`redis://host:6379/0` to share plans with `locator worker` processes on any machine.",
    ),
    Setting(
        "PLAN_STALE_S",
        30.0,
        float,
        "A running plan whose worker has not reported for this long is marked failed.",
    ),
    Setting(
        "LIVE_POLL_S",
        1.0,
        float,
        "How often each process checks which dataset version is served (0: never).",
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
        "Comma-separated regions whose boundaries a station must lie in, served by the "
        "finder and planned: beijing, shaanxi (shipped boundaries), or any province, city or "
        "county of China by name or adcode (杭州市, 浙江省, Hangzhou, 330100).",
    ),
    Setting("DEFAULT_LIMIT", 100, int, "Page size of /api/v1/stations when `limit` is not given."),
    Setting("MAX_LIMIT", 10000, int, "Largest `limit` /api/v1/stations accepts."),
    Setting(
        "LARGE_DATASET",
        20000,
        int,
        "A served dataset of more stations than this is large: map tiles (`tile=z/x/y` of "
        "/api/v1/stations/points) below zoom 8 come without their points (the maps say "
        '"zoom in"), and /api/v1/offline needs a `bbox` of at most this many stations.',
    ),
    Setting("HOST", "127.0.0.1", str, "Address `locator run` listens on."),
    Setting("PORT", 5000, int, "Port `locator run` listens on."),
    Setting(
        "PLAN_WORKERS",
        1,
        int,
        "Threads of each web process that run plans from the queue (0: only `locator worker`).",
    ),
    Setting(
        "DASK_SCHEDULER",
        "",
        str,
        "Dask scheduler of `locator plan --region china`, e.g. tcp://10.0.0.5:8786; empty: a "
        "local cluster of one worker process per core, started for the run.",
    ),
    Setting(
        "PLAN_QUEUE",
        4,
        int,
        "Most plans queued or running at once; POST /api/v1/plans answers 429 beyond it.",
    ),
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
    # Bounds on every file read from a client or the command line (locator.stations.limits):
    # a size-type limit answers 413, too deep a JSON document 422.
    Setting("UPLOAD_MAX_BYTES", 100 * 2**20, int, "Largest file read, in bytes (100 MiB)."),
    Setting(
        "UPLOAD_MAX_ROWS",
        200_000,
        int,
        "Most rows (spreadsheet rows after the header, or features) in one file.",
    ),
    Setting("UPLOAD_MAX_COLUMNS", 200, int, "Most columns (or feature properties) in one file."),
    Setting("UPLOAD_MAX_CELLS", 10_000_000, int, "Most cells (rows times columns) in one file."),
    Setting(
        "UPLOAD_MAX_UNZIPPED_BYTES",
        100 * 2**20,
        int,
        "Largest total uncompressed size of an XLSX workbook's parts, in bytes (100 MiB).",
    ),
    Setting("UPLOAD_MAX_ZIP_ENTRIES", 1_000, int, "Most parts (zip entries) in an XLSX workbook."),
    Setting("UPLOAD_MAX_DEPTH", 64, int, "Deepest nesting of arrays and objects in a JSON file."),
    Setting(
        "UPLOAD_MAX_SECONDS", 30.0, float, "Longest time reading one file may take, in seconds."
    ),
    # Costs of anonymous requests and the addresses the app answers to (locator.web.budget,
    # locator.web.work, locator.web.urls; the plan caps in locator.planning.service).
    Setting(
        "PUBLIC_URL",
        "",
        str,
        "Base URL the public reaches the app at, e.g. https://locator.example.org; absolute "
        "links (oEmbed, embed code) are built from it, and its host is trusted.",
    ),
    Setting(
        "TRUSTED_HOSTS",
        "localhost 127.0.0.1",
        str,
        "Space- or comma-separated host names the app answers to (Flask TRUSTED_HOSTS; "
        "a leading dot allows subdomains); any other Host header gets 400.",
    ),
    Setting(
        "TRUSTED_PROXIES",
        0,
        int,
        "Reverse proxies in front of the app whose X-Forwarded-For and X-Forwarded-Proto "
        "are believed (werkzeug ProxyFix); 0: the client is the socket's peer.",
    ),
    Setting(
        "RATELIMIT_STORAGE_URL",
        "memory://",
        str,
        "Where per-client budgets are counted: memory:// (each worker process on its own) "
        "or a Redis URL such as redis://localhost:6379/0 (shared by every worker).",
    ),
    Setting(
        "RATELIMIT_EXPENSIVE",
        "30 per minute;300 per hour",
        str,
        "Expensive requests one client address may make (Flask-Limiter notation); more "
        "answer 429 with Retry-After.",
    ),
    Setting(
        "RATELIMIT_SIGN_IN",
        "10 per minute;100 per hour",
        str,
        "Sign-in attempts one client address may make; more answer 429 with Retry-After.",
    ),
    Setting(
        "RATELIMIT_REPORTS",
        "10 per minute;60 per day",
        str,
        "Station reports and suggestions one client address may send (no account needed); "
        "more answer 429 with Retry-After.",
    ),
    Setting(
        "REPORTS_DAILY_CAP",
        3,
        int,
        "Reports one client may send about one station in a day; more answer 429.",
    ),
    Setting(
        "SUGGESTIONS_DAILY_CAP",
        20,
        int,
        'Places one client may suggest for a new station ("there should be a station '
        'here") in a day; more answer 429.',
    ),
    Setting(
        "REPORTS_CLOSED_FLAG_CLIENTS",
        3,
        int,
        'Different clients whose pending "closed for good" reports of the last 30 days flag '
        'a station on the finder as "reported closed, not yet confirmed".',
    ),
    Setting(
        "RENDER_CONCURRENCY",
        1,
        int,
        "Maps (print maps, planner maps) one worker process draws at a time, each in a "
        "child process at lower CPU priority; more answer 429 with Retry-After.",
    ),
    Setting(
        "RENDER_MAX_MEMORY_MB",
        1024,
        int,
        "Memory, in MiB, drawing one map may add to its worker; more answers 503.",
    ),
    Setting(
        "REQUEST_DEADLINE_S",
        30.0,
        float,
        "Wall time, in seconds, the expensive work of one request may take before it "
        "answers 503; keep it below gunicorn's timeout.",
    ),
    Setting(
        "BATCH_MAX_RESULTS",
        200_000,
        int,
        "Most rows (points times k) one POST /api/v1/nearest/batch answers.",
    ),
    Setting(
        "PLAN_MAX_CANDIDATES",
        50_000,
        int,
        "Most candidate sites an uploaded candidates file may hold.",
    ),
    Setting(
        "PLAN_MAX_PAIRS",
        10_000_000,
        int,
        "Most demand-cell and candidate pairs within radius_m (and candidate pairs within "
        "min_spacing_m) a plan may consider, estimated before it is queued.",
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
