"""Station reports under load: is every accepted report stored once, and does nearest keep
its speed? (issue 14, "How it is checked", the load check)

Run from the project root (about 4 minutes with the defaults on a quiet machine; rounds that
would end after ``--max-seconds`` are not started, so at most about 6)::

    .venv/bin/python bench/reports.py --label "first run"

    options: [--topology gunicorn|nginx|split]
             [--database postgresql|sqlite] [--postgres URL] [--rounds 3] [--rate 200]
             [--seconds 30] [--nearest-connections 2] [--think-ms 20]
             [--max-seconds 330] [--seed 14] [--ratelimit-storage URL|memory]
             [--note TEXT] [--no-record]

Needs ``wrk`` (https://github.com/wg/wrk) on the PATH (``apt-get install -y wrk``) and, for
the default ``--database postgresql``, a PostgreSQL server that lets user ``postgres`` in
without a password (``--postgres``, default ``postgresql+psycopg://postgres@127.0.0.1:5432``).
Everything stays on 127.0.0.1.

The server is ``.venv/bin/gunicorn -c gunicorn.conf.py -w 2 -b 127.0.0.1:<free port>
'locator:create_app()'`` (gthread, 16 threads per worker), started from the project root
with a database of its own: a new PostgreSQL database ``locator_bench_reports_<pid>``,
created here and dropped at the end (``--database sqlite``: a new SQLite file in a
temporary folder, the embedded default). A child process opens the app once before
gunicorn starts, so that the database is created, upgraded and seeded with the shipped
synthetic stations (``LOCATOR_STORE`` points to a path that does not exist) once, not by
two workers at a time. The job queue and the secret key are the run's own too
(``LOCATOR_QUEUE_URL`` in the temporary folder, a random ``LOCATOR_SECRET_KEY``), so
nothing in ``instance/`` is touched.

``--topology`` (default ``gunicorn``): ``nginx`` puts ``bench/abuse.py``'s ``NGINX_CONF`` (the
README's) in front, and the clients talk to nginx; ``split`` also starts a second such
gunicorn with ``nice -n 10`` and nginx sends it the POSTs of reports and suggestions (the
README's "Workers' reports in a pool of their own"). Both pools share the database and the
Redis budget; their workers' CPU is summed.

Each simulated rider is a different client **within the default limits**: the server runs
with ``LOCATOR_TRUSTED_PROXIES=1`` (as behind one nginx) and every report carries an
``X-Forwarded-For`` address of its own (``10.<round>.<n / 256>.<n % 256>``), while
``LOCATOR_RATELIMIT_REPORTS`` ("10 per minute;60 per day") and
``LOCATOR_REPORTS_DAILY_CAP`` (3) keep their defaults (any set in the environment is
removed). So the real budget is charged for every report and the daily cap is counted in
the database, but no rider exceeds either: every report should be answered 201, and any
other answer counts against the verdict.

The budget is counted where a multi-worker deployment should count it (README,
"Operations"): in Redis, ``--ratelimit-storage`` (default ``redis://127.0.0.1:6379/14``,
that database flushed before the server starts and after it stops, so the Redis must be
one the run may empty), shared by the workers. ``--ratelimit-storage memory`` counts it in
each worker's memory instead (``memory://``, as before 2026-12-03's "after group commit"
run), whose sweep of every key costs more CPU the more clients there are.

Phases, each round running both (the order alternates from round to round):

(A) baseline: nearest alone. ``wrk -t 1 -c <nearest-connections>`` on
    ``GET /api/v1/nearest?lat=…&lon=…&k=5`` at seeded random points in central Beijing,
    each connection waiting ``--think-ms`` after every answer (wrk's ``delay()``): a
    modest closed loop of at most about ``connections / think`` requests a second (100/s
    with the defaults), well below what the server can answer, so that its latency is
    measured rather than its capacity. It runs ``--seconds`` minus 2 s.
(B) the same nearest load while an open-loop generator (this process, asyncio, one new
    HTTP/1.1 connection per report, ``Connection: close``) sends ``--rate`` reports a
    second for ``--seconds`` (bounded: 6,000 reports with the defaults) as
    ``POST /api/v1/stations/<id>/reports``, at fixed times ``t0 + n / rate`` whatever the
    answers. Stations are drawn (seeded) from the first 1,000 of
    ``/api/v1/stations?limit=1000``; kinds cycle through every kind of
    ``locator.db.reports.KINDS`` (the two amenity kinds name an amenity), so "closed for
    good" reports also feed the closed flags that nearest answers carry. wrk starts 1 s
    after the first report and stops 1 s before the last is due, so all of nearest's
    measured time lies under the report load. A send that starts more than 10 ms after
    its time is counted late (the generator fell behind); at most 1,000 reports are in
    flight at once (a server that falls further behind slows the generator down: the
    achieved rate and the lateness show it), a report not started within twice the phase's
    length (60 s) is not sent at all (``not sent``, with every later one), and one
    unanswered after 60 s (gunicorn's worker timeout) counts as a timeout. So a phase B
    lasts at most about 2 minutes however slow the server.

After phase B, once every report has its answer, the ``station_reports`` table is read
directly (SQLAlchemy, the same URL as the server): every row added since the phase
began. Because each report comes from its own address and the run knows the secret key,
each row's ``client`` (the keyed daily hash of the address,
``locator.web.reports.client_hash``) names the report it came from. Checked: every id
answered with a 201 is stored, with the station, kind and client that were sent (else
*lost* or *wrong*); no report is stored twice (*duplicated*: two rows of one client); no
row belongs to an unknown client or to a report answered with another status (*extra*);
the 201 answers carry distinct ids; and the table grew by exactly the rows found. Rows of
reports that got no answer at all (``socket``: the connection failed or was reset;
``timeout``: 60 s) are listed apart, as *stored, unanswered*: the client cannot know
whether they were kept, so they are neither lost nor extra. Other answers are counted by
status.

Between phases the script waits until both workers have been idle for half a second (CPU
from ``/proc``). Before the first round a warm-up (not recorded) sends nearest queries for
3 s and 20 reports from addresses of their own, so each worker has its caches and a
database connection.

Verdict (issue 14): with medians over the rounds, nearest's median latency under the
report load is at most 1.5× its unloaded median (p99 shown beside it, and the
round-by-round ratios, each against the baseline of the same round); nearest has no
errors (non-2xx, socket errors, wrk timeouts of 2 s); in every round the generator sent
all reports at ≥ 99 % of ``--rate`` (achieved rate = (n − 1) / (last send − first send));
every report was answered 201; and every accepted report is stored exactly once, none
lost, duplicated, wrong or extra. wrk times only answers that come within its timeout: a
run with none has no latency, shown as ``inf`` (not 0). wrk's closed loop does not see
coordinated omission (a stalled server makes it send less, not queue more), so nearest's
p99 here is gentler than an open-loop client would measure; its median is what the goal
is about.

Results go to BENCHMARKS.md under "Reports under load" in a subsection named by
``--label`` (other labels are kept), unless ``--no-record`` is given. gunicorn's log is
kept in the temporary folder's parent (the path is printed).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import hmac
import json
import math
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import psycopg
from abuse import (
    WRK_TALLY_LUA,
    WrkResult,
    boots,
    cpu_s,
    describe_tree,
    errors_in,
    free_port,
    gunicorn_cmd,
    record_subsection,
    span,
    start_nginx,
    start_server,
    stop_server,
    wait_quiet,
    wait_ready,
    worker_pids,
)
from nearest import ROOT, load_average, machine, markdown, met
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from locator.amenities import KEYS as AMENITY_KEYS
from locator.db.reports import AMENITY_KINDS, KINDS

HEADING = "## Reports under load (bench/reports.py)"
CONFIG = ROOT / "gunicorn.conf.py"
BEIJING = (116.20, 39.75, 116.60, 40.05)  # west, south, east, north: central Beijing
RATIO_GOAL = 1.5  # nearest median under the report load at most 1.5x unloaded
RATE_GOAL = 0.99  # the generator achieves at least 99 % of the offered rate
LEAD_S = 1.0  # reports start this long before nearest's wrk and go on this long after
LATE_S = 0.010  # a send starting later than this after its time is late
MAX_INFLIGHT = 1000  # reports waiting for an answer at once; more wait (and are late)
GIVE_UP = 2.0  # a report not sent by twice the phase's length is not sent at all
NOT_SENT = "not sent"
REPORT_TIMEOUT_S = 60.0  # gunicorn's own worker timeout (gunicorn.conf.py)
WRK_TIMEOUT_S = 2
STATIONS = 1000  # reports go to stations drawn from the first this many
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"
DEFAULT_RATELIMIT_STORAGE = "redis://127.0.0.1:6379/14"


def flush_redis(url: str) -> None:
    """Empty the Redis database ``url`` names (nothing for ``memory://``)."""
    if url.startswith(("redis://", "rediss://")):
        import redis

        redis.Redis.from_url(url).flushdb()


WARM_UP_REPORTS = 20

# wrk: nearest at seeded random points, each connection pausing think_ms after every
# answer (delay()); answers counted by status; one JSON line at the end. args: seed think_ms
LUA = (
    """
local threads = {}
statuses = {}  -- global: done() reads it from each thread with thread:get
local think = 0
local W, S, E, N = @BOX@

function setup(thread) table.insert(threads, thread) end

function init(args)
  math.randomseed(tonumber(args[1]))
  think = tonumber(args[2])
  statuses = {}
end

function delay() return think end

function request()
  return wrk.format("GET", string.format("/api/v1/nearest?lat=%.6f&lon=%.6f&k=5",
                    S + math.random() * (N - S), W + math.random() * (E - W)))
end

"""
    + WRK_TALLY_LUA
).replace("@BOX@", ", ".join(f"{v:.2f}" for v in BEIJING))


def start_nearest(
    port: int, lua: Path, args: argparse.Namespace, seconds: float, seed: int
) -> subprocess.Popen:
    cmd = ["wrk", "-t", "1", "-c", str(args.nearest_connections), "-d", f"{seconds:.0f}s"]
    cmd += ["--timeout", f"{WRK_TIMEOUT_S}s", "-s", str(lua), f"http://127.0.0.1:{port}"]
    cmd += ["--", str(seed), str(args.think_ms)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish_nearest(proc: subprocess.Popen, timeout_s: float) -> WrkResult:
    """wrk's result (``abuse.finish_wrk``), except that a run in which no answer came within
    wrk's timeout has no latency at all (wrk times only answers faster than its timeout and
    then reports 0): its p50 and p99 are infinite, not 0 ms."""
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise SystemExit(f"wrk did not finish within {timeout_s:.0f} s:\n{out}\n{err}") from None
    line = next((x for x in out.splitlines() if x.startswith("WRK-JSON ")), None)
    if proc.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({proc.returncode}):\n{out}\n{err}")
    d = json.loads(line.removeprefix("WRK-JSON "))
    timed = d["requests"] > 0 and d["max_us"] > 0
    return WrkResult(
        seconds=d["duration_us"] / 1e6,
        statuses={int(k): v for k, v in d["statuses"].items()},
        socket_errors=d["connect"] + d["read"] + d["write"],
        timeouts=d["timeout"],
        p50_ms=d["p50_us"] / 1e3 if timed else math.inf,
        p99_ms=d["p99_us"] / 1e3 if timed else math.inf,
    )


# --- the database ------------------------------------------------------------------------


def libpq(url: str, database: str) -> str:
    u = make_url(url)
    parts = {"host": u.host or "127.0.0.1", "port": u.port or 5432}
    parts |= {"user": u.username or "postgres", "dbname": database}
    if u.password:
        parts["password"] = u.password
    return " ".join(f"{k}={v}" for k, v in parts.items())


def create_database(server: str, name: str) -> tuple[str, str]:
    """A new, empty PostgreSQL database: its SQLAlchemy URL, and the server's version."""
    with psycopg.connect(libpq(server, "postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        found = conn.execute("SHOW server_version").fetchone()
    return f"{server.rstrip('/')}/{name}", (found[0].split()[0] if found else "?")


def drop_database(server: str, name: str) -> None:
    with psycopg.connect(libpq(server, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed_database(env: dict[str, str]) -> None:
    """Open the app once (create, upgrade and seed the database) in a child process."""
    code = "import os; from locator import create_app; create_app(); os._exit(0)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"opening the app failed ({done.returncode}):\n{done.stderr[-3000:]}")


@dataclass(frozen=True)
class Row:
    id: int
    station_id: str
    kind: str
    amenity: str | None
    client: str


def table_state(url: str) -> tuple[int, int]:
    """(rows, largest id) of station_reports."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            n, top = conn.execute(text("SELECT count(*), max(id) FROM station_reports")).one()
    finally:
        engine.dispose()
    return int(n), int(top or 0)


def rows_after(url: str, after_id: int) -> list[Row]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.execute(
                text(
                    "SELECT id, station_id, kind, amenity, client FROM station_reports "
                    "WHERE id > :after ORDER BY id"
                ),
                {"after": after_id},
            ).all()
    finally:
        engine.dispose()
    return [Row(int(i), s, k, a, c) for i, s, k, a, c in found]


def client_hash(secret: str, day: dt.date, address: str) -> str:
    """``locator.web.reports.client_hash`` for ``address`` on ``day`` (UTC)."""
    message = f"{day.isoformat()}|{address}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


# --- the report generator ----------------------------------------------------------------


@dataclass
class Sent:
    """One report: what was sent, when, and what came back."""

    n: int
    address: str
    station: str
    kind: str
    amenity: str | None
    due: float = 0.0  # loop time it was scheduled for
    started: float = 0.0  # loop time the connection was opened
    answered: float = 0.0
    outcome: str = ""  # the status ("201", "429", …), "socket" or "timeout"
    report_id: int | None = None

    def body(self) -> bytes:
        doc: dict[str, object] = {"kind": self.kind}
        if self.amenity:
            doc["amenity"] = self.amenity
        return json.dumps(doc).encode()


def plan_reports(rnd: int, count: int, stations: list[str], rng: random.Random) -> list[Sent]:
    kinds = list(KINDS)
    plan = []
    for n in range(count):
        kind = kinds[n % len(kinds)]
        amenity = rng.choice(AMENITY_KEYS) if kind in AMENITY_KINDS else None
        address = f"10.{rnd}.{n // 256}.{n % 256}"
        plan.append(Sent(n, address, rng.choice(stations), kind, amenity))
    return plan


async def send_one(port: int, s: Sent) -> None:
    loop = asyncio.get_running_loop()
    s.started = loop.time()
    body = s.body()
    head = (
        f"POST /api/v1/stations/{s.station}/reports HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Forwarded-For: {s.address}\r\n"
        "Connection: close\r\n\r\n"
    )
    try:
        async with asyncio.timeout(REPORT_TIMEOUT_S):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                writer.write(head.encode("ascii") + body)
                await writer.drain()
                answer = await reader.read()  # Connection: close, so up to EOF
            finally:
                writer.close()
    except TimeoutError:
        s.outcome = "timeout"
    except OSError:
        s.outcome = "socket"
    else:
        s.answered = loop.time()
        parts = answer.split(b" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            s.outcome = "socket"
            return
        s.outcome = parts[1].decode()
        if s.outcome == "201":
            try:
                doc = json.loads(answer.partition(b"\r\n\r\n")[2])
                s.report_id = int(doc["report"]["id"])
            except (ValueError, KeyError, TypeError):
                s.outcome = "201 without an id"
    if not s.answered:
        s.answered = loop.time()


async def generate(
    port: int, plan: list[Sent], rate: float, wrk_at: float, wrk_start: Callable[[], None]
) -> None:
    """Send ``plan`` at ``rate`` a second, open loop; call ``wrk_start`` ``wrk_at`` s in.
    A report that cannot start within ``GIVE_UP`` times the plan's span of its first send
    (the server holds MAX_INFLIGHT unanswered) is not sent, nor is any after it."""
    loop = asyncio.get_running_loop()
    limit = asyncio.Semaphore(MAX_INFLIGHT)
    tasks: list[asyncio.Task[None]] = []
    started_wrk = False

    async def one(s: Sent) -> None:
        try:
            await send_one(port, s)
        finally:
            limit.release()

    t0 = loop.time() + 0.05
    give_up = t0 + GIVE_UP * len(plan) / rate
    for s in plan:
        s.due = t0 + s.n / rate
    for s in plan:
        if not started_wrk and s.due - t0 >= wrk_at:
            started_wrk = True
            wrk_start()
        wait = s.due - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        try:
            async with asyncio.timeout_at(give_up):
                await limit.acquire()
        except TimeoutError:
            for rest in plan[s.n :]:
                rest.outcome = NOT_SENT
            break
        tasks.append(asyncio.create_task(one(s)))
    if not started_wrk:
        wrk_start()
    await asyncio.gather(*tasks)


# --- phases ------------------------------------------------------------------------------


@dataclass
class Verified:
    accepted: int = 0  # 201 answers with an id
    stored: int = 0  # accepted ids found, with what was sent
    lost: int = 0  # accepted ids not in the table
    wrong: int = 0  # accepted ids stored with another station, kind or client
    duplicated: int = 0  # rows beyond the first of one report (one client)
    extra: int = 0  # rows of an unknown client or of a report answered another status
    unanswered: int = 0  # rows of a report that got no answer (socket error, timeout)
    repeated_ids: int = 0  # 201 answers that repeat an id of another answer
    rows: int = 0  # rows added during the phase
    table_growth: int = 0  # count(*) after - before
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        bad = self.lost + self.wrong + self.duplicated + self.extra + self.repeated_ids
        return bad == 0 and self.stored == self.accepted and self.rows == self.table_growth


@dataclass
class Reports:
    sent: list[Sent]
    rate: float  # achieved: (n - 1) / (last send - first send)
    late: int
    max_late_ms: float
    verified: Verified

    @property
    def drain_s(self) -> float:
        """Seconds from the first send to the last answer."""
        done = [s for s in self.sent if s.outcome != NOT_SENT]
        return max(s.answered for s in done) - min(s.started for s in done)

    @property
    def accepted_per_s(self) -> float:
        """201 answers a second, from the first send to the last answer."""
        return sum(1 for s in self.sent if s.outcome == "201") / self.drain_s

    def statuses(self) -> Counter[str]:
        return Counter(s.outcome for s in self.sent)

    def latency_ms(self, q: float) -> float:
        done = sorted(s.answered - s.started for s in self.sent if s.outcome == "201")
        if not done:
            return float("nan")
        return 1e3 * done[min(len(done) - 1, int(q * len(done)))]


@dataclass(frozen=True)
class PhaseRun:
    phase: str  # "A" or "B"
    round: int
    nearest: WrkResult
    reports: Reports | None
    cpu_s: float  # gunicorn workers' CPU during the phase
    settle_s: float
    boots: int


def verify(url: str, secret: str, days: list[dt.date], plan: list[Sent], before: tuple) -> Verified:
    v = Verified()
    count_before, top_before = before
    rows = rows_after(url, top_before)
    v.rows, v.table_growth = len(rows), table_state(url)[0] - count_before
    by_client = {client_hash(secret, d, s.address): s for s in plan for d in days}
    by_id = {r.id: r for r in rows}
    accepted = [s for s in plan if s.report_id is not None]
    v.accepted = len(accepted)
    ids = Counter(s.report_id for s in accepted)
    v.repeated_ids = sum(n - 1 for n in ids.values())
    for s in accepted:
        row = by_id.get(s.report_id)  # type: ignore[arg-type]
        if row is None:
            v.lost += 1
        elif (row.station_id, row.kind, row.amenity) != (s.station, s.kind, s.amenity) or (
            by_client.get(row.client) is not s
        ):
            v.wrong += 1
        else:
            v.stored += 1
    per_report = Counter(by_client[r.client].n for r in rows if r.client in by_client)
    v.duplicated = sum(n - 1 for n in per_report.values())
    accepted_ids = set(ids)
    for r in rows:
        if r.id in accepted_ids:
            continue
        owner = by_client.get(r.client)
        if owner is not None and owner.outcome in ("socket", "timeout"):
            v.unanswered += 1
            continue
        v.extra += 1
        if len(v.notes) < 5:
            said = (
                "an unknown client"
                if owner is None
                else f"report {owner.n}, answered {owner.outcome}"
            )
            v.notes.append(f"row {r.id} ({r.station_id}, {r.kind}) is of {said}")
    return v


# --topology nginx and split: abuse.py's nginx in front (as in README, "Operations"). With
# split, the anonymous writes (POST of reports and suggestions) go to a gunicorn pool of
# their own, started at nice WRITES_NICE, so that the kernel serves the finder's pool first.
WRITES_NICE = 10
TOPOLOGIES = ("gunicorn", "nginx", "split")


def start_topology(
    topology: str, tmp: Path, env: dict[str, str], servers: list[subprocess.Popen]
) -> tuple[int, list[int], list[Path]]:
    """Start gunicorn (and nginx, and the writes' pool) as ``topology`` says, appending each
    process to ``servers`` as it starts; the port clients use, the gunicorn masters and
    their logs."""
    port, log = free_port(), tmp / "gunicorn.log"
    print(f"$ {' '.join(gunicorn_cmd(port, CONFIG))}", flush=True)
    servers.append(start_server(port, CONFIG, env, log))
    wait_ready(servers[0], port, log)
    if topology == "gunicorn":
        return port, [servers[0].pid], [log]
    writes, writes_log = port, log
    if topology == "split":
        writes, writes_log = free_port(), tmp / "gunicorn-writes.log"
        cmd = ["nice", "-n", str(WRITES_NICE), *gunicorn_cmd(writes, CONFIG)]
        print(f"$ {' '.join(cmd)}", flush=True)
        with writes_log.open("w") as out:
            servers.append(
                subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
            )
        wait_ready(servers[-1], writes, writes_log)
    front = free_port()
    masters = [p.pid for p in servers]
    servers.append(start_nginx(tmp, front, port, writes))
    wait_ready(servers[-1], front, log)
    return front, masters, sorted({log, writes_log})


def run_phase(
    phase: str, rnd: int, port: int, masters: list[int], lua: Path, logs: list[Path],
    args: argparse.Namespace, ctx: dict,
) -> PhaseRun:  # fmt: skip
    booted, pids = _boots(logs), [p for m in masters for p in worker_pids(m)]
    cpu0 = cpu_s(pids)
    seed = 100 * (rnd + 1) + (1 if phase == "B" else 0)
    wrk_seconds = args.seconds - 2 * LEAD_S
    reports = None
    if phase == "A":
        proc = start_nearest(port, lua, args, wrk_seconds, seed)
        nearest = finish_nearest(proc, wrk_seconds + 30)
    else:
        rng = random.Random(args.seed * 1000 + rnd)
        plan = plan_reports(rnd, round(args.rate * args.seconds), ctx["stations"], rng)
        before = table_state(ctx["url"])
        day0 = dt.datetime.now(dt.UTC).date()
        procs: list[subprocess.Popen] = []

        def wrk_start() -> None:
            procs.append(start_nearest(port, lua, args, wrk_seconds, seed))

        asyncio.run(generate(port, plan, args.rate, LEAD_S, wrk_start))
        nearest = finish_nearest(procs[0], wrk_seconds + 30)
        days = sorted({day0, dt.datetime.now(dt.UTC).date()})
        verified = verify(ctx["url"], ctx["secret"], days, plan, before)
        starts = [s.started for s in plan if s.outcome != NOT_SENT]
        rate = (len(starts) - 1) / (max(starts) - min(starts)) if len(starts) > 1 else 0.0
        lags = [s.started - s.due for s in plan if s.outcome != NOT_SENT]
        late = sum(1 for x in lags if x > LATE_S)
        reports = Reports(plan, rate, late, 1e3 * max(lags), verified)
    used = cpu_s(pids) - cpu0
    settle = sum(wait_quiet(m) for m in masters)
    return PhaseRun(phase, rnd, nearest, reports, used, settle, _boots(logs) - booted)


def _boots(logs: list[Path]) -> int:
    return sum(boots(log) for log in logs)


def warm_up(port: int, lua: Path, args: argparse.Namespace, stations: list[str]) -> None:
    proc = start_nearest(port, lua, args, 3, 1)
    plan = plan_reports(250, WARM_UP_REPORTS, stations, random.Random(1))
    asyncio.run(generate(port, plan, 10.0, 99.0, lambda: None))
    finish_nearest(proc, 60)
    refused = Counter(s.outcome for s in plan if s.outcome != "201")
    if refused:
        raise SystemExit(f"warm-up reports not accepted: {dict(refused)}")


def station_ids(port: int) -> list[str]:
    url = f"http://127.0.0.1:{port}/api/v1/stations?limit={STATIONS}"
    with urllib.request.urlopen(url, timeout=30) as resp:
        doc = json.load(resp)
    ids = [str(f.get("id") or f["properties"]["id"]) for f in doc["features"]]
    if not ids:
        raise SystemExit("the server lists no stations")
    return ids


def progress(r: PhaseRun) -> str:
    n = r.nearest
    line = (
        f"round {r.round + 1} {r.phase}: nearest {n.ok / n.seconds:6.1f}/s p50 {n.p50_ms:6.2f} ms "
        f"p99 {n.p99_ms:7.2f} ms errors {n.errors}"
    )
    if r.reports is not None:
        rep, v = r.reports, r.reports.verified
        line += (
            f" | reports {rep.rate:.1f}/s late {rep.late} (max {rep.max_late_ms:.0f} ms) "
            f"{dict(sorted(rep.statuses().items()))} accepted {v.accepted} stored {v.stored} "
            f"lost {v.lost} dup {v.duplicated} extra {v.extra} wrong {v.wrong} "
            f"unanswered-stored {v.unanswered}; all answered {rep.drain_s:.1f} s in "
            f"({rep.accepted_per_s:.1f} accepted/s)"
        )
    return line + f" | CPU {r.cpu_s:.1f} s, settled {r.settle_s:.1f} s, boots {r.boots}"


# --- report ------------------------------------------------------------------------------


def _range(values: list[float]) -> str:
    if not values:
        return "–"
    return f"{statistics.median(values):.2f}×, {min(values):.2f}–{max(values):.2f}"


def nearest_errors(runs: list[PhaseRun]) -> tuple[int, int, int]:
    n = [r.nearest for r in runs]
    return sum(x.not_ok for x in n), sum(x.socket_errors for x in n), sum(x.timeouts for x in n)


def report(runs: list[PhaseRun], args: argparse.Namespace) -> tuple[str, str, list[str], bool]:
    a = [r for r in runs if r.phase == "A"]
    b = [r for r in runs if r.phase == "B"]
    base = {r.round: r.nearest for r in a}
    p50_a = statistics.median(r.nearest.p50_ms for r in a)
    p50_b = statistics.median(r.nearest.p50_ms for r in b)
    p99_a = statistics.median(r.nearest.p99_ms for r in a)
    p99_b = statistics.median(r.nearest.p99_ms for r in b)
    head = [
        "phase",
        "runs",
        "nearest 2xx / s",
        "nearest p50 ms: median (min–max)",
        "p50 ÷ unloaded (round by round)",
        "nearest p99 ms",
        "p99 ÷ unloaded (round by round)",
        "nearest errors: non-2xx / socket / timeouts",
        "workers' CPU s per phase",
        "worker (re)starts",
    ]
    rows = []
    for name, prs in (("A: nearest alone (unloaded)", a), ("B: nearest + reports", b)):
        p50s = [r.nearest.p50_ms for r in prs]
        p99s = [r.nearest.p99_ms for r in prs]
        loaded = prs is b
        r50 = [r.nearest.p50_ms / base[r.round].p50_ms for r in prs if r.round in base]
        r99 = [r.nearest.p99_ms / base[r.round].p99_ms for r in prs if r.round in base]
        rows.append(
            [
                name,
                str(len(prs)),
                span([r.nearest.ok_per_s for r in prs], 1),
                span(p50s, 2),
                f"{p50_b / p50_a:.2f}× ({_range(r50)})" if loaded else "–",
                span(p99s, 2),
                f"{p99_b / p99_a:.2f}× ({_range(r99)})" if loaded else "–",
                " / ".join(f"{e:,}" for e in nearest_errors(prs)),
                span([r.cpu_s for r in prs], 1),
                f"{sum(r.boots for r in prs):,}",
            ]
        )
    near_table = markdown(head, rows)

    head2 = [
        "round",
        "reports sent",
        "achieved rate / s",
        "late sends (> 10 ms), max lateness",
        "answers by status",
        "201 latency p50 / p99 ms",
        "last answer, s after the first send",
        "201 answers / s (to the last answer)",
        "accepted (201)",
        "stored once",
        "lost",
        "duplicated",
        "wrong",
        "extra rows",
        "stored, unanswered",
        "rows added / table growth",
    ]
    rows2 = []
    reps = [rep for r in b if (rep := r.reports) is not None]
    for r, rep in zip(b, reps, strict=True):
        v = rep.verified
        answers = ", ".join(f"{k}: {n:,}" for k, n in sorted(rep.statuses().items()))
        rows2.append(
            [
                str(r.round + 1),
                f"{len(rep.sent):,}",
                f"{rep.rate:.1f}",
                f"{rep.late:,}, {rep.max_late_ms:,.0f} ms",
                answers,
                f"{rep.latency_ms(0.5):,.1f} / {rep.latency_ms(0.99):,.1f}",
                f"{rep.drain_s:.1f}",
                f"{rep.accepted_per_s:.1f}",
                f"{v.accepted:,}",
                f"{v.stored:,}",
                f"{v.lost:,}",
                f"{v.duplicated:,}",
                f"{v.wrong:,}",
                f"{v.extra:,}",
                f"{v.unanswered:,}",
                f"{v.rows:,} / {v.table_growth:,}",
            ]
        )
    rep_table = markdown(head2, rows2)

    goals, passed = [], True
    ratio = p50_b / p50_a
    ok = ratio <= RATIO_GOAL
    passed &= ok
    goals.append(
        f"* Nearest median under {args.rate:g} reports/s ÷ unloaded median: {p50_b:.2f} / "
        f"{p50_a:.2f} ms = {ratio:.2f}× (goal ≤ {RATIO_GOAL:g}×) — {met(ok)}. p99: "
        f"{p99_b:.2f} vs {p99_a:.2f} ms ({p99_b / p99_a:.2f}×, no goal)."
    )
    errs = sum(nearest_errors(runs))
    passed &= errs == 0
    goals.append(f"* Nearest errors in every run: {errs:,} (goal 0) — {met(errs == 0)}.")
    rates = [rep.rate for rep in reps]
    sent = sum(len(rep.sent) for rep in reps)
    late = sum(rep.late for rep in reps)
    ok = min(rates) >= RATE_GOAL * args.rate
    passed &= ok
    goals.append(
        f"* Offered load: {sent:,} reports in {len(b)} run(s) of {args.seconds:g} s; achieved "
        f"{statistics.median(rates):.1f}/s (min {min(rates):.1f}; goal ≥ "
        f"{RATE_GOAL * args.rate:g}/s in every run) — {met(ok)}; {late:,} sends late by more "
        f"than {LATE_S * 1e3:.0f} ms."
    )
    statuses: Counter[str] = Counter()
    for rep in reps:
        statuses.update(rep.statuses())
    others = {k: n for k, n in statuses.items() if k != "201"}
    ok = not others
    passed &= ok
    goals.append(
        f"* Every report answered 201 (each from a client of its own, within the default "
        f"budget): {statuses.get('201', 0):,} of {sent:,}"
        + (
            f"; others: {', '.join(f'{k}: {n:,}' for k, n in sorted(others.items()))}"
            if others
            else ""
        )
        + f" — {met(ok)}."
    )
    vs = [rep.verified for rep in reps]
    tot = {k: sum(getattr(v, k) for v in vs) for k in ("accepted", "stored", "lost", "duplicated")}
    more = ("wrong", "extra", "repeated_ids", "unanswered")
    tot |= {k: sum(getattr(v, k) for v in vs) for k in more}
    ok = all(v.ok for v in vs)
    passed &= ok
    goals.append(
        f"* Every accepted report stored exactly once: accepted {tot['accepted']:,}, stored "
        f"{tot['stored']:,}, lost {tot['lost']:,}, duplicated {tot['duplicated']:,}, wrong "
        f"{tot['wrong']:,}, extra rows {tot['extra']:,}, repeated ids {tot['repeated_ids']:,} "
        f"— {met(ok)}. Stored but unanswered (no answer within {REPORT_TIMEOUT_S:.0f} s, or "
        f"the connection failed): {tot['unanswered']:,}."
    )
    for v in vs:
        goals += [f"  * {note}" for note in v.notes]
    if args.died:
        passed = False
        goals.append(f"* **The server died:** {args.died}")
    if len(b) < args.rounds:
        goals.append(f"* Only {len(b)} of {args.rounds} rounds ran (time budget or failure).")
    goals.append(f"* **Verdict: {'pass' if passed else 'fail'}.**")
    return near_table, rep_table, goals, passed


def subsection(
    args: argparse.Namespace, tables: tuple[str, str], goals: list[str], runs: list[PhaseRun]
) -> str:
    opts = f" --database {args.database}" if args.database != "postgresql" else ""
    if args.ratelimit_storage != DEFAULT_RATELIMIT_STORAGE:
        storage = "memory" if args.ratelimit_storage == "memory://" else args.ratelimit_storage
        opts += f" --ratelimit-storage {storage}"
    if args.topology != "gunicorn":
        opts += f" --topology {args.topology}"
    cmd = (
        f'.venv/bin/python bench/reports.py --label "{args.label}"{opts} --rounds {args.rounds} '
        f"--rate {args.rate:g} --seconds {args.seconds:g} --nearest-connections "
        f"{args.nearest_connections} --think-ms {args.think_ms} --seed {args.seed}"
    )
    server = " ".join(gunicorn_cmd(0, CONFIG)).replace(str(ROOT) + "/", "")
    server = f"`{server.replace(':0 ', ':<port> ')}`"
    if args.topology == "nginx":
        server += " behind nginx (`NGINX_CONF` in bench/abuse.py, one pool)"
    elif args.topology == "split":
        server += (
            f" behind nginx, which sends the POSTs of reports and suggestions to a second "
            f"such pool started with `nice -n {WRITES_NICE}` (`NGINX_CONF` in bench/abuse.py)"
        )
    order = ", ".join(f"{r.phase}" for r in runs[:4])
    settle = max(r.settle_s for r in runs)
    return f"""### {args.label}

Measured {machine()}; wrk {args.wrk_version}; psycopg {version("psycopg")}; load average \
{args.load_before} before, {load_average()} after. Code: {args.tree}.
Command: `{cmd}` ({args.elapsed_s:.0f} s).
Server: {server}, with `LOCATOR_TRUSTED_PROXIES=1`, the default report budget \
(10 per minute; 60 per day per client, counted in `{args.ratelimit_storage}`) and daily \
cap (3), and each report from its own \
`X-Forwarded-For` address. Database: {args.db_text}, new for this run, seeded with \
{args.served}.
Nearest: `wrk -t 1 -c {args.nearest_connections} --timeout {WRK_TIMEOUT_S}s`, \
{args.think_ms} ms pause after each answer, \
`/api/v1/nearest?lat=…&lon=…&k=5`, {args.seconds - 2 * LEAD_S:g} s per run. Reports: \
{args.rate:g}/s open loop for {args.seconds:g} s (one connection each), kinds cycling \
through all {len(KINDS)}, on {STATIONS:,} stations. Phases alternate ({order}, …); longest \
wait for the workers to go quiet after a phase: {settle:.1f} s.

Nearest latency, unloaded (A) and under the report load (B):

{tables[0]}

Reports (phase B of each round), checked against the `station_reports` table:

{tables[1]}

{chr(10).join(goals)}
{args.note}
"""


SECTION_INTRO = f"""\
Issue 14: can riders send station reports at 200 a second without any being lost, while
the finder's nearest search keeps its speed? `bench/reports.py` runs `gunicorn -w 2`
(gunicorn.conf.py) with a new database of its own on loopback, and in each round measures
nearest (`wrk`, a modest closed loop) alone and while an open-loop generator sends
{200} reports a second for 30 s, each from a client address of its own within the default
budget. After each loaded run it reads the `station_reports` table and checks that every
report answered 201 is stored exactly once. Goal: nearest's median under the report
load ≤ {RATIO_GOAL:g}× its unloaded median (medians over rounds, the baseline run in the
same job and interleaved), none lost or duplicated. Setup and caveats: the docstring of
`bench/reports.py`. Re-run with `.venv/bin/python bench/reports.py --label "<label>"`
(about 5 minutes); each label keeps its own subsection below.
"""


def record_label(label: str, text_: str) -> None:
    """Rewrite this label's subsection of the section, keeping the other labels."""
    record_subsection(HEADING, SECTION_INTRO, label, text_)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", default="latest run", help="subsection name in BENCHMARKS.md")
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument(
        "--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL server URL (no database)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of phases A and B")
    parser.add_argument("--rate", type=float, default=200.0, help="reports a second in B")
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds of reports in B")
    parser.add_argument("--nearest-connections", type=int, default=2, help="wrk connections")
    parser.add_argument(
        "--think-ms", type=int, default=20, help="each wrk connection's pause after an answer"
    )
    parser.add_argument("--seed", type=int, default=14, help="seed of stations and kinds")
    parser.add_argument(
        "--max-seconds", type=float, default=330.0, help="start no round that would end later"
    )
    parser.add_argument(
        "--ratelimit-storage",
        default=DEFAULT_RATELIMIT_STORAGE,
        help="the budget's storage: a Redis URL (its database is flushed) or memory",
    )
    parser.add_argument(
        "--topology",
        choices=TOPOLOGIES,
        default="gunicorn",
        help="gunicorn alone; nginx in front; split: nginx sends reports and suggestions to "
        f"a gunicorn pool of their own at nice {WRITES_NICE} (needs nginx: apt-get install "
        "-y nginx-light)",
    )
    parser.add_argument("--note", default="", help="a sentence added to the record")
    parser.add_argument("--no-record", action="store_true", help="do not write BENCHMARKS.md")
    args = parser.parse_args(argv)
    if args.ratelimit_storage == "memory":
        args.ratelimit_storage = "memory://"
    if args.seconds <= 2 * LEAD_S + 1:
        raise SystemExit(f"--seconds must be more than {2 * LEAD_S + 1:g}")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk (or brew install wrk)")
    args.wrk_version = (
        subprocess.run(["wrk", "-v"], capture_output=True, text=True)
        .stdout.split(" [")[0]
        .removeprefix("wrk ")
        .strip()
    )
    args.load_before, args.tree, args.died = load_average(), describe_tree(), ""
    began = time.monotonic()
    secret = secrets.token_urlsafe(32)
    db_name = f"locator_bench_reports_{os.getpid()}"

    runs: list[PhaseRun] = []
    with tempfile.TemporaryDirectory(prefix="locator-reports-") as tmp_name:
        tmp = Path(tmp_name)
        created = False
        if args.database == "postgresql":
            url, pg_version = create_database(args.postgres, db_name)
            created = True
            args.db_text = f"PostgreSQL {pg_version}, `{url}`"
        else:
            url = f"sqlite:///{tmp / 'locator.db'}"
            args.db_text = "SQLite (WAL), a new file in a temporary folder"
        try:
            env = {
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("LOCATOR_RATELIMIT_", "LOCATOR_REPORTS_"))
                and k not in ("LOCATOR_DATA_DIR", "LOCATOR_TRUSTED_PROXIES")
            }
            env |= {
                "LOCATOR_STORE": str(tmp / "absent.gpkg"),
                "LOCATOR_DATABASE_URL": url,
                "LOCATOR_QUEUE_URL": f"sqlite:///{tmp / 'queue.db'}",
                "LOCATOR_SECRET_KEY": secret,
                "LOCATOR_TRUSTED_PROXIES": "1",
                "LOCATOR_RATELIMIT_STORAGE_URL": args.ratelimit_storage,
            }
            flush_redis(args.ratelimit_storage)
            print(f"database: {args.db_text}; opening the app once to seed it ...", flush=True)
            seed_database(env)
            lua = tmp / "reports.lua"
            lua.write_text(LUA)
            servers: list[subprocess.Popen] = []
            try:
                port, masters, logs = start_topology(args.topology, tmp, env, servers)
                stations = station_ids(port)
                args.served = (
                    f"the shipped synthetic stations (reports on the first {len(stations):,})"
                )
                print("warm-up ...", flush=True)
                warm_up(port, lua, args, stations)
                for master in masters:
                    wait_quiet(master)
                ctx = {"url": url, "secret": secret, "stations": stations}
                round_s: float | None = None
                for rnd in range(args.rounds):
                    t0 = time.monotonic()
                    if round_s and t0 + round_s - began > args.max_seconds:
                        print(f"time budget reached: stopping after {rnd} round(s)")
                        break
                    order = ["A", "B"] if rnd % 2 == 0 else ["B", "A"]
                    done = []
                    for phase in order:
                        r = run_phase(phase, rnd, port, masters, lua, logs, args, ctx)
                        print(progress(r), flush=True)
                        if any(p.poll() is not None for p in servers):
                            args.died = (
                                f"gunicorn or nginx exited during round {rnd + 1}, phase "
                                f"{phase}; that round is left out. gunicorn's log: "
                                + "; ".join(e for log in logs for e in errors_in(log))
                            )
                            print(args.died, flush=True)
                            break
                        done.append(r)
                    if args.died:
                        break
                    runs += done
                    round_s = max(round_s or 0.0, time.monotonic() - t0)
                logged = [e for log in logs for e in errors_in(log)]
                if logged:
                    print("gunicorn logged errors:\n  " + "\n  ".join(logged))
            finally:
                for proc in reversed(servers):
                    stop_server(proc)
                flush_redis(args.ratelimit_storage)
                for log in tmp.glob("gunicorn*.log"):
                    name = f"locator-reports-{log.stem}-{os.getpid()}.log"
                    kept = Path(tempfile.gettempdir()) / name
                    shutil.copyfile(log, kept)
                    print(f"gunicorn log: {kept}")
        finally:
            if created:
                drop_database(args.postgres, db_name)
                print(f"dropped database {db_name}")
    args.elapsed_s = time.monotonic() - began
    if not any(r.phase == "B" for r in runs) or not any(r.phase == "A" for r in runs):
        raise SystemExit("no complete round: nothing to report")
    near_table, rep_table, goals, _ = report(runs, args)
    print()
    print(near_table)
    print()
    print(rep_table)
    print("\n".join(goals))
    if not args.no_record:
        record_label(args.label, subsection(args, (near_table, rep_table), goals, runs))
        print("recorded in BENCHMARKS.md")


if __name__ == "__main__":
    main()
