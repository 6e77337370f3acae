"""Benchmark the planner's coverage map against a naive folium page with one Marker each.

Run from the project root::

    .venv/bin/python bench/maps.py [--stations 10000] [--repeat 7] [--no-record]

Both pages show the same ``--stations`` Beijing warm-heart stations: the shipped synthetic
9,000 plus seeded copies moved by up to ~200 m (new ids), with the admin columns left for
the loader to fill. One werkzeug server on 127.0.0.1 serves the locator app on that data
and, at ``/bench/naive.html``, the naive page: ``folium.Map`` with one ``folium.Marker``
(popup = the station name) per station, its JS/CSS pointed at our vendored Leaflet plus a
three-line stand-in for jQuery's ``$(html)`` (folium popups call it; the stand-in is
cheaper than jQuery, which favours the naive page). Ours is ``/planner?tiles=none``: the
folium map of locator/maps.py, whose stations come from ``/api/v1/stations/points`` and
are drawn as canvas circles.

Headless Debian Chromium (``/usr/bin/chromium``) loads the pages, every request off the
server aborted, a fresh browser context (empty cache) per load, the pages interleaved in
an order rotating run by run, after one untimed warm-up each.

* Size: bytes of the HTML and of the station data it loads (``decodedBodySize`` of the
  navigation and of the points request), and of everything the page fetched.
* Time until the stations are drawn, from navigation start: ours, the ``stations-drawn``
  performance mark planner-map.js sets in the animation frame after adding the circles
  (the canvas is painted then); naive, ``loadEventEnd`` (its markers are in the DOM by
  then; their paint is not counted, which favours the naive page). Ours is measured twice:
  with the server's map cache warm (as for every visitor after the first) and with the
  cache emptied before each load (the server builds demand coverage and map every time).

Nothing touches the network beyond 127.0.0.1. Results go to BENCHMARKS.md unless
``--no-record`` is given (timing and reporting helpers are shared with bench/nearest.py).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import folium
import numpy as np
import pandas as pd
from nearest import ROOT, load_average, machine, markdown, met, record
from playwright.sync_api import Browser, sync_playwright
from werkzeug.serving import make_server

from locator import create_app
from locator.web.planner import CACHE

HEADING = "## Maps (bench/maps.py)"
CHROMIUM = "/usr/bin/chromium"
NAIVE_PATH = "/bench/naive.html"
OURS_PATH = "/planner?tiles=none"
SIZE_GOAL = 8.0  # naive HTML at least 8x ours (HTML + station data)
TIME_GOAL = 3.0  # naive load at least 3x our time until the stations are drawn
ADMIN = ("province_adcode", "province_name", "city_adcode", "city_name")
ADMIN += ("district_adcode", "district_name")
JQUERY_STANDIN = """<script>
window.$ = function (html) { var t = document.createElement("template");
  t.innerHTML = String(html).trim(); return [t.content.firstChild]; };
</script>"""


def write_data(folder: Path, count: int, seed: int) -> Path:
    """A data dir with ``count`` Beijing warm-heart stations (see the module docstring)."""
    shipped = ROOT / "data"
    frame = pd.read_csv(shipped / "stations" / "synthetic_stations.csv", dtype=str)
    frame = frame[frame["kind"] == "warm_heart"].drop(columns=list(ADMIN))
    rng = np.random.default_rng(seed)
    extra = frame.sample(max(0, count - len(frame)), replace=True, random_state=seed).copy()
    extra["id"] = [f"bench-{i:05d}" for i in range(len(extra))]
    for axis in ("lon", "lat"):  # up to ~0.002 degrees: about 200 m
        moved = extra[axis].astype(float) + rng.uniform(-0.002, 0.002, len(extra))
        extra[axis] = moved.round(6).astype(str)
    stations = pd.concat([frame, extra]).head(count)
    (folder / "stations").mkdir(parents=True)
    for name in ("boundaries", "census", "places"):
        (folder / name).symlink_to(shipped / name)
    stations.to_csv(folder / "stations" / "synthetic_stations.csv", index=False)
    meta = {"name": "bench stations", "synthetic": True, "description": "bench/maps.py"}
    (folder / "stations" / "synthetic_stations.meta.json").write_text(json.dumps(meta))
    return folder


def naive_page(stations: pd.DataFrame) -> str:
    """The baseline: one folium.Marker with a popup per station, local Leaflet."""
    m = folium.Map(location=[40.0, 116.4], zoom_start=9, tiles=None)
    m.default_js = [("leaflet", "/static/vendor/leaflet/leaflet.js")]
    m.default_css = [("leaflet_css", "/static/vendor/leaflet/leaflet.css")]
    for rec in stations[["lat", "lon", "name"]].itertuples(index=False):
        folium.Marker([rec.lat, rec.lon], popup=str(rec.name)).add_to(m)
    html: str = m.get_root().render()
    return html.replace("<head>", "<head>" + JQUERY_STANDIN, 1)


@contextmanager
def serve(app: Any, naive_html: bytes) -> Iterator[str]:
    def wsgi(environ: dict[str, Any], start: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") == NAIVE_PATH:
            start("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [naive_html]
        return app(environ, start)

    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@dataclass(frozen=True)
class Load:
    """One page load: ms until the stations were drawn, and bytes fetched."""

    drawn_ms: float
    html_bytes: int
    data_bytes: int
    total_bytes: int
    requests: int


SIZES = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const res = performance.getEntriesByType("resource");
  const points = res.filter((r) => r.name.includes("/api/v1/stations/points"));
  return { html: nav.decodedBodySize,
           data: points.reduce((s, r) => s + r.decodedBodySize, 0),
           total: nav.decodedBodySize + res.reduce((s, r) => s + r.decodedBodySize, 0),
           requests: 1 + res.length };
}"""


def load(browser: Browser, base: str, page_name: str) -> Load:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.route(
        "**/*", lambda r: r.continue_() if r.request.url.startswith(base + "/") else r.abort()
    )
    page = context.new_page()
    try:
        if page_name == "naive":
            page.goto(base + NAIVE_PATH, wait_until="load", timeout=120_000)
            page.wait_for_function("performance.getEntriesByType('navigation')[0].loadEventEnd > 0")
            drawn = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
        else:
            page.goto(base + OURS_PATH, timeout=120_000)
            page.wait_for_selector("html[data-stations-drawn]", state="attached", timeout=120_000)
            drawn = page.evaluate("performance.getEntriesByName('stations-drawn')[0].startTime")
        sizes = page.evaluate(SIZES)
    finally:
        context.close()
    return Load(float(drawn), sizes["html"], sizes["data"], sizes["total"], sizes["requests"])


def run(args: argparse.Namespace) -> tuple[dict[str, list[Load]], dict[str, Any]]:
    names = ("naive", "ours (map cache warm)", "ours (map rebuilt per load)")
    loads: dict[str, list[Load]] = {n: [] for n in names}
    with tempfile.TemporaryDirectory(prefix="locator-bench-maps-") as tmp:
        data_dir = write_data(Path(tmp) / "data", args.stations, args.seed)
        started = time.perf_counter()
        app = create_app({"TESTING": True, "DATA_DIR": data_dir, "STORE": Path(tmp) / "none"})
        info: dict[str, Any] = {"app_s": time.perf_counter() - started}
        table = app.extensions["locator"].live.current().table
        info["stations"] = len(table)
        started = time.perf_counter()
        naive = naive_page(table.frame).encode("utf-8")
        info["naive_build_s"] = time.perf_counter() - started
        with serve(app, naive) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
            try:
                for name in ("naive", "ours"):  # warm-up: server caches, Chromium's first run
                    load(browser, base, name)
                for i in range(args.repeat):
                    order = names[i % 3 :] + names[: i % 3]
                    for name in order:
                        if name.endswith("per load)"):
                            app.extensions.pop(CACHE, None)
                        kind = "naive" if name == "naive" else "ours"
                        loads[name].append(load(browser, base, kind))
                        print(name, loads[name][-1], flush=True)
            finally:
                browser.close()
    return loads, info


def ms(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}–{max(values):,.0f})"


def section(args: argparse.Namespace, loads: dict[str, list[Load]], info: dict[str, Any]) -> str:
    naive = loads["naive"]
    warm, cold = loads["ours (map cache warm)"], loads["ours (map rebuilt per load)"]
    naive_ms = statistics.median(x.drawn_ms for x in naive)
    size_rows, time_rows = [], []
    for name, runs in loads.items():
        first = runs[0]
        page_kb = (first.html_bytes + first.data_bytes) / 1024
        size_rows.append(
            [
                name,
                f"{first.html_bytes / 1024:,.0f}",
                f"{first.data_bytes / 1024:,.0f}",
                f"{page_kb:,.0f}",
                f"{first.total_bytes / 1024:,.0f}",
                str(first.requests),
            ]
        )
        drawn = [x.drawn_ms for x in runs]
        ratio = "–" if name == "naive" else f"{naive_ms / statistics.median(drawn):.1f}× faster"
        time_rows.append([name, ms(drawn), ratio])
    ours_bytes = warm[0].html_bytes + warm[0].data_bytes
    size_ratio = naive[0].html_bytes / ours_bytes
    run_ratios = [n.drawn_ms / o.drawn_ms for n, o in zip(naive, cold, strict=True)]
    time_cold = naive_ms / statistics.median(x.drawn_ms for x in cold)
    time_warm = naive_ms / statistics.median(x.drawn_ms for x in warm)
    tools = f"Chromium `{CHROMIUM}` headless; playwright {version('playwright')}, "
    tools += f"folium {version('folium')}, Leaflet 1.9.4"
    return "\n".join(
        [
            HEADING,
            "",
            f"Measured {machine()}; {tools}; load average {args.load_before} before, "
            f"{load_average()} after.",
            f"Command: `.venv/bin/python bench/maps.py --stations {args.stations} "
            f"--repeat {args.repeat} --seed {args.seed}`.",
            "",
            f"{info['stations']:,} Beijing warm-heart stations on both pages. Sizes are "
            "uncompressed bytes (KiB); station data = the points request (ours) or nothing "
            "(the naive page inlines its markers).",
            "",
            markdown(
                [
                    "page",
                    "HTML KiB",
                    "station data KiB",
                    "HTML + data KiB",
                    "all fetched KiB",
                    "requests",
                ],
                size_rows,
            ),
            "",
            markdown(
                [
                    "page",
                    f"ms until stations drawn, median of {args.repeat} (min–max)",
                    "naive ÷ this",
                ],
                time_rows,
            ),
            "",
            f"* Goal: naive HTML ≥ {SIZE_GOAL:g}× our HTML + station data: "
            f"{size_ratio:.1f}× — {met(size_ratio >= SIZE_GOAL)}.",
            f"* Goal: stations drawn ≥ {TIME_GOAL:g}× sooner than the naive page loads, judged "
            f"on ours with the map rebuilt per load: {time_cold:.1f}× — "
            f"{met(time_cold >= TIME_GOAL)} (run by run "
            f"{statistics.median(run_ratios):.1f}×, {min(run_ratios):.1f}–{max(run_ratios):.1f}"
            f"; with the map cache warm: {time_warm:.1f}×).",
            f"* Building the naive page in Python (10,000 `folium.Marker`s, `render()`) took "
            f"{info['naive_build_s']:.1f} s; it is served prebuilt, so that time is not in its "
            "row.",
            "",
            "Setup: see the docstring of `bench/maps.py`. Times are from navigation start "
            "(`performance.timeOrigin`) in the page; every load uses a fresh browser context, so "
            "Leaflet and the vendored files are fetched each time by both pages.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stations", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=10_000)
    parser.add_argument("--no-record", action="store_true", help="do not write BENCHMARKS.md")
    args = parser.parse_args(argv)
    args.load_before = load_average()
    loads, info = run(args)
    text = section(args, loads, info)
    print(text)
    if not args.no_record:
        record(HEADING, text)
        print("recorded in BENCHMARKS.md")


if __name__ == "__main__":
    main()
