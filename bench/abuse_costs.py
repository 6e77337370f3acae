"""What one request of each kind in bench/abuse.py costs the server, and its load generator.

Run from the project root (about 1 minute; needs ``wrk``)::

    .venv/bin/python bench/abuse_costs.py [--rounds 2] [--seconds 8]

Starts the server as ``bench/abuse.py`` does (``gunicorn -c gunicorn.conf.py -w 2``, the
shipped synthetic stations) and, after the same warm-up, runs each kind of client of
abuse.py on its own for ``--seconds``, and nearest beside the embed attacker: ``wrk`` on
nearest (4 connections), on ``/embed/plan?new=<n>`` (10) and on coverage PNGs (4). For each:
answers per second by status, the CPU the two gunicorn workers used per answer
(``/proc``, 10 ms ticks), and the CPU of the wrk process itself (read just before it
exits). Then, in this process without gunicorn, the CPU per call of the app's WSGI
callable for a refused embed (the refusal cache in ``locator/web/refusals.py``), a
nearest request and the no-op route. Prints its figures; BENCHMARKS.md is not written.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from abuse import (
    CONFIG,
    LUA,
    finish_wrk,
    free_port,
    start_server,
    start_wrk,
    stop_server,
    wait_quiet,
    wait_ready,
    warm_up,
    worker_pids,
)
from abuse import cpu_s as workers_cpu_s
from nearest import load_average

KINDS = (("nearest", 4, None), ("embed", 10, None), ("coverage", 4, None), ("nearest", 4, "embed"))


def process_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one(port: int, lua: Path, pids: list[int], kind: str, conns: int, beside: str | None,
        seconds: float, seed: int) -> str:  # fmt: skip
    before = workers_cpu_s(pids)
    procs = [(kind, start_wrk(port, lua, kind, conns, seconds, seed))]
    if beside:
        procs.append((beside, start_wrk(port, lua, beside, 10, seconds, seed + 7)))
    time.sleep(seconds - 0.3)
    wrk_cpu = {k: process_cpu_s(p.pid) for k, p in procs}
    results = {k: finish_wrk(p, 60) for k, p in procs}
    used = workers_cpu_s(pids) - before
    answers = sum(sum(r.statuses.values()) for r in results.values())
    parts = [
        f"{k} {sum(r.statuses.values()) / r.seconds:,.0f}/s {dict(sorted(r.statuses.items()))}"
        f" (wrk CPU {wrk_cpu[k] / r.seconds:.2f} core)"
        for k, r in results.items()
    ]
    return (
        f"{kind}{' beside ' + beside if beside else ''}: " + "; ".join(parts)
        + f" | server CPU {used / seconds:.2f} core, {used / answers * 1e3:.3f} ms per answer"
    )  # fmt: skip


def in_process(calls: int, tmp: Path) -> str:
    """CPU µs per call of the app's WSGI callable, without gunicorn (database in ``tmp``)."""
    os.environ["LOCATOR_STORE"] = str(Path(tmp) / "absent.gpkg")
    os.environ["LOCATOR_DATABASE_URL"] = f"sqlite:///{tmp}/locator.db"
    from wsgi_bench import NOOP_PATH, create_bench_app

    app = create_bench_app()
    statuses: list[str] = []

    def call(path: str, query: str) -> None:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000", "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr,
            "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }  # fmt: skip
        b"".join(app(environ, lambda status, headers, exc=None: statuses.append(status)))

    for i in range(1000):  # spend the budget: from here on the refusal cache answers
        call("/embed/plan", f"new={i}")
        if statuses[-1].startswith("429"):
            break

    def cpu_us(path: str, query: str, n: int) -> float:
        spent = []
        for _ in range(n):
            start = time.thread_time()
            call(path, query)
            spent.append(time.thread_time() - start)
        return statistics.median(spent) * 1e6

    refused = cpu_us("/embed/plan", "new=7", calls)
    refused_status = statuses[-1]
    nearest = cpu_us("/api/v1/nearest", "lat=39.9&lon=116.4&k=5", calls)
    noop = cpu_us(NOOP_PATH, "", calls)
    return (
        f"in-process, median CPU µs per call over {calls:,}: refused embed ({refused_status}) "
        f"{refused:.1f}, nearest {nearest:.1f}, no-op {noop:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    print(f"load average {load_average()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="locator-abuse-") as tmp_name:
        tmp = Path(tmp_name)
        lua = tmp / "abuse.lua"
        lua.write_text(LUA)
        env = {**os.environ, "LOCATOR_STORE": str(tmp / "absent.gpkg")}
        env.pop("LOCATOR_DATA_DIR", None)
        port, log = free_port(), tmp / "gunicorn.log"
        server = start_server(port, CONFIG if CONFIG.exists() else None, env, log)
        try:
            wait_ready(server, port, log)
            warm_up(port, lua)
            wait_quiet(server.pid)
            pids = worker_pids(server.pid)
            for rnd in range(args.rounds):
                for kind, conns, beside in KINDS:
                    print(one(port, lua, pids, kind, conns, beside, args.seconds, 100 + rnd))
                    wait_quiet(server.pid)
        finally:
            stop_server(server)
    with tempfile.TemporaryDirectory(prefix="locator-bench-") as tmp_name:
        print(in_process(3000, Path(tmp_name)))
    print(f"load average {load_average()}")


if __name__ == "__main__":
    main()
