"""Blueprint for the finder with poor signal: the service worker, the web app manifest and
the offline copy of the stations.

* ``/sw.js`` is ``static/js/sw.js`` behind one line of settings (``self.LOCATOR_SW``): the
  files of the page shell and a version made from their content, so that a changed file
  installs a new worker, which replaces the shell cache. Served from the root so that its
  scope covers the finder; its own Content-Security-Policy (see
  :mod:`locator.web.headers`) lets it fetch from this site only.
* ``/manifest.webmanifest`` makes the finder installable, in the page's language.
* ``/api/v1/offline`` is every station the finder needs to answer nearest-station questions
  in the browser: exact coordinates (not the map's 1 m rounding), names, kinds, amenity
  states, opening hours in words and the "reported closed" flags, keyed by the served
  dataset version. A large dataset (more than ``LOCATOR_LARGE_DATASET`` stations) is
  served by area only: the finder asks for a ``bbox`` around its position.

Nothing here is personal: the worker caches only the shell and the public GET answers
listed in ``CACHED_API`` (see ``static/js/sw.js``).
"""

from __future__ import annotations

import hashlib
import json
import threading
import zlib
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from flask import Blueprint, current_app, make_response, request, url_for
from flask_babel import gettext as _

from locator import amenities, params, schema
from locator.errors import BadQuery
from locator.stations.table import select
from locator.web.locale import current_lang
from locator.web.serialise import hours_text
from locator.web.state import data, large, state
from locator.web.transfer import ALGORITHMS, conditional

bp = Blueprint("offline", __name__)

OFFLINE_MAX_AGE_S = 30  # as the map's points: a new import is seen within about a minute
# The static files of the finder's shell, cached when the worker installs.
SHELL_FILES = (
    "css/site.css",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet/leaflet.js",
    "vendor/geographiclib-geodesic/geographiclib-geodesic.min.js",
    "js/common.js",
    "js/dom.js",
    "js/finder-url.js",
    "js/finder-search.js",
    "js/finder-list.js",
    "js/finder-map.js",
    "js/finder-route.js",
    "js/finder-offline.js",
    "js/finder-report.js",
    "js/finder.js",
    "js/station.js",
    "icons/icon-192.png",
    "icons/icon-512.png",
)
# Coordinates are sent as integers in 1/scale degrees: the smallest of these scales that
# keeps every coordinate exact, else the last (1e-9 degrees, 0.1 mm).
SCALES = (10**5, 10**6, 10**7, 10**8, 10**9)
AMENITY_CODES = {"yes": "y", "no": "n", "unknown": "u"}


@cache
def shell_version(static_folder: str, worker_source: bytes) -> str:
    """A short hash of the shell files and the worker's source: it changes when any does."""
    digest = hashlib.sha256(worker_source)
    for name in SHELL_FILES:
        digest.update(name.encode())
        digest.update((Path(static_folder) / name).read_bytes())
    return digest.hexdigest()[:16]


@bp.get("/sw.js")
def service_worker() -> Any:
    """The service worker: its settings, then ``static/js/sw.js``."""
    static = Path(current_app.static_folder or "static")
    source = (static / "js" / "sw.js").read_bytes()
    settings = {
        "version": shell_version(str(static), source),
        "shell": [url_for("static", filename=name) for name in SHELL_FILES],
        "finder": url_for("pages.finder"),
        "offline": url_for("offline.stations"),
        # Public GET answers the finder may use without a network (prefix match on the path).
        "cached_api": [url_for("api.amenity_vocabulary"), url_for("api.station_points")],
    }
    head = f"self.LOCATOR_SW = {json.dumps(settings, sort_keys=True)};\n".encode()
    response = make_response(head + source)
    response.mimetype = "text/javascript"
    response.cache_control.no_cache = True  # the browser checks for a new worker each visit
    return response


@bp.get("/manifest.webmanifest")
def manifest() -> Any:
    """The web app manifest: the finder opens full screen from the home screen."""
    lang = current_lang()
    start = url_for("pages.finder", lang=lang) if request.args.get("lang") else "/"
    body = {
        "name": _("Rest stations for outdoor workers"),
        "short_name": _("Rest stations"),
        "description": _("Find the nearest rest station, even with no signal."),
        "lang": "en" if lang == "en" else "zh-CN",
        "start_url": start,
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b4f6c",
        "icons": [
            {
                "src": url_for("static", filename=f"icons/icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for size in (192, 512)
        ],
    }
    response = make_response(json.dumps(body, ensure_ascii=False))
    response.mimetype = "application/manifest+json"
    return response


def exact_scale(values: np.ndarray) -> int:
    """The smallest of :data:`SCALES` at which every value is a whole number of units."""
    for scale in SCALES:
        if np.array_equal(np.round(values * scale) / scale, values):
            return scale
    return SCALES[-1]


def offline_pack(
    table: Any, dataset: dict[str, Any], rows: np.ndarray | None = None
) -> dict[str, Any]:
    """The stations at ``rows`` (default: every station) as the finder's offline search
    needs them (see :func:`stations`)."""
    frame = table.frame if rows is None else table.frame.iloc[rows]
    lonlat = frame[["lon", "lat"]].to_numpy(dtype=float)
    scale = exact_scale(lonlat)
    ints = np.round(lonlat * scale).astype(np.int64)
    deltas = np.diff(ints, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    kinds = list(schema.KINDS)
    expressions = [str(h or "") for h in frame["opening_hours"].tolist()]
    unique = sorted(set(expressions))
    words = [hours_text(e) for e in unique]
    position = {e: i for i, e in enumerate(unique)}
    pack = {
        "dataset": dataset,
        "count": len(frame),
        "scale": scale,
        "ids": frame["id"].tolist(),
        "names": [str(n or "") for n in frame["name"].tolist()],
        "kinds": kinds,
        "kind": [kinds.index(k) for k in frame["kind"].tolist()],
        "coords": deltas.ravel().tolist(),
        "amenities": {
            key: "".join(AMENITY_CODES.get(v, "u") for v in frame[key].tolist())
            for key in amenities.KEYS
        },
        "hours": {
            "zh": [w["zh"] if w else "" for w in words],
            "en": [w["en"] if w else "" for w in words],
        },
        "hour": [position[e] for e in expressions],
    }
    if "last_confirmed" in frame.columns:  # where the served data has it
        pack["last_confirmed"] = [day(v) for v in frame["last_confirmed"].tolist()]
    return pack


def day(value: Any) -> str | None:
    """An ISO day (YYYY-MM-DD) from a date, datetime or ISO text; None for blank or NaN."""
    if value is None or value != value or not str(value).strip():
        return None
    return str(value)[:10]


@bp.get("/api/v1/offline")
def stations() -> Any:
    """Every station (or those in a bbox), for the finder's offline search.
    ---
    get:
      summary: Stations for answering nearest-station questions offline
      description: 'What the finder keeps to answer nearest-station questions in the browser
        with no network: every station, or those in bbox. A dataset of more than
        LOCATOR_LARGE_DATASET stations is served by area only: bbox is required and may hold
        at most that many stations (the finder asks for the area around its position).
        Coordinates are exact: integers in 1/scale degrees (scale is the smallest power of
        ten from 1e5 to 1e9 that keeps them exact), each relative to the previous station.
        amenities holds one string per amenity with one letter per station: y (yes), n (no)
        or u (unknown). hour indexes hours.zh and hours.en (opening hours in words).
        last_confirmed (YYYY-MM-DD or null per station) appears when the served data has
        it; reported_closed maps the id of each station reported closed and not yet
        confirmed to the day of the latest report. area is the bbox asked for (null: every
        station). The ETag is the served dataset version and the closed flags.'
      parameters:
        - {name: bbox, in: query, schema: {type: string}, example: '116.0,39.5,117.0,40.5',
           description: 'only the stations in west,south,east,north (WGS84 degrees);
           required when the dataset is large'}
      responses:
        200:
          description: 'the stations, and the dataset they come from (with its version)'
          content:
            application/json:
              schema:
                type: object
                required: [dataset, count, scale, ids, names, kinds, kind, coords, amenities,
                           hours, hour, area, reported_closed]
                properties:
                  dataset: Dataset
                  count: {type: integer, minimum: 0}
                  scale: {type: integer}
                  ids: {type: array, items: {type: string}}
                  names: {type: array, items: {type: string}}
                  kinds: {type: array, items: Kind}
                  kind: {type: array, items: {type: integer, minimum: 0}}
                  coords: {type: array, items: {type: integer}}
                  amenities: {type: object, additionalProperties: {type: string}}
                  hours:
                    type: object
                    properties:
                      zh: {type: array, items: {type: string}}
                      en: {type: array, items: {type: string}}
                  hour: {type: array, items: {type: integer, minimum: 0}}
                  area: {type: array, items: {type: number}, nullable: true}
                  reported_closed:
                    type: object
                    additionalProperties: {type: string, format: date}
              example:
                dataset: {name: synthetic stations, synthetic: true, count: 2,
                          counts_by_kind: {warm_heart: 2}, version: 1}
                count: 2
                scale: 100000
                ids: [t1, t2]
                names: [东单驿站, 国贸驿站]
                kinds: [warm_heart, driver_home]
                kind: [0, 0]
                coords: [11641800, 3991300, 4300, -400]
                amenities: {shower: yn, toilet: yy}
                hours: {zh: [24 小时], en: [open 24 hours]}
                hour: [0, 0]
                area: null
                reported_closed: {t2: '2026-05-01'}
        304: {description: 'not modified: the served dataset version and closed flags are
              the ones named in If-None-Match'}
        400: {description: 'bad bbox, no bbox for a large dataset, or a bbox holding more
              than LOCATOR_LARGE_DATASET stations', content: {application/json: {schema: Error}}}
    """
    served = data()
    box = params.parse_bbox(request.args.get("bbox"))
    if box is None and large():
        raise BadQuery(
            f"this dataset has {len(served.table):,} stations: give a bbox "
            "(west,south,east,north) around the area to keep."
        )
    flags = served.writer.closed_flags()
    tag = f"offline-v{served.version}-c{flags_digest(flags)}"
    if request.if_none_match.contains_weak(tag) or any(
        request.if_none_match.contains_weak(f"{tag}:{algorithm}") for algorithm in ALGORITHMS
    ):  # the browser has this version: skip building it
        return conditional(make_response("", 304), tag, OFFLINE_MAX_AGE_S)
    body, ids = encoded_pack(served, box)
    if box is not None:  # only the flags of the stations in the copy
        wanted = set(ids)
        flags = {i: d for i, d in flags.items() if i in wanted}
    tail = json.dumps(dict(flags), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    response = make_response(body[:-1] + b',"reported_closed":' + tail.encode() + b"}")
    response.mimetype = "application/json"
    return conditional(response, tag, OFFLINE_MAX_AGE_S)


def flags_digest(flags: Any) -> str:
    """A short checksum of the closed flags (id: day), for the copy's ETag: they change
    without a new dataset version."""
    text = json.dumps(sorted(flags.items()), separators=(",", ":"))
    return f"{zlib.crc32(text.encode()):08x}"


PACKS_KEPT = 16  # offline copies (whole, or of an area) kept per process
_packs: dict[tuple[int, int, Any], tuple[bytes, list[str]]] = {}
_packs_lock = threading.Lock()


def encoded_pack(
    served: Any, box: tuple[float, float, float, float] | None
) -> tuple[bytes, list[str]]:
    """:func:`offline_pack` of the served version (its stations in ``box``, or all) as
    UTF-8 JSON, and the ids it holds; built once per version, box and process (about 1 MB
    and 0.15 s for 9,000 stations). Only the latest version's :data:`PACKS_KEPT` are kept.
    A box of a large dataset holding more than ``LOCATOR_LARGE_DATASET`` stations is a
    BadQuery."""
    key = (id(served), served.version, box)
    with _packs_lock:
        found = _packs.get(key)
    if found is None:
        rows = None
        if box is not None:
            table = served.table
            rows = select(table, bbox=box, limit=len(table) or 1).rows
            most = int(state().settings["LARGE_DATASET"])
            if large() and len(rows) > most:
                raise BadQuery(
                    f"the bbox holds {len(rows):,} stations; at most {most:,} fit in an "
                    "offline copy: choose a smaller area."
                )
        pack = offline_pack(served.table, served.dataset, rows)
        pack["area"] = list(box) if box is not None else None
        body = json.dumps(pack, ensure_ascii=False, separators=(",", ":")).encode()
        found = body, pack["ids"]
        with _packs_lock:
            if any(k[:2] != key[:2] for k in _packs) or len(_packs) >= PACKS_KEPT:
                _packs.clear()
            _packs[key] = found
    return found
