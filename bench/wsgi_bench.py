"""WSGI factory for bench/http_nearest.py: the locator app plus two benchmark-only routes.

Serve it with gunicorn from the project root::

    .venv/bin/gunicorn -w 2 -b 127.0.0.1:8123 --chdir bench 'wsgi_bench:create_bench_app()'

* ``GET /bench/noop`` returns ``{}`` through the same Flask app, JSON provider and server
  as ``/api/v1/nearest``, so the two differ only in the work the route does.
* ``GET /bench/nearest-sketch`` answers exactly like ``/api/v1/nearest`` (same parsing,
  same ``index.nearest`` call, byte-identical JSON) but builds the response from data
  prepared once at start-up: per-column Python lists instead of ``frame.iloc[rows]
  .to_dict("records")``, GCJ-02/BD-09 station coordinates converted once, vectorised,
  instead of twice per hit, navigation URLs from ``quote`` on each value instead of five
  ``urlencode`` calls and cached per station (only Baidu's depends on the query point),
  and ``dataset_json`` computed once. It is a measured sketch of a
  fix for ``locator/``, not part of the product.

Settings come from the ``LOCATOR_*`` environment, as for ``create_app()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import numpy as np
from flask import Flask, request

from locator import amenities, coords, create_app, navigation, params, state, travel
from locator.api import PROPERTIES, dataset_json
from locator.api_search import MAX_K, MAX_RADIUS_M, parse_filters
from locator.stations import StationTable

NOOP_PATH = "/bench/noop"
SKETCH_PATH = "/bench/nearest-sketch"
BAIDU = "https://api.map.baidu.com/direction?"
LINK_CACHE_SIZE = 100_000  # station rows whose query-independent URLs are kept


@dataclass(frozen=True)
class Prepared:
    """What the sketch computes once per station table."""

    columns: dict[str, list[Any]]
    gcj: tuple[np.ndarray, np.ndarray]
    bd: tuple[np.ndarray, np.ndarray]
    dataset: dict[str, Any]
    link_cache: dict[tuple[int, str, str], tuple[dict[str, str], str]]


def prepare(table: StationTable) -> Prepared:
    lon, lat = table.frame["lon"].to_numpy(float), table.frame["lat"].to_numpy(float)
    return Prepared(
        {c: table.frame[c].tolist() for c in table.frame.columns},
        coords.wgs84_to_gcj02(lon, lat),
        coords.wgs84_to_bd09(lon, lat),
        dataset_json(table),
        {},
    )


def features(prep: Prepared, rows: list[int]) -> list[dict[str, Any]]:
    """Same output as :func:`locator.api.features` with the default properties."""
    cols = prep.columns
    plain = [f for f in PROPERTIES if f != "amenities"]
    out = []
    for r in rows:
        props = {f: cols[f][r] for f in plain}
        props["amenities"] = {k: cols[k][r] for k in amenities.KEYS}
        geometry = {"type": "Point", "coordinates": [cols["lon"][r], cols["lat"][r]]}
        out.append(
            {"type": "Feature", "id": cols["id"][r], "geometry": geometry, "properties": props}
        )
    return out


def _q(value: object, safe: str = "") -> str:
    return quote(str(value), safe=safe)


def links(prep: Prepared, row: int, name: str, kind: str, origin_bd: str) -> dict[str, str]:
    """Same URLs as :func:`locator.navigation.links`; ``origin_bd`` is Baidu's origin part.

    Only Baidu's URL depends on the query point; the rest is cached per station row.
    """
    cached = prep.link_cache.get((row, name, kind))
    if cached is None:
        cached = _station_links(prep, row, name, kind)
        if len(prep.link_cache) < LINK_CACHE_SIZE:
            prep.link_cache[(row, name, kind)] = cached
    fixed, baidu_tail = cached
    return {**fixed, "baidu": f"{BAIDU}{origin_bd}{baidu_tail}"}  # keeps the key order


def _station_links(prep: Prepared, row: int, name: str, kind: str) -> tuple[dict[str, str], str]:
    mode = navigation._MODES.get(kind, navigation._MODES["warm_heart"])
    cols, src = prep.columns, navigation.SRC
    lat_lon = _q(f"{cols['lat'][row]:.6f},{cols['lon'][row]:.6f}")
    g = f"{prep.gcj[0][row]:.6f},{prep.gcj[1][row]:.6f},{name}"
    b = f"latlng:{prep.bd[1][row]:.6f},{prep.bd[0][row]:.6f}|name:{name}"
    qname = _q(name)
    fixed = {
        "amap": f"https://uri.amap.com/navigation?to={_q(g)}&mode={_q(mode['amap'])}"
        f"&coordinate=gaode&callnative=1&src={src}",
        "baidu": "",
        "tencent": f"https://apis.map.qq.com/uri/v1/routeplan?type={_q(mode['tencent'])}"
        f"&to={qname}&tocoord={lat_lon}&coord_type=1&referer={src}",
        "apple": f"https://maps.apple.com/?daddr={lat_lon}&q={qname}&dirflg={_q(mode['apple'])}",
        "google": f"https://www.google.com/maps/dir/?api=1&destination={lat_lon}"
        f"&travelmode={_q(mode['google'])}",
    }
    baidu_tail = (
        f"destination={_q(b, ',:|')}&coord_type=bd09ll&mode={_q(mode['baidu'])}"
        f"&output=html&src={src}"
    )
    return fixed, baidu_tail


def nearest_sketch(prep: Prepared) -> dict[str, Any]:
    """The body of ``/api/v1/nearest`` for the current request, built from ``prep``."""
    args = request.args
    lon, lat = params.parse_point(args.get("lon"), args.get("lat"), args.get("crs"))
    k = params.parse_int("k", args.get("k"), 5, 1, MAX_K)
    radius_m = params.parse_positive("radius_m", args.get("radius_m"), MAX_RADIUS_M)
    found = state().index.nearest(lon, lat, k, parse_filters(args), radius_m=radius_m)
    out = features(prep, [h.row for h in found.hits])
    o_lon, o_lat = (float(v) for v in coords.wgs84_to_bd09(lon, lat))
    origin = _q(f"latlng:{o_lat:.6f},{o_lon:.6f}|name:我的位置", ",:|")
    for feature, hit in zip(out, found.hits, strict=True):
        props = feature["properties"]
        props["distance_m"] = round(hit.distance_m, 1)
        props["estimates"] = {**travel.estimates(hit.distance_m), "note": travel.NOTE}
        props["links"] = links(prep, hit.row, props["name"], props["kind"], f"origin={origin}&")
        props["bearing_deg"] = round(hit.bearing_deg, 1)
        props["open_now"] = hit.open_now
    return {
        "type": "FeatureCollection",
        "numberMatched": found.number_matched,
        "numberReturned": len(out),
        "query": {
            "lon": lon,
            "lat": lat,
            "k": k,
            "radius_m": radius_m,
            "evaluated_at": found.evaluated_at.isoformat(timespec="minutes"),
            "timezone": "Asia/Shanghai",
        },
        "dataset": prep.dataset,
        "features": out,
    }


def create_bench_app() -> Flask:
    """``locator.create_app()`` with ``GET /bench/noop`` and ``GET /bench/nearest-sketch``."""
    app = create_app()
    with app.app_context():
        prep = prepare(state().table)

    @app.get(NOOP_PATH)
    def noop() -> Any:
        return {}

    @app.get(SKETCH_PATH)
    def sketch() -> Any:
        return nearest_sketch(prep)

    return app
