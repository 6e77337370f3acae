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
  states and opening hours in words, keyed by the served dataset version.

Nothing here is personal: the worker caches only the shell and the public GET answers
listed in ``CACHED_API`` (see ``static/js/sw.js``).
"""

from __future__ import annotations

import hashlib
import json
import threading
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from flask import Blueprint, current_app, make_response, request, url_for
from flask_babel import gettext as _

from locator import amenities, schema
from locator.web.locale import current_lang
from locator.web.serialise import hours_text
from locator.web.state import data
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


def offline_pack(table: Any, dataset: dict[str, Any]) -> dict[str, Any]:
    """Every station as the finder's offline search needs it (see :func:`stations`)."""
    frame = table.frame
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
    for column in ("last_confirmed", "reported_closed"):  # where the served data has them
        if column in frame.columns:
            pack[column] = [day(v) for v in frame[column].tolist()]
    return pack


def day(value: Any) -> str | None:
    """An ISO day (YYYY-MM-DD) from a date, datetime or ISO text; None for blank or NaN."""
    if value is None or value != value or not str(value).strip():
        return None
    return str(value)[:10]


@bp.get("/api/v1/offline")
def stations() -> Any:
    """Every station, for the finder's offline search.
    ---
    get:
      summary: Every station for answering nearest-station questions offline
      description: 'What the finder keeps to answer nearest-station questions in the browser
        with no network. Coordinates are exact: integers in 1/scale degrees (scale is the
        smallest power of ten from 1e5 to 1e9 that keeps them exact), each relative to the
        previous station. amenities holds one string per amenity with one letter per
        station: y (yes), n (no) or u (unknown). hour indexes hours.zh and hours.en (opening
        hours in words). last_confirmed and reported_closed (YYYY-MM-DD or null) appear
        when the served data has them. The ETag is the served dataset version.'
      responses:
        200:
          description: 'the stations, and the dataset they come from (with its version)'
          content:
            application/json:
              schema:
                type: object
                required: [dataset, count, scale, ids, names, kinds, kind, coords, amenities,
                           hours, hour]
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
        304: {description: 'not modified: the served dataset version is the one named in
              If-None-Match'}
    """
    served = data()
    tag = f"offline-v{served.version}"
    if request.if_none_match.contains_weak(tag) or any(
        request.if_none_match.contains_weak(f"{tag}:{algorithm}") for algorithm in ALGORITHMS
    ):  # the browser has this version: skip building it
        return conditional(make_response("", 304), tag, OFFLINE_MAX_AGE_S)
    response = make_response(encoded_pack(served))
    response.mimetype = "application/json"
    return conditional(response, tag, OFFLINE_MAX_AGE_S)


_packs: dict[tuple[int, int], bytes] = {}
_packs_lock = threading.Lock()


def encoded_pack(served: Any) -> bytes:
    """:func:`offline_pack` of the served version as UTF-8 JSON, built once per version
    and process (about 1 MB and 0.15 s for 9,000 stations); only the latest is kept."""
    key = (id(served), served.version)
    with _packs_lock:
        found = _packs.get(key)
    if found is None:
        body = offline_pack(served.table, served.dataset)
        found = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        with _packs_lock:
            _packs.clear()
            _packs[key] = found
    return found
