"""Benchmark the pages as a phone on a slow network sees them: bytes, time to dots, results.

Run from the project root::

    .venv/bin/python bench/pages.py [--runs 3] [--max-seconds 240] [--no-record]

Starts ``gunicorn -w 2 -k gthread --threads 4`` on a free loopback port serving
``locator:create_app()`` with a new SQLite database in a temporary folder, seeded with the
shipped synthetic stations (``data/``, 10,000 stations; ``LOCATOR_STORE`` names a path
that does not exist), and the deployment's compression and caching. Then, in Debian's
Chromium (Playwright, headless), for each page:

* the finder ``/?tiles=none``, the planner ``/planner?tiles=none`` and the stations embed
  ``/embed/stations?tiles=none`` (no map tiles: they come from elsewhere and are not ours);
* a first load in a new browser context (empty cache) and a repeat visit in a new tab of
  the same context (its cache kept), with network throttling and a 4x slower CPU set over
  the Chrome DevTools Protocol (``Network.emulateNetworkConditions``,
  ``Emulation.setCPUThrottlingRate``): :data:`PROFILE`, Chrome DevTools' "Slow 4G" preset
  (562.5 ms round trip, 1.44 Mbit/s down, 675 kbit/s up);
* transferred bytes: the sum of ``encodedDataLength`` of every finished request (headers
  and bodies as sent, compressed; a 304 counts its headers; a file from the cache counts
  0), until the dots are drawn (and, for the finder, its first results are in);
* time to dots: from navigation start to the moment the page marks its station layer
  drawn (the finder's ``#map[data-loaded]``, the planner's ``data-stations-drawn``, the
  embed's ``#map[data-stations]``), read by a MutationObserver in the page;
* for the finder, time to results: from choosing a district in the list (after the dots)
  to the results list being done (``#results[data-state=done]``).

Medians of ``--runs`` runs (min–max in brackets). No run starts after ``--max-seconds``.
Nothing leaves 127.0.0.1. The result goes to BENCHMARKS.md unless ``--no-record``.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from nearest import ROOT, load_average, machine, markdown, met, record
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

HEADING = "## Pages on a slow phone (bench/pages.py)"
GUNICORN = Path(sys.executable).parent / "gunicorn"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PROFILE = {  # Chrome DevTools' "Slow 4G"
    "offline": False,
    "latency": 562.5,  # ms, added to each request's round trip
    "downloadThroughput": 1_440_000 / 8,  # bytes/s
    "uploadThroughput": 675_000 / 8,
}
CPU_SLOWDOWN = 4
PAGES = {
    "finder": "/?tiles=none",
    "planner": "/planner?tiles=none",
    "stations embed": "/embed/stations?tiles=none",
}
GOAL_BYTES = 250_000
GOAL_DOTS_S = 4.0
GOAL_RESULTS_S = 2.0
BASELINE = "2.16 MB first load, 14.4 s to dots, 4.4 s to results (finder, issue 13)"
# Runs before the page's scripts: note when a station layer is first marked drawn.
WATCH_DOTS = """
window.__dotsAt = null;
new MutationObserver(function (changes, observer) {
  var done = document.querySelector("#map[data-loaded], #map[data-stations]") ||
             document.documentElement.dataset.stationsDrawn !== undefined;
  if (done && window.__dotsAt === null) {
    window.__dotsAt = performance.now();
    observer.disconnect();
  }
}).observe(document, { attributes: true, subtree: true,
                       attributeFilter: ["data-loaded", "data-stations", "data-stations-drawn"] });
"""
SEARCH = """
() => new Promise(function (resolve) {
  var list = document.getElementById("results"), select = document.getElementById("district");
  var t0 = performance.now();
  new MutationObserver(function (changes, observer) {
    if (list.dataset.state === "done") { observer.disconnect(); resolve(performance.now() - t0); }
  }).observe(list, { attributes: true, attributeFilter: ["data-state"] });
  select.value = select.querySelector("option[value]:not([value=''])").value;
  select.dispatchEvent(new Event("change"));
})
"""


@dataclass
class Visit:
    bytes: int
    dots_s: float
    results_s: float | None


@dataclass
class Figures:
    first: list[Visit] = field(default_factory=list)
    repeat: list[Visit] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, work: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "LOCATOR_DATABASE_URL": f"sqlite:///{work / 'locator.db'}",
        "LOCATOR_QUEUE_URL": f"sqlite:///{work / 'queue.db'}",
        "LOCATOR_STORE": str(work / "no-store.gpkg"),
        "LOCATOR_SECRET_KEY": "bench",
    }
    subprocess.run(  # create, upgrade and seed the database once, before the workers
        [sys.executable, "-c", "from locator import create_app; create_app()"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    cmd = [str(GUNICORN), "-w", "2", "-k", "gthread", "--threads", "4"]
    cmd += ["-b", f"127.0.0.1:{port}", "--log-level", "warning", "--chdir", str(ROOT)]
    cmd += ["-c", "/dev/null", "locator:create_app()"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)


def wait_ready(proc: subprocess.Popen[str], base: str, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}:\n{proc.stderr}")
        try:
            with urllib.request.urlopen(base + "/api/v1/health", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("gunicorn did not answer in time")


def visit(context: BrowserContext, url: str, search: bool) -> Visit:
    """One throttled visit of ``url`` in a new tab of ``context``."""
    page: Page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", PROFILE)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    sizes: dict[str, float] = {}
    cdp.on(
        "Network.loadingFinished", lambda e: sizes.update({e["requestId"]: e["encodedDataLength"]})
    )
    page.add_init_script(WATCH_DOTS)
    page.goto(url, wait_until="commit")
    page.wait_for_function("() => window.__dotsAt !== null", timeout=120_000, polling=100)
    dots_s = float(page.evaluate("() => window.__dotsAt")) / 1000
    results_s = float(page.evaluate(SEARCH)) / 1000 if search else None
    page.wait_for_timeout(200)  # let the last loadingFinished events arrive
    page.close()
    return Visit(int(sum(sizes.values())), dots_s, results_s)


def run_page(browser: Browser, url: str, search: bool, figures: Figures) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    try:
        figures.first.append(visit(context, url, search))
        figures.repeat.append(visit(context, url, search))
    finally:
        context.close()


def spread(values: list[float], fmt: str) -> str:
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}–{max(values):{fmt}})"


def table(results: dict[str, Figures]) -> tuple[str, list[bool]]:
    head = ["page", "visit", "transferred KB", "time to dots s", "time to results s"]
    rows, goals = [], []
    for name, figures in results.items():
        for label, visits in (("first", figures.first), ("repeat", figures.repeat)):
            kb = [v.bytes / 1000 for v in visits]
            dots = [v.dots_s for v in visits]
            found = [v.results_s for v in visits if v.results_s is not None]
            rows.append(
                [
                    name,
                    label,
                    spread(kb, ".1f"),
                    spread(dots, ".2f"),
                    spread(found, ".2f") if found else "–",
                ]
            )
            if name == "finder" and label == "first":
                goals.append(statistics.median(kb) * 1000 <= GOAL_BYTES)
                goals.append(statistics.median(dots) <= GOAL_DOTS_S)
                goals.append(statistics.median(found) <= GOAL_RESULTS_S)
    return markdown(head, rows), goals


def report(results: dict[str, Figures], runs: int, load_before: str, seconds: float) -> str:
    text, goals = table(results)
    down_mbit = PROFILE["downloadThroughput"] * 8 / 1e6
    up_kbit = PROFILE["uploadThroughput"] * 8 / 1e3
    finder = results["finder"].first
    kb = statistics.median(v.bytes for v in finder) / 1000
    dots = statistics.median(v.dots_s for v in finder)
    found = statistics.median(v.results_s or 0.0 for v in finder)
    verdict = (
        f"Finder first load {kb:.0f} KB (goal ≤ 250 KB: {met(goals[0])}), dots after "
        f"{dots:.1f} s (goal ≤ 4 s: {met(goals[1])}), results {found:.1f} s after a search "
        f"(goal ≤ 2 s: {met(goals[2])}); before: {BASELINE}."
    )
    return f"""{HEADING}

Command: `.venv/bin/python bench/pages.py --runs {runs}` ({seconds:.0f} s).
Machine: {machine()}. Load average (1, 5, 15 min) before: {load_before}, after: {load_average()}.

Verdict: {verdict}

{text}

* Medians of {runs} runs (min–max). Throttling: Chrome DevTools' "Slow 4G" preset over
  CDP ({down_mbit:.2f} Mbit/s down, {up_kbit:.0f} kbit/s up, {PROFILE["latency"]} ms added
  to each round trip: the issue's baseline of 2.16 MB in 14.4 s implies about this link);
  CPU {CPU_SLOWDOWN}× slower (`Emulation.setCPUThrottlingRate`); a 390×844 viewport;
  Chromium {CHROMIUM}.
* Server: `gunicorn -w 2 -k gthread --threads 4 'locator:create_app()'` on 127.0.0.1 with
  the shipped 10,000 synthetic stations; brotli or gzip (Flask-Compress), static files
  revalidated by ETag (304), `/api/v1/stations/points` with an ETag of the served dataset
  version and `max-age=30`.
* Transferred: every request's `encodedDataLength` (compressed bodies and headers) until
  the dots (finder: and its first results) are in; map tiles are off (`tiles=none`).
  First: a new browser context; repeat: a new tab in the same context right after, so the
  points (`max-age=30`) come from the cache; after 30 s they cost one 304 more.
* Time to dots: navigation start to the station layer marked drawn. Time to results:
  choosing the first district in the finder's list to the list done (the search, its
  answer and drawing it). The planner and the embed have no search.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=240.0)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    load_before, started = load_average(), time.monotonic()
    results = {name: Figures() for name in PAGES}
    with tempfile.TemporaryDirectory(prefix="locator-pages-") as tmp:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(port, Path(tmp))
        try:
            wait_ready(server, base)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                visit(browser.new_context(), base + PAGES["finder"], False)  # warm the server
                for run in range(args.runs):
                    if time.monotonic() - started > args.max_seconds:
                        print(f"stopping after {run} runs (--max-seconds)")
                        break
                    for name, path in PAGES.items():
                        run_page(browser, base + path, name == "finder", results[name])
                    print(f"run {run + 1} done", flush=True)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    runs = len(results["finder"].first)
    if runs == 0:
        raise SystemExit("no run finished")
    text = report(results, runs, load_before, time.monotonic() - started)
    print(text)
    if not args.no_record:
        record(HEADING, text)


if __name__ == "__main__":
    main()
