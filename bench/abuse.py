"""Does one visitor's expensive work starve everyone else's nearest search? (issue 10)

Run from the project root (takes about 5 minutes with the defaults)::

    .venv/bin/python bench/abuse.py --label "before the defences"
    .venv/bin/python bench/abuse.py --label "after the defences"

    options: [--repeat 4] [--seconds 15] [--connections 4] [--max-seconds 330]
             [--config gunicorn.conf.py|none|PATH] [--phases idle,coverage,embed]
             [--proxy none|nginx] [--note TEXT] [--no-record]

Needs ``wrk`` (https://github.com/wg/wrk) on the PATH: ``apt-get install -y wrk`` (Debian,
Ubuntu) or ``brew install wrk``. Everything stays on 127.0.0.1.

The server is ``.venv/bin/gunicorn -w 2 -b 127.0.0.1:<free port> 'locator:create_app()'``,
started from the project root with ``-c gunicorn.conf.py`` when that file exists (``--config
none``: gunicorn's defaults, i.e. sync workers; ``--config PATH``: another file), serving the
shipped synthetic stations (``LOCATOR_STORE`` points to a path that does not exist; every
other setting comes from the environment, as for any deployment). It is stopped at the end.

With ``--proxy nginx`` every client (victim and attackers) goes through an nginx on another
loopback port, configured as the README suggests for production: a ``limit_req`` of 2
requests a second (burst 10) per client address on the expensive paths, answered 429 by
nginx itself, and everything else passed straight to gunicorn (``NGINX_CONF``).

The victim is ``wrk -t 1 -c <connections>`` on ``GET /api/v1/nearest?lat=…&lon=…&k=5`` at
random points in central Beijing, for ``--seconds`` in each of three phases:

(a) idle: nearest alone;
(b) coverage: 4 more connections (one wrk) asking ``/api/v1/maps/coverage.png?radius_m=<r>``
    in a loop, r a random whole number of metres in 100–5,000 (each new radius is a new
    map unless the server normalises it);
(c) embed: 10 more connections asking ``/embed/plan?new=<n>``, n random in 1–5,000.

The attackers start one second before the victim and stop one second after it. Between
phases the script waits until both workers have been idle for half a second (CPU from
``/proc``), so work left over from one phase (a render in flight) does not land in the next.
Each of ``--repeat`` rounds runs the three phases, the order rotating from round to round.
Before the first round, a warm-up (not recorded) sends each kind of request for a few
seconds, so that each worker has built its caches (stations' JSON, the demand model).

wrk's own timeout is 2 s: a request unanswered for 2 s counts as a timeout, and its latency
is not in wrk's percentiles (p50/p99 are of answered requests). The victim's
errors are its non-2xx answers, socket errors (connect, read, write) and timeouts; the
attackers' answers are reported by status (429 is the expected answer of a defended server).
wrk is a closed loop (each connection sends its next request when the last one is answered),
so the victim's rate is what the server gives it, not a fixed offered rate.

If gunicorn's master exits during a round (a worker that fails to boot takes it down), the
round is left out, the run stops and the record says so, quoting gunicorn's log (kept in
the temporary folder; the path is printed).

The last column counts workers gunicorn started during each phase (its log), e.g. when
``max_requests`` recycles them or one is killed: a new worker loads the stations again and
meets the requests with cold caches, which shows in the victim's tail.

Verdict (issue 10, "How it is checked"): in phases (b) and (c), nearest keeps at least 50 %
of its idle throughput (2xx answers per second) and its p99 latency is at most 3× idle, with
0 errors in every run of every phase. Throughput and p99 are judged on the medians over the
rounds; the round-by-round ratios (each against the idle run of the same round) are shown
beside them. Results go to BENCHMARKS.md under "Abuse" in a subsection named by ``--label``
(other labels are kept), unless ``--no-record`` is given.

Note: every client here is 127.0.0.1, so a per-client (per-IP) budget treats the victim and
the attackers as one client. A defence that also limits nearest per IP would show up here
as 429s of the victim, i.e. as errors.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from nearest import ROOT, load_average, machine, markdown, met, record

HEADING = "## Abuse: nearest under expensive requests (bench/abuse.py)"
GUNICORN = Path(sys.executable).parent / "gunicorn"
CONFIG = ROOT / "gunicorn.conf.py"
BEIJING = (116.20, 39.75, 116.60, 40.05)  # west, south, east, north
THROUGHPUT_GOAL = 0.5  # nearest keeps at least half its idle throughput
P99_GOAL = 3.0  # nearest p99 at most 3x idle
WRK_TIMEOUT_S = 2
LEAD_S = 1.0  # attackers start this long before the victim and stop this long after
QUIET_CPU_S = 0.02  # both workers together used less CPU than this in QUIET_WINDOW_S
QUIET_WINDOW_S = 0.5
QUIET_MAX_S = 30.0


@dataclass(frozen=True)
class Attack:
    name: str
    kind: str  # the Lua request generator: "coverage" or "embed"
    connections: int
    what: str


PHASES: dict[str, Attack | None] = {
    "idle": None,
    "coverage": Attack(
        "coverage", "coverage", 4, "4 clients: `/api/v1/maps/coverage.png?radius_m=<100–5000>`"
    ),
    "embed": Attack("embed", "embed", 10, "10 clients: `/embed/plan?new=<1–5000>`"),
}

# One Lua script for every wrk: args are <kind> <seed>. It counts answers by status per
# thread (response) and prints one JSON line at the end (done).
# Counts answers by status and prints the summary as one "WRK-JSON {...}" line; the
# scripts here end their Lua with it (they define `threads` and a global `statuses`).
WRK_TALLY_LUA = """\
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do
      counts[tostring(k)] = (counts[tostring(k)] or 0) + v
    end
  end
  local parts = {}
  for k, v in pairs(counts) do table.insert(parts, string.format('"%s": %d', k, v)) end
  local e = summary.errors
  io.write(string.format(
    'WRK-JSON {"duration_us": %d, "requests": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status_errors": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "mean_us": %f, "statuses": {%s}}\\n',
    summary.duration, summary.requests, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, table.concat(parts, ", ")))
end
"""

LUA = (
    """
local kind, threads = "nearest", {}
statuses = {}  -- global: done() reads it from each thread with thread:get
local W, S, E, N = @BOX@

function setup(thread) table.insert(threads, thread) end

function init(args)
  kind = args[1]
  math.randomseed(tonumber(args[2]))
  statuses = {}
end

function request()
  local path
  if kind == "nearest" then
    path = string.format("/api/v1/nearest?lat=%.6f&lon=%.6f&k=5",
                         S + math.random() * (N - S), W + math.random() * (E - W))
  elseif kind == "coverage" then
    path = "/api/v1/maps/coverage.png?radius_m=" .. math.random(100, 5000)
  else
    path = "/embed/plan?new=" .. math.random(1, 5000)
  end
  return wrk.format("GET", path)
end

"""
    + WRK_TALLY_LUA
).replace("@BOX@", ", ".join(f"{v:.2f}" for v in BEIJING))


# --- wrk ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    seconds: float
    statuses: dict[int, int]
    socket_errors: int  # connect + read + write
    timeouts: int
    p50_ms: float
    p99_ms: float

    @property
    def ok(self) -> int:
        return sum(n for s, n in self.statuses.items() if 200 <= s < 300)

    @property
    def not_ok(self) -> int:
        return sum(n for s, n in self.statuses.items() if not 200 <= s < 300)

    @property
    def errors(self) -> int:
        """Victim errors: non-2xx answers, socket errors and timeouts."""
        return self.not_ok + self.socket_errors + self.timeouts

    @property
    def ok_per_s(self) -> float:
        return self.ok / self.seconds


def start_wrk(
    port: int, lua: Path, kind: str, connections: int, seconds: float, seed: int
) -> subprocess.Popen:
    cmd = [
        "wrk",
        "-t",
        "1",
        "-c",
        str(connections),
        "-d",
        f"{seconds:.0f}s",
        "--timeout",
        f"{WRK_TIMEOUT_S}s",
        "-s",
        str(lua),
        f"http://127.0.0.1:{port}",
        "--",
        kind,
        str(seed),
    ]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish_wrk(proc: subprocess.Popen, timeout_s: float) -> WrkResult:
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
    return WrkResult(
        seconds=d["duration_us"] / 1e6,
        statuses={int(k): v for k, v in d["statuses"].items()},
        socket_errors=d["connect"] + d["read"] + d["write"],
        timeouts=d["timeout"],
        # no answer at all: no latency either; count it as infinitely slow, not as 0 ms
        p50_ms=d["p50_us"] / 1e3 if d["requests"] else math.inf,
        p99_ms=d["p99_us"] / 1e3 if d["requests"] else math.inf,
    )


# --- the server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gunicorn_cmd(port: int, config: Path | None) -> list[str]:
    cmd = [str(GUNICORN)]
    if config is not None:
        cmd += ["-c", str(config)]
    bind = ["-b", f"127.0.0.1:{port}", "--log-level", "info"]  # info: worker boots are logged
    return [*cmd, "-w", "2", *bind, "locator:create_app()"]


def start_server(
    port: int, config: Path | None, env: dict[str, str], log: Path
) -> subprocess.Popen:
    """gunicorn from the project root; with ``config`` None it is started from a folder
    without a gunicorn.conf.py, so gunicorn's own defaults apply (sync workers)."""
    cwd = ROOT if config is not None else log.parent
    with log.open("w") as out:
        return subprocess.Popen(
            gunicorn_cmd(port, config), cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def wait_ready(proc: subprocess.Popen, port: int, log: Path, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            url = f"http://127.0.0.1:{port}/api/v1/health"
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(
        f"gunicorn did not answer within {timeout_s:.0f} s:\n{log.read_text()[-3000:]}"
    )


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


# The reverse proxy of ``--proxy nginx`` (and of bench/reports.py's nginx and split), as in
# README, "Operations": the rate limit on the expensive paths (the families
# locator/web/refusals.py lists); the anonymous writes (POST of reports and suggestions) to
# the ``locator_writes`` pool (the main one unless a pool of their own is given); the rest
# straight through. The client's X-Forwarded-For is passed on as sent, so that each
# simulated client can name an address of its own.
NGINX_CONF = """
worker_processes 1;
worker_rlimit_nofile 8192;
pid @TMP@/nginx.pid;
error_log @TMP@/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path @TMP@/body;
  proxy_temp_path @TMP@/proxy;
  fastcgi_temp_path @TMP@/fastcgi;
  uwsgi_temp_path @TMP@/uwsgi;
  scgi_temp_path @TMP@/scgi;
  upstream locator { server 127.0.0.1:@UPSTREAM@; keepalive 16; }
  upstream locator_writes { server 127.0.0.1:@WRITES@; keepalive 16; }
  map "$request_method $uri" $pool {
    "~^POST /api/v1/(stations/[^/]+/reports|suggestions)$" locator_writes;
    default locator;
  }
  limit_req_zone $binary_remote_addr zone=costly:1m rate=2r/s;
  limit_req_status 429;
  server {
    listen 127.0.0.1:@PORT@;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    location ~ ^/(api/v1/maps/|api/v1/coverage|api/v1/nearest/batch|api/v1/along-route|embed/plan) {
      limit_req zone=costly burst=10 nodelay;
      proxy_pass http://locator;
    }
    location / { proxy_pass http://$pool; }
  }
}
"""


def start_nginx(tmp: Path, port: int, upstream: int, writes: int | None = None) -> subprocess.Popen:
    """nginx in the foreground on ``port``, in front of gunicorn on ``upstream`` (and of the
    writes' pool on ``writes``, if given)."""
    conf = tmp / "nginx.conf"
    text = NGINX_CONF.replace("@TMP@", str(tmp)).replace("@PORT@", str(port))
    text = text.replace("@UPSTREAM@", str(upstream)).replace("@WRITES@", str(writes or upstream))
    conf.write_text(text)
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    return subprocess.Popen(
        [binary, "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def worker_pids(master: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def cpu_s(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # a worker restarted (timeout, memory): it used no CPU here
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_quiet(master: int) -> float:
    """Seconds until the workers used < QUIET_CPU_S of CPU in QUIET_WINDOW_S (capped)."""
    start = time.monotonic()
    while time.monotonic() - start < QUIET_MAX_S:
        pids = worker_pids(master)
        used = cpu_s(pids)
        time.sleep(QUIET_WINDOW_S)
        if cpu_s(pids) - used < QUIET_CPU_S:
            break
    return time.monotonic() - start


# --- phases ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseRun:
    phase: str
    round: int
    victim: WrkResult
    attacker: WrkResult | None
    settle_s: float  # waited for the workers to go quiet afterwards
    boots: int  # workers (re)started during the phase (gunicorn's log: max_requests, crashes)


def boots(log: Path) -> int:
    """Workers gunicorn has started so far, from its log (info level)."""
    return log.read_text(errors="replace").count("Booting worker")


def run_phase(
    phase: str, rnd: int, port: int, master: int, lua: Path, log: Path, args: argparse.Namespace
) -> PhaseRun:
    attack = PHASES[phase]
    booted = boots(log)
    seed = 1000 * (rnd + 1) + list(PHASES).index(phase)
    attacker_proc = None
    if attack is not None:
        attacker_proc = start_wrk(
            port, lua, attack.kind, attack.connections, args.seconds + 2 * LEAD_S, seed + 500
        )
        time.sleep(LEAD_S)
    victim_proc = start_wrk(port, lua, "nearest", args.connections, args.seconds, seed)
    victim = finish_wrk(victim_proc, args.seconds + 30)
    attacker = None if attacker_proc is None else finish_wrk(attacker_proc, 2 * LEAD_S + 30)
    settle = wait_quiet(master)
    return PhaseRun(phase, rnd, victim, attacker, settle, boots(log) - booted)


def warm_up(port: int, lua: Path) -> None:
    """A few seconds of each kind of request, so that both workers have built their caches
    (the stations' JSON, the region's demand model) before anything is measured."""
    procs = [
        start_wrk(port, lua, "nearest", 2, 4, 1),
        start_wrk(port, lua, "coverage", 2, 4, 2),
        start_wrk(port, lua, "embed", 2, 4, 3),
    ]
    for proc in procs:
        finish_wrk(proc, 60)


def progress(r: PhaseRun) -> str:
    a = r.attacker
    return (
        f"round {r.round + 1} {r.phase:8s} nearest {r.victim.ok_per_s:8.1f}/s "
        f"p50 {r.victim.p50_ms:7.1f} ms p99 {r.victim.p99_ms:7.1f} ms errors {r.victim.errors}"
        + ("" if a is None else f" | attackers {statuses_text([a])}")
        + f" | settled {r.settle_s:.1f} s, worker boots {r.boots}"
    )


def errors_in(log: Path, last: int = 6) -> list[str]:
    """The last lines of gunicorn's log that report an error or an exception."""
    lines = log.read_text(errors="replace").splitlines()
    keys = ("[ERROR]", "Error", "Exception", "Traceback")
    return [x.strip() for x in lines if any(k in x for k in keys)][-last:]


def describe_tree() -> str:
    def git(*a: str) -> str:
        return subprocess.run(
            ["git", "-C", str(ROOT), *a], capture_output=True, text=True
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "?"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"`{commit}`" + (" with uncommitted work" if dirty else "")


# --- report ------------------------------------------------------------------------------


def span(values: list[float], digits: int) -> str:
    return (
        f"{statistics.median(values):,.{digits}f} "
        f"({min(values):,.{digits}f}–{max(values):,.{digits}f})"
    )


def statuses_text(runs: list[WrkResult]) -> str:
    total: dict[int, int] = {}
    for r in runs:
        for s, n in r.statuses.items():
            total[s] = total.get(s, 0) + n
    sock, tout = sum(r.socket_errors for r in runs), sum(r.timeouts for r in runs)
    parts = [f"{s}: {n:,}" for s, n in sorted(total.items())]
    if sock:
        parts.append(f"socket errors: {sock:,}")
    if tout:
        parts.append(f"timeouts: {tout:,}")
    return ", ".join(parts) or "none answered"


def report(runs: list[PhaseRun], args: argparse.Namespace) -> tuple[str, list[str], bool]:
    by = {p: [r for r in runs if r.phase == p] for p in args.phases}
    idle = {r.round: r.victim for r in by["idle"]}
    idle_thr = statistics.median(v.ok_per_s for v in idle.values())
    idle_p99 = statistics.median(v.p99_ms for v in idle.values())
    head = [
        "phase",
        "runs",
        "nearest 2xx / s: median (min–max)",
        "÷ idle (round by round)",
        "nearest p50 ms",
        "nearest p99 ms",
        "p99 ÷ idle (round by round)",
        "nearest errors: non-2xx / socket / timeouts (all runs)",
        "attackers: answers / s",
        "attackers: answers by status (all runs)",
        "worker (re)starts (all runs)",
    ]
    rows, goals, passed = [], [], True
    errors_total = 0
    for phase, prs in by.items():
        if not prs:
            continue
        v = [r.victim for r in prs]
        thr = statistics.median(x.ok_per_s for x in v)
        p99 = statistics.median(x.p99_ms for x in v)
        paired_thr = [r.victim.ok_per_s / idle[r.round].ok_per_s for r in prs if r.round in idle]
        paired_p99 = [r.victim.p99_ms / idle[r.round].p99_ms for r in prs if r.round in idle]
        errs = (
            sum(x.not_ok for x in v),
            sum(x.socket_errors for x in v),
            sum(x.timeouts for x in v),
        )
        errors_total += sum(errs)
        att = [r.attacker for r in prs if r.attacker is not None]
        attack = PHASES[phase]
        rows.append(
            [
                phase if attack is None else f"{phase}: {attack.what}",
                str(len(prs)),
                span([x.ok_per_s for x in v], 1),
                "–" if phase == "idle" else f"{thr / idle_thr:.2f}× ({_range(paired_thr, '×')})",
                span([x.p50_ms for x in v], 1),
                span([x.p99_ms for x in v], 1),
                "–" if phase == "idle" else f"{p99 / idle_p99:.2f}× ({_range(paired_p99, '×')})",
                " / ".join(f"{e:,}" for e in errs),
                span([a.ok_per_s + a.not_ok / a.seconds for a in att], 2) if att else "–",
                statuses_text(att) if att else "–",
                f"{sum(r.boots for r in prs):,}",
            ]
        )
        if phase != "idle":
            ok_thr, ok_p99 = thr / idle_thr >= THROUGHPUT_GOAL, p99 / idle_p99 <= P99_GOAL
            passed &= ok_thr and ok_p99
            goals.append(
                f"* {phase}: nearest keeps ≥ {THROUGHPUT_GOAL:.0%} of idle throughput: "
                f"{thr / idle_thr:.0%} — {met(ok_thr)}; p99 ≤ {P99_GOAL:g}× idle: "
                f"{p99 / idle_p99:.2f}× — {met(ok_p99)}; errors: {sum(errs):,}."
            )
    no_errors = errors_total == 0
    passed &= no_errors
    goals.append(
        f"* 0 nearest errors in every run of every phase: {errors_total:,} — {met(no_errors)}."
    )
    if args.died:
        passed = False
        goals.append(f"* **The server died:** {args.died}")
    missing = [p for p in ("idle", "coverage", "embed") if p not in args.phases]
    if missing:
        passed = False
        goals.append(f"* Phases not run: {', '.join(missing)}, so there is no verdict.")
    goals.append(f"* **Verdict: {'pass' if passed else 'fail'}.**")
    return markdown(head, rows), goals, passed


def _range(values: list[float], unit: str = "") -> str:
    if not values:
        return "–"
    return f"{statistics.median(values):.2f}{unit}, {min(values):.2f}–{max(values):.2f}"


def subsection(args: argparse.Namespace, table: str, goals: list[str], runs: list[PhaseRun]) -> str:
    config = "" if args.config == CONFIG else f" --config {args.config or 'none'}"
    if args.phases != list(PHASES):
        config += f" --phases {','.join(args.phases)}"
    if args.proxy != "none":
        config += f" --proxy {args.proxy}"
    cmd = (
        f'.venv/bin/python bench/abuse.py --label "{args.label}" --repeat {args.repeat} '
        f"--seconds {args.seconds:g} --connections {args.connections}{config}"
    )
    server = " ".join(gunicorn_cmd(0, args.config)).replace(str(ROOT) + "/", "")
    server = server.replace(":0 ", ":<port> ")
    if args.proxy == "nginx":
        server += "`, behind nginx with limit_req 2 r/s, burst 10, per client address, on the "
        server += "expensive paths, as the README suggests: `NGINX_CONF` in `bench/abuse.py"
    settle = max(r.settle_s for r in runs)
    order = ", ".join(r.phase for r in runs[: len(args.phases)])
    return f"""### {args.label}

Measured {machine()}; wrk {args.wrk_version}; load average {args.load_before} before, \
{load_average()} after. Code: {args.tree}.
Command: `{cmd}` ({args.elapsed_s:.0f} s).
Server: `{server}`. Victim: `wrk -t 1 -c {args.connections} --timeout {WRK_TIMEOUT_S}s` on \
`/api/v1/nearest?lat=…&lon=…&k=5`, {args.seconds:g} s per run; rounds interleave the phases \
(first round: {order}; the order rotates). Longest wait for the workers to go quiet after a \
phase: {settle:.1f} s.

{table}

{chr(10).join(goals)}
{args.note}
"""


def record_label(label: str, text: str) -> None:
    """Rewrite this label's subsection of the Abuse section, keeping the other labels."""
    record_subsection(HEADING, SECTION_INTRO, label, text)


def record_subsection(heading: str, intro: str, label: str, text: str) -> None:
    """Rewrite subsection ``label`` of BENCHMARKS.md's section ``heading`` (which starts
    with ``intro``), keeping its other subsections."""
    from nearest import BENCHMARKS

    old = BENCHMARKS.read_text(encoding="utf-8")
    start = old.find(heading)
    kept: dict[str, str] = {}
    if start >= 0:
        end = old.find("\n## ", start + len(heading))
        for chunk in old[start : None if end < 0 else end].split("\n### ")[1:]:
            kept[chunk.split("\n", 1)[0]] = "### " + chunk.rstrip("\n") + "\n"
    kept[label] = text.rstrip("\n") + "\n"
    record(heading, heading + "\n\n" + intro + "".join("\n" + v for v in kept.values()))


SECTION_INTRO = f"""\
Issue 10: can a visitor asking for expensive things starve the cheap, common request?
`wrk` measures `GET /api/v1/nearest` behind `gunicorn -w 2` on loopback in three phases:
alone (idle), beside 4 clients asking coverage PNGs at random radii, and beside 10 clients
asking `/embed/plan?new=<random>`. Goal: in both attacked phases nearest keeps ≥
{THROUGHPUT_GOAL:.0%} of its idle throughput and p99 ≤ {P99_GOAL:g}× idle, with 0 errors
(non-2xx, socket errors, timeouts of {WRK_TIMEOUT_S} s); the attackers' 429s are expected and
listed apart. Medians over rounds; the idle baseline is measured in the same job, its runs
interleaved with the attacked ones. Setup and caveats: the docstring of `bench/abuse.py`.
Re-run with `.venv/bin/python bench/abuse.py --label "<label>"` (about 5 minutes); each
label keeps its own subsection below.
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", default="latest run", help="subsection name in BENCHMARKS.md")
    parser.add_argument("--repeat", type=int, default=4, help="rounds of the three phases")
    parser.add_argument("--seconds", type=float, default=15.0, help="victim seconds per run")
    parser.add_argument("--connections", type=int, default=4, help="victim connections")
    parser.add_argument(
        "--max-seconds", type=float, default=330.0, help="start no round that would end later"
    )
    parser.add_argument(
        "--config",
        default=str(CONFIG) if CONFIG.exists() else "none",
        help="gunicorn -c file; 'none' for gunicorn's defaults (default: the project's "
        "gunicorn.conf.py when it exists)",
    )
    parser.add_argument(
        "--phases", default="idle,coverage,embed", help="comma-separated; idle must be one"
    )
    parser.add_argument(
        "--proxy",
        choices=("none", "nginx"),
        default="none",
        help="nginx: every client goes through nginx with the README's rate limit on the "
        "expensive paths (needs nginx: apt-get install -y nginx-light)",
    )
    parser.add_argument("--note", default="", help="a sentence added to the record")
    parser.add_argument("--no-record", action="store_true", help="do not write BENCHMARKS.md")
    args = parser.parse_args(argv)
    args.config = None if args.config == "none" else Path(args.config).resolve()
    args.phases = args.phases.split(",")
    if "idle" not in args.phases or set(args.phases) - set(PHASES):
        raise SystemExit(f"--phases: idle plus any of {', '.join(PHASES)}")
    args.died = ""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk (or brew install wrk)")
    args.wrk_version = (
        subprocess.run(["wrk", "-v"], capture_output=True, text=True)
        .stdout.split(" [")[0]
        .removeprefix("wrk ")
        .strip()
    )
    args.load_before, args.tree = load_average(), describe_tree()
    began = time.monotonic()

    runs: list[PhaseRun] = []
    with tempfile.TemporaryDirectory(prefix="locator-abuse-") as tmp_name:
        tmp = Path(tmp_name)
        lua = tmp / "abuse.lua"
        lua.write_text(LUA)
        env = {**os.environ, "LOCATOR_STORE": str(tmp / "absent.gpkg")}
        env.pop("LOCATOR_DATA_DIR", None)
        port, log = free_port(), tmp / "gunicorn.log"
        print(f"$ {' '.join(gunicorn_cmd(port, args.config))}", flush=True)
        server = start_server(port, args.config, env, log)
        proxy = None
        try:
            wait_ready(server, port, log)
            if args.proxy == "nginx":
                gunicorn_port, port = port, free_port()
                proxy = start_nginx(tmp, port, gunicorn_port)
                wait_ready(server, port, log)  # now through nginx
            print("warm-up ...", flush=True)
            warm_up(port, lua)
            wait_quiet(server.pid)
            names = args.phases
            round_s: float | None = None
            for rnd in range(args.repeat):
                t0 = time.monotonic()
                if round_s and t0 + round_s - began > args.max_seconds:
                    print(f"time budget reached: stopping after {rnd} round(s)")
                    break
                shift = rnd % len(names)
                done: list[PhaseRun] = []
                for phase in names[shift:] + names[:shift]:
                    r = run_phase(phase, rnd, port, server.pid, lua, log, args)
                    print(progress(r), flush=True)
                    if server.poll() is not None:
                        args.died = (
                            f"gunicorn exited ({server.returncode}) during round {rnd + 1}, "
                            f"phase {phase}; that round is left out. Its log: "
                            + "; ".join(errors_in(log))
                        )
                        print(args.died, flush=True)
                        break
                    done.append(r)
                if args.died:
                    break
                runs += done
                round_s = max(round_s or 0.0, time.monotonic() - t0)
        finally:
            if proxy is not None:
                stop_server(proxy)
            stop_server(server)
            kept = Path(tempfile.gettempdir()) / f"locator-abuse-gunicorn-{os.getpid()}.log"
            shutil.copyfile(log, kept)
            print(f"gunicorn log: {kept}")
    args.elapsed_s = time.monotonic() - began
    if not runs:
        raise SystemExit("no complete round: nothing to report")
    table, goals, _ = report(runs, args)
    print()
    print(table)
    print("\n".join(goals))
    if not args.no_record:
        record_label(args.label, subsection(args, table, goals, runs))
        print("recorded in BENCHMARKS.md")


if __name__ == "__main__":
    main()
