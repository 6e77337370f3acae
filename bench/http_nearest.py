"""Benchmark ``GET /api/v1/nearest`` over HTTP behind gunicorn, against a no-op route.

Run from the project root::

    .venv/bin/python bench/http_nearest.py [--requests 400] [--repeat 5]
                                           [--worker-class sync,gthread] [--no-record]
                                           [--database-url URL]

For each worker class, starts ``gunicorn -w 2`` (from ``bench/``, so without the project's
``gunicorn.conf.py``) on a free loopback port serving
``bench/wsgi_bench.py`` (the locator app plus ``GET /bench/noop`` returning ``{}``), with
the database ``--database-url`` (default: ``LOCATOR_DATABASE_URL``, else a new SQLite file
in a temporary folder), which this process opens first, so that it is created, upgraded and,
when new, seeded with the shipped synthetic stations (``LOCATOR_STORE`` points to a path
that does not exist) once, before gunicorn's workers start; it serves whatever version that
database names. A PostgreSQL database must exist (``createdb``); the app creates its tables.
One client (this process) sends requests one at a time over ``http.client``: per run,
``--requests`` to each route, interleaved in blocks of ``--block`` whose order rotates.
Latency is from sending the request to reading the whole body. Query points are seeded
random points in central Beijing. gunicorn is always stopped at the end, and no new run
starts after ``--max-seconds``.

Then ``--profile`` nearest requests are made in-process through ``app.test_client()``,
alternating with no-op requests: once with the route's calls wrapped in CPU timers (where
the time goes, part by part) and once under cProfile (top 15 by cumulative time).
Nothing touches the network beyond 127.0.0.1. Results go to BENCHMARKS.md unless
``--no-record`` is given.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import json
import os
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
from flask import Flask
from nearest import ROOT, load_average, machine, markdown, met, record
from wsgi_bench import NOOP_PATH, create_bench_app

HEADING = "## HTTP latency (bench/http_nearest.py)"
GUNICORN = Path(sys.executable).parent / "gunicorn"
BEIJING = (116.20, 39.75, 116.60, 40.05)  # west, south, east, north: central Beijing
GOAL = 1.5  # nearest median at most 1.5x the no-op median


@dataclass(frozen=True)
class Route:
    name: str
    paths: tuple[str, ...]  # cycled through, one per request


@dataclass(frozen=True)
class Latencies:
    """Seconds of every request, and the median of each run."""

    all_s: np.ndarray
    run_medians_s: tuple[float, ...]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.run_medians_s) * 1e3

    def run_range_ms(self) -> str:
        lo, hi = min(self.run_medians_s) * 1e3, max(self.run_medians_s) * 1e3
        return f"{self.median_ms:.2f} ({lo:.2f}–{hi:.2f})"

    def p95_ms(self) -> float:
        return float(np.percentile(self.all_s, 95)) * 1e3


def routes(n: int, seed: int) -> list[Route]:
    rng = np.random.default_rng(seed)
    west, south, east, north = BEIJING
    lon, lat = rng.uniform(west, east, n), rng.uniform(south, north, n)

    def nearest(extra: dict[str, str]) -> tuple[str, ...]:
        return tuple(
            "/api/v1/nearest?" + urlencode({"lat": f"{y:.6f}", "lon": f"{x:.6f}", "k": 5, **extra})
            for x, y in zip(lon, lat, strict=True)
        )

    return [
        Route("no-op `/bench/noop` (baseline)", (NOOP_PATH,)),
        Route("`/api/v1/health`", ("/api/v1/health",)),
        Route("`/api/v1/nearest?lat=…&lon=…&k=5`", nearest({})),
        Route("`/api/v1/nearest?…&k=5&amenities=shower`", nearest({"amenities": "shower"})),
    ]


# --- the server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(port: int, worker_class: str, env: dict[str, str]) -> subprocess.Popen:
    cmd = [
        str(GUNICORN),
        "-w",
        "2",
        "-k",
        worker_class,
        "-b",
        f"127.0.0.1:{port}",
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
        "--chdir",
        str(ROOT / "bench"),
        "wsgi_bench:create_bench_app()",
    ]
    # Started from bench/, so that gunicorn does not read the project's ./gunicorn.conf.py
    # (the deployment's settings: gthread, threads, max_requests, ...): this benchmark's
    # server is exactly the command above.
    return subprocess.Popen(cmd, cwd=ROOT / "bench", env=env, stderr=subprocess.PIPE, text=True)


def wait_ready(proc: subprocess.Popen, port: int, timeout_s: float = 60.0) -> None:
    """Return once GET /bench/noop answers 200; raise if gunicorn exits or times out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read() if proc.stderr else ""
            raise SystemExit(f"gunicorn exited with {proc.returncode}:\n{err}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", NOOP_PATH)
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"gunicorn did not answer on port {port} within {timeout_s:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


# --- the client --------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerRun:
    worker_class: str
    latencies: dict[str, Latencies]
    cpu_s: dict[str, float]  # server CPU seconds per request (both workers), by route
    connections: int  # TCP connections the client opened (1 when keep-alive held)
    runs: int
    first_pass_s: dict[str, float]  # median of the warm-up: first request to each path


def get(conn: http.client.HTTPConnection, path: str) -> tuple[float, bytes, bool]:
    """(seconds, body, whether a new connection was opened) for one GET."""
    fresh = conn.sock is None
    start = time.perf_counter()
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    elapsed = time.perf_counter() - start
    if resp.status != 200:
        raise SystemExit(f"GET {path} -> {resp.status}: {body[:300]!r}")
    return elapsed, body, fresh


def check_bodies(conn: http.client.HTTPConnection, rts: list[Route]) -> None:
    for route in rts:
        _, body, _ = get(conn, route.paths[0])
        if "nearest" in route.paths[0]:
            found = json.loads(body)
            if found["numberReturned"] != 5 or not found["features"]:
                raise SystemExit(f"unexpected answer from {route.paths[0]}: {body[:300]!r}")


def worker_pids(master: int) -> list[int]:
    """The gunicorn workers: children of the master process (Linux /proc)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds used so far by ``pids`` (Linux /proc, clock-tick resolution)."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def drive(
    port: int, master: int, rts: list[Route], args: argparse.Namespace
) -> tuple[dict[str, list[list[float]]], dict[str, float], int, dict[str, float]]:
    """Per route, per run, the latency of each request; server CPU seconds per route
    (both workers, summed over the blocks of that route); connections opened; and per
    route the median latency of the warm-up, a first pass over its paths."""
    requests, block = args.requests, args.block
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    check_bodies(conn, rts)
    first: dict[str, float] = {}
    for route in rts:  # warm-up: the first request to each path, timed but kept apart
        paths = route.paths if len(route.paths) > 1 else route.paths * min(50, requests)
        first[route.name] = statistics.median(get(conn, p)[0] for p in paths)
    pids = worker_pids(master)
    out: dict[str, list[list[float]]] = {r.name: [] for r in rts}
    cpu: dict[str, float] = dict.fromkeys(out, 0.0)
    opened = 0
    repeat, deadline = args.repeat, args.deadline
    for run in range(repeat):
        if time.monotonic() > deadline:
            print(f"  time limit reached: stopping after {run} run(s)")
            break
        per: dict[str, list[float]] = {r.name: [] for r in rts}
        for b, start in enumerate(range(0, requests, block)):
            shift = (run + b) % len(rts)
            for route in rts[shift:] + rts[:shift]:
                used = cpu_s(pids)
                for i in range(start, min(start + block, requests)):
                    seconds, _, fresh = get(
                        conn, route.paths[(run * requests + i) % len(route.paths)]
                    )
                    per[route.name].append(seconds)
                    opened += fresh
                cpu[route.name] += cpu_s(pids) - used
        for name, values in per.items():
            out[name].append(values)
    conn.close()
    return out, cpu, opened, first


def bench_server(
    worker_class: str, rts: list[Route], args: argparse.Namespace, env: dict[str, str]
) -> ServerRun:
    port = free_port()
    proc = start_gunicorn(port, worker_class, env)
    try:
        wait_ready(proc, port)
        raw, cpu, opened, first = drive(port, proc.pid, rts, args)
    finally:
        stop(proc)
    lat = {
        name: Latencies(
            np.concatenate([np.asarray(r) for r in runs]), tuple(statistics.median(r) for r in runs)
        )
        for name, runs in raw.items()
    }
    runs = len(next(iter(raw.values())))
    cpu_per = {name: cpu[name] / max(1, runs * args.requests) for name in raw}
    return ServerRun(worker_class, lat, cpu_per, opened, runs, first)


# --- in-process profile ------------------------------------------------------------------

PARTS = {
    "parse": "argument parsing: `params.parse_point`, `parse_int`, `parse_positive`, "
    "`parse_filters`",
    "nearest": "`index.nearest(lon, lat, 5, filters)`",
    "origin": "`coords.wgs84_to_bd09_point(lon, lat)` of the query point, for Baidu's link",
    "members": "5 × `serialise._hit_members(hit)`: distance, bearing, open state and "
    "estimates as JSON text",
    "features": "5 × `writer.feature_json(row, …)`: the station's cached UTF-8 JSON + the above",
    "collection": "`writer.collection_json(…)`: the FeatureCollection around them",
}


@contextmanager
def part_timers(app: Flask) -> Iterator[dict[str, float]]:
    """Time the parts of ``/api/v1/nearest`` inside real requests by wrapping, in this
    process only, what the route calls; yields CPU seconds (this thread) per part.
    Only the outermost wrapped call is counted, so no time is counted twice."""
    from locator import coords, params
    from locator.web import serialise

    served = app.extensions["locator"].live.current()  # the served version's index, writer
    spent: dict[str, float] = dict.fromkeys(PARTS, 0.0)
    depth = [0]

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            depth[0] += 1
            start = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                depth[0] -= 1
                if depth[0] == 0:
                    spent[name] += time.thread_time() - start

        return call

    modules = [
        (params, "parse_point", "parse"),
        (params, "parse_int", "parse"),
        (params, "parse_positive", "parse"),
        (params, "parse_filters", "parse"),
        (coords, "wgs84_to_bd09_point", "origin"),
        (serialise, "_hit_members", "members"),
    ]
    originals = [(obj, attr, getattr(obj, attr)) for obj, attr, _ in modules]
    instances = [
        (served.index, "nearest", "nearest"),
        (served.writer, "feature_json", "features"),
        (served.writer, "collection_json", "collection"),
    ]
    try:
        for obj, attr, part in modules + instances:
            setattr(obj, attr, timed(part, getattr(obj, attr)))
        yield spent
    finally:
        for obj, attr, fn in originals:
            setattr(obj, attr, fn)
        for obj, attr, _ in instances:
            delattr(obj, attr)  # the class attribute shows through again


def breakdown(app: Flask, n: int, seed: int) -> tuple[list[list[str]], str]:
    """Where the CPU time of a nearest request goes, and the cProfile top 15 of ``n``
    nearest requests (no-op requests alternate with them but are not profiled)."""
    client = app.test_client()
    paths = routes(n, seed)[2].paths
    for p in paths:  # one untimed pass: the stations' JSON is cached, as in a running server
        client.get(p)
        client.get(NOOP_PATH)
    wall: dict[str, list[float]] = {"nearest": [], "noop": []}
    cpu: dict[str, list[float]] = {name: [] for name in wall}
    per: dict[str, list[float]] = {name: [] for name in PARTS}
    with part_timers(app) as spent:
        for i in range(n):
            for name, path in (("nearest", paths[i]), ("noop", NOOP_PATH)):
                before = dict(spent)
                start, start_cpu = time.perf_counter(), time.thread_time()
                client.get(path)
                cpu[name].append(time.thread_time() - start_cpu)
                wall[name].append(time.perf_counter() - start)
                if name == "nearest":
                    for part in PARTS:
                        per[part].append(spent[part] - before[part])
    base = statistics.median(cpu["nearest"])

    def row(label: str, cpu_s: list[float], wall_s: list[float] | None = None) -> list[str]:
        value = statistics.median(cpu_s)
        mean = statistics.fmean(cpu_s)
        walls = "" if wall_s is None else f"{statistics.median(wall_s) * 1e6:,.0f}"
        return [label, f"{value * 1e6:,.0f}", f"{mean * 1e6:,.0f}", f"{value / base:.0%}", walls]

    whole = 'whole request, `test_client().get("/api/v1/nearest?…")`'
    table = [row(whole, cpu["nearest"], wall["nearest"])]
    table += [row(f"… {label}", per[part]) for part, label in PARTS.items()]
    rest = [a - sum(per[p][i] for p in PARTS) for i, a in enumerate(cpu["nearest"])]
    table.append(row("… the rest: Flask, werkzeug, test client, the route's own code", rest))
    table.append(row("whole request, no-op route `/bench/noop`", cpu["noop"], wall["noop"]))

    profile = cProfile.Profile(time.thread_time)  # CPU time: robust to a busy machine
    for i in range(n):
        profile.enable()
        client.get(paths[i])
        profile.disable()
        client.get(NOOP_PATH)
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(15)
    return table, text.getvalue()


# --- report ------------------------------------------------------------------------------


def _paired(num: Latencies, den: Latencies) -> str:
    pairs = zip(num.run_medians_s, den.run_medians_s, strict=True)
    ratios = [a / b for a, b in pairs]
    return f"{statistics.median(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f})"


def server_table(run: ServerRun, rts: list[Route], requests: int) -> tuple[str, list[str]]:
    base = run.latencies[rts[0].name]
    head = [
        "route",
        f"median ms: median of {run.runs} runs (min–max of run medians)",
        f"p95 ms (all {run.runs * requests:,})",
        "ratio of medians vs no-op",
        "run by run: median (min–max) of ratios",
        "ratio of p95 vs no-op",
        "server CPU ms / request (ratio vs no-op)",
        "first pass (warm-up) median ms",
    ]
    rows, goals = [], []
    base_cpu = run.cpu_s[rts[0].name]
    for route in rts:
        lat = run.latencies[route.name]
        ratio = lat.median_ms / base.median_ms
        cpu = run.cpu_s[route.name]
        rows.append(
            [
                route.name,
                lat.run_range_ms(),
                f"{lat.p95_ms():.2f}",
                f"{ratio:.2f}×",
                _paired(lat, base),
                f"{lat.p95_ms() / base.p95_ms():.2f}×",
                f"{cpu * 1e3:.2f} ({cpu / base_cpu:.1f}×)" if base_cpu else f"{cpu * 1e3:.2f}",
                f"{run.first_pass_s[route.name] * 1e3:.2f}",
            ]
        )
        if route.name.startswith("`/api/v1/nearest"):
            goals.append(
                f"* Goal ({run.worker_class}): {route.name} median ≤ {GOAL:g}× no-op: "
                f"{ratio:.2f}× — {met(ratio <= GOAL)}."
            )
    return markdown(head, rows), goals


def section(args: argparse.Namespace, tables: list[str], parts: list[list[str]], prof: str) -> str:
    cmd = (
        f".venv/bin/python bench/http_nearest.py --requests {args.requests} --block "
        f"{args.block} --repeat {args.repeat} --worker-class {args.worker_class}"
        + (f" --database-url {args.database_url}" if args.database_url else "")
    )
    parts_md = markdown(
        [
            f"one nearest request (k=5, random points), in-process, {args.profile} requests",
            "CPU µs, median",
            "CPU µs, mean",
            "median as a share of the whole request's",
            "wall µs, median",
        ],
        parts,
    )
    body = "\n\n".join(tables)
    return f"""{HEADING}

Measured {machine()}; load average {args.load_before} before, {load_average()} after.
Command: `{cmd}`.
Database: {args.database}.

{body}

* Server: `gunicorn -w 2 -k <worker class> -b 127.0.0.1:<free port> --keep-alive 30
  --chdir bench 'wsgi_bench:create_bench_app()'`, i.e. `locator.create_app()` plus
  `GET /bench/noop` returning `{{}}` (`bench/wsgi_bench.py`), serving {args.served}
  from the database above. A new database is seeded with the shipped synthetic stations
  (`LOCATOR_STORE` set to a path that does not exist); this process opens it (creating,
  upgrading and seeding it) before gunicorn starts.
* Client: this process, one `http.client.HTTPConnection`, one request at a time, time from
  sending the request to reading the whole body. Per run, {args.requests:,} requests to each
  route, interleaved in blocks of {args.block} whose order rotates, after a warm-up: one
  pass over each route's points (50 requests for the fixed routes), timed apart and shown
  in the last column. The warm-up is the only time a worker meets most stations for the
  first time, when `serialise.FeatureWriter` encodes and caches their JSON; a running
  server has met them already. Nearest queries are seeded random points in lon
  {BEIJING[0]}–{BEIJING[2]}, lat {BEIJING[1]}–{BEIJING[3]}. gunicorn's `sync` worker closes the
  connection after every response, so there the client reconnects for each request (both
  routes alike); `gthread` keeps the connection alive.
* Server CPU: user + system CPU of both gunicorn workers (`/proc/<pid>/stat`, 10 ms ticks)
  read before and after each block, summed per route and divided by its requests. On a
  busy machine wall-time ratios of long requests are inflated (the worker is time-sliced
  with other processes; see the load average above), so this column is the steadier one.

### Where a nearest request spends its time

{parts_md}

Each part is timed inside real requests: the calls the route makes are wrapped with CPU
timers, in the benchmark process only, and only the outermost wrapped call is counted (the
17 wrapped calls of a request add two `thread_time` calls each, roughly 1 µs a call).
Nearest and no-op requests alternate, after one untimed pass over the same points (so the
stations' JSON is cached, as in a running server). Times are CPU time of the
thread (`time.thread_time`), which other processes on a busy machine inflate far less than
wall time; wall time is shown for whole requests. "The rest" is the whole request less the
parts, request by request: Flask and werkzeug routing, the test client building the WSGI
environ and reading the response, and the loop in the route. In-process there is no socket
and no gunicorn, so the no-op floor is lower than over HTTP.

cProfile of {args.profile} nearest requests through `app.test_client()` (no-op requests
alternate, not profiled), timed with `time.thread_time` (CPU seconds, so time slices lost to
other processes are not counted), top 15 by cumulative time. The profiler's own cost per
call inflates code that makes many small calls, so read the shares from the table above:

```
{_short_paths(prof).strip()}
```
"""


def describe_database(app: Flask, url: str) -> str:
    """Which database the app opened, for the record (no password)."""
    engine = app.extensions["locator"].engine
    if engine.dialect.name != "postgresql":
        where = url or "a new file in a temporary folder"
        return f"SQLite {engine.dialect.dbapi.sqlite_version} (embedded default), {where}"
    with engine.connect() as conn:
        version = conn.exec_driver_sql("SHOW server_version").scalar_one().split()[0]
        postgis = conn.exec_driver_sql(
            "SELECT extversion FROM pg_extension WHERE extname = 'postgis'"
        ).scalar()
    extra = f" with PostGIS {postgis}" if postgis else ""
    return f"PostgreSQL {version}{extra}, `{engine.url.render_as_string(hide_password=True)}`"


def _short_paths(text: str) -> str:
    site = str(Path(np.__file__).resolve().parent.parent) + "/"
    return text.replace(str(ROOT) + "/", "").replace(site, "").replace(sys.base_prefix, "")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="per route per run")
    parser.add_argument("--block", type=int, default=50, help="requests per interleaved block")
    parser.add_argument("--repeat", type=int, default=5, help="runs per server")
    parser.add_argument(
        "--worker-class", default="sync,gthread", help="gunicorn worker classes, comma-separated"
    )
    parser.add_argument("--profile", type=int, default=500, help="in-process profiled requests")
    parser.add_argument("--seed", type=int, default=9020, help="seed of the query points")
    parser.add_argument(
        "--max-seconds", type=float, default=240.0, help="stop starting new runs after this"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LOCATOR_DATABASE_URL", ""),
        help="LOCATOR_DATABASE_URL of the server (default: that variable, else a new SQLite "
        "file in a temporary folder)",
    )
    parser.add_argument("--no-record", action="store_true", help="do not write BENCHMARKS.md")
    args = parser.parse_args(argv)
    args.load_before = load_average()
    args.deadline = time.monotonic() + args.max_seconds

    rts = routes(args.requests, args.seed)
    tables, goals = [], []
    with tempfile.TemporaryDirectory(prefix="locator-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'locator.db'}"
        env = {
            **os.environ,
            "LOCATOR_STORE": str(Path(tmp) / "absent.gpkg"),
            "LOCATOR_DATABASE_URL": url,
        }
        env.pop("LOCATOR_DATA_DIR", None)
        os.environ.update(LOCATOR_STORE=env["LOCATOR_STORE"], LOCATOR_DATABASE_URL=url)
        # Opened here first: two workers starting on a new database would both create it.
        app = create_bench_app()
        served = app.extensions["locator"].live.current()
        name, count = served.dataset["name"], len(served.table)
        args.served = f"{count:,} stations ({name}, dataset version {served.version})"
        args.database = describe_database(app, args.database_url)
        print(f"database: {args.database}; serving {args.served}")
        for worker_class in args.worker_class.split(","):
            print(f"gunicorn -k {worker_class}: {args.requests:,} requests x {args.repeat} runs")
            run = bench_server(worker_class, rts, args, env)
            md, lines = server_table(run, rts, args.requests)
            note = (
                f"{run.connections:,} new TCP connections during"
                f" {run.runs * args.requests * len(rts):,} timed requests"
            )
            tables.append(f"Worker class `{worker_class}` ({note}):\n\n{md}")
            goals += lines
            print(md, "\n" + "\n".join(lines))
        print(f"profiling {args.profile} nearest requests in-process")
        parts, prof = breakdown(app, args.profile, args.seed)
    print(markdown(["part", "CPU µs median", "CPU µs mean", "share", "wall µs"], parts))
    print(_short_paths(prof))
    if not args.no_record:
        record(HEADING, section(args, [*tables, "\n".join(goals)], parts, prof))
        print("recorded in BENCHMARKS.md")


if __name__ == "__main__":
    main()
