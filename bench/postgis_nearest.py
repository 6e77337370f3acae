"""The k nearest stations: ours (over HTTP and in-process) against PostGIS, same data.

Run from the project root (PostgreSQL with PostGIS on 127.0.0.1; about 3 minutes)::

    .venv/bin/python bench/postgis_nearest.py
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/locator_bench]
        [--stations 186000] [--seed 186] [--points 400] [--block 50] [--repeat 5]
        [--k 5] [--check 1000] [--keep-database] [--no-record]

1. Creates the database named by ``--database-url`` when it does not exist (and drops it
   at the end unless ``--keep-database``; one it did not create is left alone), brings it
   to the newest schema (``locator.db.session.upgrade``: PostGIS adds
   ``stations.geog geography(Point, 4326)``, generated from lon/lat, with a GiST index) and
   commits ``--stations`` synthetic stations (``bench/nearest.py``'s national generator,
   seeded) as a served dataset version with ``locator.db.datasets.commit_version``, the
   function ``locator import`` ends in. The file check of ``locator import`` is skipped:
   it would refuse stations outside LOCATOR_REGION (Beijing, Shaanxi). An earlier version
   with the same source name and row count is served again instead (``--keep-database``).
2. Starts ``gunicorn -w 2 -k gthread`` on ``bench/wsgi_bench.py`` with that database (as
   ``bench/http_nearest.py`` does), and opens one psycopg connection to the same database.
3. For ``--points`` seeded query points (drawn like the stations, another seed), per run,
   in blocks of ``--block`` whose method order rotates, times one request at a time:

   * HTTP, one keep-alive connection: our ``GET /api/v1/nearest?lat=…&lon=…&k=5`` and the
     no-op ``GET /bench/noop`` (the floor of a request through gunicorn and Flask);
   * SQL, one connection, server-side prepared statements (psycopg ``prepare=True``):
     PostGIS's k nearest ``ORDER BY geog <-> pt LIMIT k`` with ``ST_Distance(geog, pt)``,
     once returning (id, distance) and once the whole rows (what our answer carries:
     name, kind, lon, lat and the JSON columns, decoded), and ``SELECT 1`` (the floor of a
     round trip);
   * in-process: ``StationIndex.nearest(lon, lat, k)`` over the same version, loaded from
     the same database (``load_version``).

   Besides wall time per request: server CPU per request (both gunicorn workers, or the
   PostgreSQL backend of the connection, from ``/proc``; 10 ms ticks summed per block),
   and CPU of this thread for the in-process search.
4. Checks on ``--check`` points that ours (HTTP and in-process) and PostGIS's answers
   agree: the same station ids in the same order, distances within 1 m; against the
   ``<->`` query above and against PostGIS's exact answer (4k candidates by ``<->``,
   ranked by ``ST_Distance``), since ``<->`` on geography ranks by the distance on a sphere.

Nothing leaves 127.0.0.1. Results go to BENCHMARKS.md unless ``--no-record`` is given.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import psycopg
from http_nearest import cpu_s, free_port, get, start_gunicorn, stop, wait_ready, worker_pids
from nearest import load_average, machine, markdown, national_table, record, scatter
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from wsgi_bench import NOOP_PATH

from locator.db.datasets import Source, commit_version, load_version, rollback, served_version
from locator.db.models import DatasetVersion
from locator.db.session import engine_for, transaction, upgrade
from locator.index import StationIndex
from locator.stations.table import StationTable

HEADING = "## Against PostGIS (bench/postgis_nearest.py)"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/locator_bench"
DISTANCE_TOLERANCE_M = 1.0

POINT = "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography"
SQL_IDS = f"""SELECT station_id, ST_Distance(geog, {POINT}) AS distance_m
FROM stations WHERE version_id = %(v)s ORDER BY geog <-> {POINT} LIMIT %(k)s"""
SQL_ROWS = f"""SELECT station_id, name, kind, lon, lat, fields, amenities,
       ST_Distance(geog, {POINT}) AS distance_m
FROM stations WHERE version_id = %(v)s ORDER BY geog <-> {POINT} LIMIT %(k)s"""
SQL_FLOOR = "SELECT 1"
# For the check only: PostGIS's own exact answer. `<->` on geography ranks by the distance on
# a sphere, so take 4k candidates by it and rank those by ST_Distance (on the spheroid).
SQL_EXACT = f"""SELECT station_id, distance_m FROM (
    SELECT station_id, ST_Distance(geog, {POINT}) AS distance_m
    FROM stations WHERE version_id = %(v)s ORDER BY geog <-> {POINT} LIMIT 4 * %(k)s
) AS near ORDER BY distance_m, station_id LIMIT %(k)s"""


@dataclass(frozen=True)
class Method:
    name: str
    kind: str  # "http", "sql" or "inproc": whose CPU is counted
    call: Callable[[int], object]  # point number -> the answer


@dataclass(frozen=True)
class Measured:
    """Per method: seconds of each request, run by run, and server CPU per request."""

    runs_s: dict[str, list[list[float]]]
    cpu_s: dict[str, float]
    requests: int

    def median_ms(self, name: str) -> float:
        return statistics.median(statistics.median(r) for r in self.runs_s[name]) * 1e3

    def summary(self, name: str) -> str:
        meds = [statistics.median(r) * 1e3 for r in self.runs_s[name]]
        return f"{statistics.median(meds):.3f} ({min(meds):.3f}–{max(meds):.3f})"

    def p95_ms(self, name: str) -> float:
        return float(np.percentile(np.concatenate(self.runs_s[name]), 95)) * 1e3

    def paired(self, num: str, den: str) -> tuple[float, float, float]:
        ratios = [
            statistics.median(a) / statistics.median(b)
            for a, b in zip(self.runs_s[num], self.runs_s[den], strict=True)
        ]
        return statistics.median(ratios), min(ratios), max(ratios)


# --- the database ------------------------------------------------------------------------


def libpq(url: str, database: str | None = None) -> str:
    """A libpq connection string for the SQLAlchemy ``url`` (optionally another database)."""
    u = make_url(url)
    parts = {
        "host": u.host or "127.0.0.1",
        "port": u.port or 5432,
        "user": u.username or "postgres",
        "dbname": database or u.database,
    }
    if u.password:
        parts["password"] = u.password
    return " ".join(f"{k}={v}" for k, v in parts.items())


def ensure_database(url: str) -> bool:
    """Create the database of ``url`` unless it exists; True when this call created it."""
    name = make_url(url).database
    with psycopg.connect(libpq(url, "postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        conn.execute(f'CREATE DATABASE "{name}"')
        return True


def drop_database(url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(libpq(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def has_geog(engine: Engine) -> bool:
    with engine.connect() as conn:
        found = conn.exec_driver_sql(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = 'stations' AND column_name = 'geog'"
        ).first()
        return found is not None


def serve_stations(engine: Engine, table: StationTable, name: str) -> tuple[int, float | None]:
    """The id of the served version holding ``table``, and the seconds its commit took
    (None when an earlier version of the same name and size was served again)."""
    stations = len(table)
    with transaction(engine) as session:
        earlier = session.scalars(
            select(DatasetVersion.id).where(
                DatasetVersion.source_name == name, DatasetVersion.row_count == stations
            )
        ).first()
    if earlier is not None:
        if served_version(engine) != earlier:
            rollback(engine, earlier, "bench")
        return earlier, None
    digest = hashlib.sha256(table.frame.to_csv(index=False).encode()).hexdigest()
    start = time.perf_counter()
    version, _ = commit_version(engine, table, Source(name, digest, "bench"))
    took = time.perf_counter() - start
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE stations")
    return version, took


def explain(conn: psycopg.Connection, version: int, lon: float, lat: float, k: int) -> str:
    rows = conn.execute(
        "EXPLAIN " + SQL_IDS, {"lon": lon, "lat": lat, "v": version, "k": k}
    ).fetchall()
    return "\n".join(r[0] for r in rows)


# --- timing ------------------------------------------------------------------------------


def measure(
    methods: list[Method], points: int, block: int, repeat: int, gunicorn: list[int], pg: int
) -> Measured:
    """Every method over the same points, run by run, in blocks whose order rotates."""
    runs: dict[str, list[list[float]]] = {m.name: [] for m in methods}
    cpu: dict[str, float] = {m.name: 0.0 for m in methods}
    cpu_now: dict[str, Callable[[], float]] = {
        "http": lambda: cpu_s(gunicorn),  # both gunicorn workers
        "sql": lambda: cpu_s([pg]),  # the connection's PostgreSQL backend
        "inproc": time.thread_time,  # this thread
    }
    for run in range(repeat):
        per: dict[str, list[float]] = {m.name: [] for m in methods}
        for b, first in enumerate(range(0, points, block)):
            shift = (run + b) % len(methods)
            for m in methods[shift:] + methods[:shift]:
                used = cpu_now[m.kind]()
                for i in range(first, min(first + block, points)):
                    start = time.perf_counter()
                    m.call(i)
                    per[m.name].append(time.perf_counter() - start)
                cpu[m.name] += cpu_now[m.kind]() - used
        for name, values in per.items():
            runs[name].append(values)
        print(f"  run {run + 1}: " + ", ".join(
            f"{n.split(':')[0]} {statistics.median(v) * 1e3:.3f}" for n, v in per.items()
        ))  # fmt: skip
    total = points * repeat
    return Measured(runs, {n: c / total for n, c in cpu.items()}, total)


# --- agreement ---------------------------------------------------------------------------


Answer = list[tuple[str, float]]  # (station id, distance in metres), nearest first


@dataclass(frozen=True)
class Agreement:
    points: int
    same_order: int  # ids equal, in the same order
    same_set: int  # ids equal as sets
    worst_m: float  # largest |distance difference| over stations both list
    differ: tuple[int, ...]  # the points whose ids or order differ


def compare(ours: list[Answer], theirs: list[Answer]) -> Agreement:
    same_order = same_set = 0
    worst = 0.0
    differ = []
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        ids_a, ids_b = [x[0] for x in a], [x[0] for x in b]
        same_order += ids_a == ids_b
        same_set += set(ids_a) == set(ids_b)
        if ids_a != ids_b:
            differ.append(i)
        db = dict(b)
        for sid, d in a:
            if sid in db:
                worst = max(worst, abs(d - db[sid]))
    return Agreement(len(ours), same_order, same_set, worst, tuple(differ))


def agreement_lines(answers: dict[str, list[Answer]], k: int) -> list[str]:
    """The check, as bullet points: ours (HTTP, in-process) against PostGIS's `<->` answer
    and against PostGIS's exact one, and a few of the points that differ."""
    lines = []
    pairs = [
        ("ours over HTTP", "PostGIS `ORDER BY geog <-> pt LIMIT 5`", "http", "knn"),
        ("ours in-process", "PostGIS `ORDER BY geog <-> pt LIMIT 5`", "index", "knn"),
        ("ours over HTTP", "PostGIS re-ranked by `ST_Distance`", "http", "exact"),
        ("ours in-process", "PostGIS re-ranked by `ST_Distance`", "index", "exact"),
    ]
    for ours, theirs, a, b in pairs:
        c = compare(answers[a], answers[b])
        ok = c.worst_m <= DISTANCE_TOLERANCE_M
        lines.append(
            f"* {ours} against {theirs}, {c.points:,} points, k={k}: same ids in the same "
            f"order {c.same_order:,}/{c.points:,}, same id sets {c.same_set:,}/{c.points:,}; "
            f"largest distance difference {c.worst_m:.3f} m (≤ {DISTANCE_TOLERANCE_M:g} m: "
            f"{'**met**' if ok else '**not met**'})."
        )
    knn = compare(answers["index"], answers["knn"])
    exact = set(compare(answers["index"], answers["exact"]).differ)
    explained = [i for i in knn.differ if i not in exact]
    if knn.differ:
        lines.append(
            f"* Of the {len(knn.differ)} points where ours and PostGIS's `<->` answer differ, "
            f"{len(explained)} agree once PostGIS's candidates are ranked by its own "
            "`ST_Distance`: there `<->` ranked by the distance on a sphere. For example:"
        )

    def show(answer: Answer) -> str:
        return ", ".join(f"{sid} {d:,.1f} m" for sid, d in answer)

    for i in knn.differ[:3]:
        lines.append(
            f"  * point {i}: ours {show(answers['index'][i])}; PostGIS `<->` "
            f"{show(answers['knn'][i])}"
        )
    return lines


# --- report ------------------------------------------------------------------------------


def section(args: argparse.Namespace, body: str) -> str:
    cmd = (
        f".venv/bin/python bench/postgis_nearest.py --stations {args.stations} --seed "
        f"{args.seed} --points {args.points} --block {args.block} --repeat {args.repeat} "
        f"--k {args.k} --check {args.check}"
    )
    return f"""{HEADING}

Measured {machine()}; psycopg {psycopg.__version__} ({psycopg.pq.__impl__}), {args.pg_version};
load average {args.load_before} before, {load_average()} after.
Command: `{cmd}` ({args.elapsed_s:.0f} s).

{body}
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help="PostgreSQL with PostGIS")
    parser.add_argument("--stations", type=int, default=186_000, help="synthetic stations")
    parser.add_argument("--seed", type=int, default=186, help="seed of stations and points")
    parser.add_argument("--points", type=int, default=400, help="query points per run")
    parser.add_argument("--block", type=int, default=50, help="requests per interleaved block")
    parser.add_argument("--repeat", type=int, default=5, help="runs")
    parser.add_argument("--k", type=int, default=5, help="stations per query")
    parser.add_argument("--check", type=int, default=1000, help="points whose answers are compared")
    parser.add_argument("--keep-database", action="store_true", help="do not drop it at the end")
    parser.add_argument("--no-record", action="store_true", help="do not write BENCHMARKS.md")
    args = parser.parse_args(argv)
    args.load_before = load_average()
    began = time.monotonic()
    url, k = args.database_url, args.k

    created = ensure_database(url)
    engine = engine_for(url)
    try:
        upgrade(engine)
        if not has_geog(engine):
            raise SystemExit("no stations.geog column: is PostGIS installed (make postgis)?")
        print(f"committing {args.stations:,} synthetic stations ...", flush=True)
        table, cities = national_table(args.stations, args.seed)
        name = f"synthetic: bench/nearest.py national_table({args.stations}, seed={args.seed})"
        version, import_s = serve_stations(engine, table, name)
        index = StationIndex(load_version(engine, version))
        ids = index.table.frame["id"].to_numpy()
        n = max(args.points, args.check)
        lon, lat = scatter(cities, n, np.random.default_rng(args.seed + 1))
        lon, lat = lon.round(6), lat.round(6)
        paths = [
            "/api/v1/nearest?" + urlencode({"lat": f"{y:.6f}", "lon": f"{x:.6f}", "k": k})
            for x, y in zip(lon, lat, strict=True)
        ]
        sql_args = [
            {"lon": float(x), "lat": float(y), "v": version, "k": k}
            for x, y in zip(lon, lat, strict=True)
        ]
        body = run(args, url, version, import_s, index, ids, lon, lat, paths, sql_args)
    finally:
        engine.dispose()
        if created and not args.keep_database:
            drop_database(url)
            print(f"dropped database {make_url(url).database}")
    args.elapsed_s = time.monotonic() - began
    print(body)
    if not args.no_record:
        record(HEADING, section(args, body))
        print("recorded in BENCHMARKS.md")


def run(
    args: argparse.Namespace,
    url: str,
    version: int,
    import_s: float | None,
    index: StationIndex,
    ids: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    paths: list[str],
    sql_args: list[dict[str, object]],
) -> str:
    k = args.k
    with tempfile.TemporaryDirectory(prefix="locator-bench-") as tmp:
        env = {
            **os.environ,
            "LOCATOR_STORE": str(Path(tmp) / "absent.gpkg"),
            "LOCATOR_DATABASE_URL": url,
        }
        env.pop("LOCATOR_DATA_DIR", None)
        port = free_port()
        proc = start_gunicorn(port, "gthread", env)
        pg = psycopg.connect(libpq(url), autocommit=True)
        try:
            wait_ready(proc, port, timeout_s=300.0)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            _, health, _ = get(conn, "/api/v1/health")
            served = json.loads(health)["stations"]
            if served != args.stations:
                raise SystemExit(f"the server serves {served} stations, not {args.stations}")
            gunicorn = worker_pids(proc.pid)
            backend = pg.execute("SELECT pg_backend_pid()").fetchone()[0]
            args.pg_version = "PostgreSQL {} with PostGIS {}".format(
                pg.execute("SHOW server_version").fetchone()[0].split()[0],
                pg.execute(
                    "SELECT extversion FROM pg_extension WHERE extname = 'postgis'"
                ).fetchone()[0],
            )
            plan = explain(pg, version, float(lon[0]), float(lat[0]), k)
            print(plan)

            def http_get(path: str) -> bytes:
                return get(conn, path)[1]

            def sql(query: str, params: dict[str, object]) -> list[tuple[object, ...]]:
                return pg.execute(query, params, prepare=True).fetchall()

            methods = [
                Method("ours over HTTP: `GET /api/v1/nearest?lat=…&lon=…&k=5`", "http",
                       lambda i: http_get(paths[i])),
                Method("no-op over HTTP: `GET /bench/noop`", "http",
                       lambda i: http_get(NOOP_PATH)),
                Method("PostGIS, whole rows: `SELECT station_id, name, kind, lon, lat, fields, "
                       "amenities, ST_Distance(geog, pt) … ORDER BY geog <-> pt LIMIT 5`", "sql",
                       lambda i: sql(SQL_ROWS, sql_args[i])),
                Method("PostGIS, ids: `SELECT station_id, ST_Distance(geog, pt) … ORDER BY "
                       "geog <-> pt LIMIT 5`", "sql", lambda i: sql(SQL_IDS, sql_args[i])),
                Method("`SELECT 1` (round-trip floor)", "sql", lambda i: sql(SQL_FLOOR, {})),
                Method("ours in-process: `StationIndex.nearest(lon, lat, 5)`", "inproc",
                       lambda i: index.nearest(float(lon[i]), float(lat[i]), k)),
            ]  # fmt: skip
            print(f"warm-up: one pass over {args.points} points for each method", flush=True)
            warm_s = {}
            for m in methods:
                start = time.perf_counter()
                for i in range(args.points):
                    m.call(i)
                warm_s[m.name] = (time.perf_counter() - start) / args.points
            print(f"timing: {args.points} points x {args.repeat} runs", flush=True)
            timed = measure(methods, args.points, args.block, args.repeat, gunicorn, backend)

            print(f"checking answers on {args.check} points", flush=True)
            answers: dict[str, list[Answer]] = {n: [] for n in ("http", "index", "knn", "exact")}
            for i in range(args.check):
                found = json.loads(http_get(paths[i]))["features"]
                answers["http"].append([(f["id"], f["properties"]["distance_m"]) for f in found])
                hits = index.nearest(float(lon[i]), float(lat[i]), k).hits
                answers["index"].append([(str(ids[h.row]), h.distance_m) for h in hits])
                for name, query in (("knn", SQL_IDS), ("exact", SQL_EXACT)):
                    rows = sql(query, sql_args[i])
                    answers[name].append([(str(sid), float(d)) for sid, d in rows])
            conn.close()
        finally:
            pg.close()
            stop(proc)
    checks = agreement_lines(answers, k)
    return report(args, timed, methods, warm_s, checks, plan, import_s, version)


def report(
    args: argparse.Namespace,
    t: Measured,
    methods: list[Method],
    warm_s: dict[str, float],
    checks: list[str],
    plan: str,
    import_s: float | None,
    version: int,
) -> str:
    ours_http, noop, rows, ids, floor, inproc = (m.name for m in methods)
    head = [
        "method (k=5, one point per request)",
        f"ms per request: median of {args.repeat} run medians (min–max)",
        f"p95 ms (all {t.requests:,})",
        "server CPU ms / request",
        "first pass (warm-up) mean ms",
    ]
    table = []
    for m in methods:
        where = {"http": "gunicorn workers", "sql": "PostgreSQL backend", "inproc": "this thread"}
        table.append([
            m.name,
            t.summary(m.name),
            f"{t.p95_ms(m.name):.3f}",
            f"{t.cpu_s[m.name] * 1e3:.3f} ({where[m.kind]})",
            f"{warm_s[m.name] * 1e3:.3f}",
        ])  # fmt: skip

    def ratio(num: str, den: str) -> str:
        r, lo, hi = t.paired(num, den)
        plain = t.median_ms(num) / t.median_ms(den)
        return f"{plain:.2f}× (run by run {r:.2f}×, {lo:.2f}–{hi:.2f})"

    net_ours = t.median_ms(ours_http) - t.median_ms(noop)
    net_pg = t.median_ms(rows) - t.median_ms(floor)
    ratios = markdown(
        ["comparison", "ratio of medians (run by run: median, min–max)"],
        [
            ["HTTP: ours over HTTP ÷ PostGIS whole rows (SQL round trip)", ratio(ours_http, rows)],
            ["HTTP: ours over HTTP ÷ PostGIS ids", ratio(ours_http, ids)],
            ["core: ours in-process ÷ PostGIS ids (SQL round trip)", ratio(inproc, ids)],
            ["core: ours in-process ÷ PostGIS whole rows", ratio(inproc, rows)],
            ["each above its floor: (ours HTTP − no-op) ÷ (PostGIS whole rows − `SELECT 1`)",
             f"{net_ours:.3f} ms ÷ {net_pg:.3f} ms = {net_ours / net_pg:.2f}×"],
            ["ours over HTTP ÷ no-op over HTTP (bench/http_nearest.py's goal ≤ 1.5×)",
             ratio(ours_http, noop)],
        ],
    )  # fmt: skip
    imported = (
        f"committed as dataset version {version} in {import_s:.0f} s"
        if import_s is not None
        else f"dataset version {version}, committed by an earlier run (`--keep-database`)"
    )
    verdict = (
        f"* **Verdict:** PostGIS's SQL round trip ({t.median_ms(rows):.2f} ms, whole rows) is "
        f"{t.median_ms(ours_http) / t.median_ms(rows):.1f}× faster than our HTTP endpoint "
        f"({t.median_ms(ours_http):.2f} ms), mostly the floor of a request through gunicorn "
        f"and Flask (no-op {t.median_ms(noop):.2f} ms, `SELECT 1` {t.median_ms(floor):.2f} ms); "
        f"the search itself is {t.median_ms(ids) / t.median_ms(inproc):.1f}× faster in our "
        f"index ({t.median_ms(inproc) * 1e3:.0f} µs in-process) than PostGIS's k-nearest round "
        f"trip ({t.median_ms(ids) * 1e3:.0f} µs), and ranked by the spheroid distance."
    )
    plan_text = plan.strip()
    return f"""{markdown(head, table)}

{ratios}

{verdict}
{chr(10).join(checks)}

* Data: {args.stations:,} synthetic stations from `bench/nearest.py`'s national generator
  (seed {args.seed}: 90% in Gaussian clusters around 300 seeded city centres in lon
  100–125, lat 20–45, the rest uniform over that box), {imported} in the PostgreSQL
  database both sides read (`locator.db.datasets.commit_version`, as `locator import`;
  the region check of `locator import` would refuse stations outside Beijing and
  Shaanxi). The server and the in-process index load that version with `load_version`;
  PostGIS reads `stations.geog`, generated from the same lon/lat, through its GiST index.
  The {max(args.points, args.check):,} query points (seed {args.seed + 1}) are drawn like
  the stations.
* HTTP: `gunicorn -w 2 -k gthread --keep-alive 30 --chdir bench 'wsgi_bench:create_bench_app()'`
  with `LOCATOR_DATABASE_URL` set to this database; one keep-alive `http.client` connection,
  one request at a time, time from sending the request to reading the whole body. Our
  answer is the full GeoJSON FeatureCollection (every property, distances, bearings,
  travel estimates, links).
* SQL: one psycopg connection (autocommit), each query a server-side prepared statement
  (`prepare=True`), `pt` = `ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography`, time from
  `execute` to the end of `fetchall()` (rows decoded, JSON columns into dicts). Plan of
  the ids query, which the GiST index answers in distance order:

```
{plan_text}
```

* Per run, {args.points} points; each method takes them in blocks of {args.block}, the
  order of methods rotating from block to block, after one warm-up pass timed apart (its
  mean in the last column). Server CPU: user + system CPU of both gunicorn workers or
  of the connection's PostgreSQL backend (`/proc/<pid>/stat`, 10 ms ticks) read around each
  block; for the in-process search, CPU of this thread. The client's own CPU (this process
  reading the answer) is in the wall times only.
* PostGIS orders by `<->`, which on geography is the distance on a sphere, while
  `ST_Distance` (and ours, pyproj `Geod.inv`) is on the WGS84 spheroid; where two stations
  are nearly equidistant the two can order them differently, or pick a different k-th.
  The check's "re-ranked" PostGIS answer (not timed) takes 4k candidates by `<->` and ranks
  them by `ST_Distance`. Our HTTP answer gives distances to 0.1 m.
"""


if __name__ == "__main__":
    main()
