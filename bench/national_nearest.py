"""Nearest search against the 186,000 SYNTHETIC national stations, with bench/nearest.py's
baselines and checks: does the generated national file keep today's ratios?

Run from the project root (the file comes from ``locator data build --national``)::

    .venv/bin/python bench/national_nearest.py [--queries 100000] [--repeat 3] [--check 300]

The stations are read from the CSV as canonical rows (``build_table``); the queries are
the stations' own positions moved by a seeded Gaussian of ``--jitter-m`` metres in Albers
(so they fall where people and stations are, across all China). Sections A and B of
bench/nearest.py run unchanged on them. The result is printed, and recorded in
BENCHMARKS.md under its own heading unless ``--no-record`` is given.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nearest import (
    BENCHMARKS,
    batch_table,
    bench_batch,
    check_correctness,
    check_lines,
    machine,
    record,
)

from locator.coords import from_metric, to_metric
from locator.stations.table import DatasetInfo, build_table

ROOT = Path(__file__).resolve().parent.parent
HEADING = "## Nearest search against the national SYNTHETIC stations (bench/national_nearest.py)"


def queries(lon: np.ndarray, lat: np.ndarray, n: int, jitter_m: float, seed: int):
    """``n`` seeded points: random stations moved by N(0, jitter_m) in Albers metres."""
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(lon), n)
    x, y = to_metric(lon[pick], lat[pick])
    return from_metric(x + rng.normal(0, jitter_m, n), y + rng.normal(0, jitter_m, n))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_file = ROOT / "instance" / "national_synthetic_stations.csv"
    parser.add_argument("--stations", type=Path, default=default_file)
    parser.add_argument("--queries", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--check", type=int, default=300)
    parser.add_argument("--jitter-m", type=float, default=5_000.0)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    frame = pd.read_csv(args.stations, dtype=str, keep_default_na=False)
    frame[["lon", "lat"]] = frame[["lon", "lat"]].astype(float)
    info = DatasetInfo("SYNTHETIC national stations", str(args.stations), True, "bench", "MIT")
    table = build_table(frame, info)
    slon, slat = frame["lon"].to_numpy(), frame["lat"].to_numpy()
    qlon, qlat = queries(slon, slat, args.queries, args.jitter_m, seed=15)
    batch, index = bench_batch(table, np.asarray(qlon), np.asarray(qlat), args.repeat)
    batch_md, lines = batch_table(batch, args.repeat, args.queries)
    check = check_correctness(index, qlon[: args.check], qlat[: args.check], 5, 5)
    text = "\n".join([
        HEADING, "",
        f"{machine()}. {len(table):,} stations from `{args.stations.name}` (`locator data "
        f"build --national`), {args.queries:,} queries (stations moved by "
        f"N(0, {args.jitter_m:g} m)), {args.repeat} repeats, interleaved.", "",
        batch_md, "", *lines, *check_lines(check, 5), "",
    ])  # fmt: skip
    print(text)
    if not args.no_record:
        record(HEADING, text, BENCHMARKS)


if __name__ == "__main__":
    main()
