"""Benchmark the national plan on Dask: all provinces with 1 and 2 workers, and a projection.

Run from the project root::

    .venv/bin/python bench/national.py [--new 10000] [--time-limit-s 3] [--repeat 1]
                                       [--stations instance/national_synthetic_stations.csv]
                                       [--no-record]

For each worker count (1, then 2; interleaved repeat by repeat) it runs
:func:`locator.planning.national.run_national` on a fresh local cluster (processes, one
thread each) over the 31 provinces with census demand, and reports the wall time (the
cluster's start included), the speed-up, each worker's peak resident memory, and the
certificate. Existing stations: the driver's homes of the SYNTHETIC national file
(``locator data build --national``; built here when missing).

Projection to 8 and 64 workers: a province is one unit of work (its three tasks), so
the wall time with W workers is the overhead (the 2-worker wall time less its own
schedule) plus the makespan of the provinces' measured task times scheduled longest
first on W workers (LPT). With W >= 31 every province has a worker and the largest
province bounds the wall time. The solver stops at ``--time-limit-s`` of wall clock, so
on a machine shared with other work a task does less search in the same time (larger
gaps), not more time.
"""

from __future__ import annotations

import argparse
import heapq
import statistics
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nearest import BENCHMARKS, machine, markdown, record

from locator.planning.national import NationalPlan, NationalRequest, run_national

ROOT = Path(__file__).resolve().parent.parent
HEADING = "## National plan on Dask (bench/national.py)"
WORKERS = (1, 2)
PROJECTED = (8, 64)


def lpt_makespan_s(task_s: list[float], workers: int) -> float:
    """Longest-first list schedule of ``task_s`` on ``workers``: the latest finish."""
    loads = [0.0] * workers
    for t in sorted(task_s, reverse=True):
        heapq.heapreplace(loads, loads[0] + t)
    return max(loads)


def stations(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """lon, lat of the driver's homes in the national SYNTHETIC file (built if missing)."""
    if not path.is_file():
        from locator.stations.national import build_national

        build_national(ROOT / "data", path)
    frame = pd.read_csv(path, usecols=["kind", "lon", "lat"])
    homes = frame[frame["kind"] == "driver_home"]
    return homes["lon"].to_numpy(float), homes["lat"].to_numpy(float)


def run(workers: int, args: argparse.Namespace, lon: np.ndarray, lat: np.ndarray) -> NationalPlan:
    request = NationalRequest(new=args.new, time_limit_s=args.time_limit_s, workers=workers)
    plan = run_national(request, data_dir=ROOT / "data", station_lon=lon, station_lat=lat)
    print(f"{workers} worker(s): {plan.seconds:.1f} s, gap {plan.gap:.3%}", flush=True)
    return plan


def worker_rows(plans: dict[int, list[NationalPlan]], wall: dict[int, float]) -> list[list[str]]:
    """One row per worker count: median and range of wall time, speed-up, memory, gap."""
    rows = []
    for w in WORKERS:
        times = [p.seconds for p in plans[w]]
        peak = max(max(p.peak_worker_mb) for p in plans[w])
        gap = statistics.median(p.gap for p in plans[w])
        speed = wall[WORKERS[0]] / wall[w]
        rng = f"{min(times):.1f}-{max(times):.1f}"
        rows.append([str(w), f"{wall[w]:.1f}", rng, f"{speed:.2f}×", f"{peak:,.0f}", f"{gap:.3%}"])
    return rows


def section(args: argparse.Namespace, plans: dict[int, list[NationalPlan]]) -> str:
    """The markdown of this benchmark's section."""
    wall = {w: statistics.median(p.seconds for p in plans[w]) for w in WORKERS}
    last = plans[2][-1]
    task_s = last.table["task_s"].tolist()
    overhead = wall[2] - lpt_makespan_s(task_s, 2)
    projected = {w: overhead + lpt_makespan_s(task_s, w) for w in PROJECTED}
    proj = [[str(w), f"{t:.1f}", f"{wall[1] / t:.2f}×"] for w, t in projected.items()]
    top = last.table.sort_values("task_s", ascending=False).head(5)
    largest = ", ".join(f"{r.province} {r.task_s:.1f} s" for r in top.itertuples())
    head = ["workers", "wall s (median)", "range s", "speed-up", "peak MiB/worker", "gap"]
    lines = [
        f"{machine()}. {args.repeat} run(s) per worker count, interleaved; medians.",
        f"`--new {args.new}` sites over {len(last.table)} provinces, "
        f"{last.request.cell_size_m:g} m cells, radius {last.request.radius_m:g} m, "
        f"`--time-limit-s {args.time_limit_s:g}` per province; existing stations: "
        f"{args.n_stations:,} SYNTHETIC national driver's homes.",
        "",
        markdown(head, worker_rows(plans, wall)),
        "",
        f"Summed certificate of the last 2-worker run: objective {last.objective:,.0f}, "
        f"bound {last.bound:,.0f}, gap {last.gap:.3%}; against any sharing of the sites "
        f"{last.any_gap:.2%}. Per-province task times sum to {sum(task_s):.1f} s; the "
        f"largest: {largest}.",
        "",
        f"Projection (LPT schedule of those task times + {overhead:.1f} s overhead measured "
        "with 2 workers; see the script's docstring):",
        "",
        markdown(["workers", "projected wall s", "speed-up vs 1"], proj),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new", type=int, default=10_000)
    parser.add_argument("--time-limit-s", type=float, default=3.0)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--stations", type=Path, default=ROOT / "instance" / "national_synthetic_stations.csv"
    )
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    lon, lat = stations(args.stations)
    args.n_stations = len(lon)
    plans: dict[int, list[NationalPlan]] = {w: [] for w in WORKERS}
    for _ in range(args.repeat):
        for w in WORKERS:
            plans[w].append(run(w, args, lon, lat))
    text = section(args, plans)
    print(text)
    if not args.no_record:
        record(HEADING, f"{HEADING}\n\n{text}\n", BENCHMARKS)


if __name__ == "__main__":
    main()
