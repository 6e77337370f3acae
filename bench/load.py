"""Benchmark loading and validating station files, and the app's cold start.

Run from the project root::

    .venv/bin/python bench/load.py [--rows 100000] [--repeat 5] [--no-record]

A. Load + validate ``--rows`` stations: ``parse_stations(read_raw(path), regions)``
   against ``pandas.read_csv(path)`` of the same file, interleaved in this process.
   ``regions`` (the district polygons) is loaded once, outside the timing.
   Two files: the canonical CSV (one yes/no column per amenity), which the goal of
   at most 5x ``read_csv`` is about, and, as an extra row without a goal, a variant
   with Chinese headers, one free-text 设施 column and no admin columns.
B. App cold start with ``--cold-rows`` stations: a fresh ``python -c
   "create_app(...)"`` against a fresh ``python -c "import flask, pandas, geopandas"``
   (the import floor), interleaved; plus ``create_app`` alone in this process.

The test files are the shipped synthetic stations tiled with new ids, a "（n号）"
name suffix and seeded jitter of a few hundred metres that never moves a station
into another district. Everything is built in a temporary folder; nothing touches
the network. Results go to BENCHMARKS.md unless ``--no-record`` is given (timing and
reporting helpers are shared with bench/nearest.py).
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from nearest import Timing, clock, load_average, machine, markdown, met, paired, record

from locator import amenities, create_app
from locator.regions import Regions, load_regions
from locator.stations.readers import read_raw
from locator.stations.validation import parse_stations

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
SHIPPED = DATA_DIR / "stations" / "synthetic_stations.csv"
HEADING = "## Loading and validating stations (bench/load.py)"
JITTER_M = 200.0  # standard deviation of the east and north offsets of a tiled copy
M_PER_DEG_LAT = 111_320.0
FLOOR_CODE = "import flask, pandas, geopandas"
TARGET_RATIO = 5.0  # from the issue: load + validate at most 5x pandas.read_csv


@dataclass(frozen=True)
class Row:
    """One line of the results table; ``baseline`` is None when there is none."""

    what: str
    baseline_name: str
    baseline: Timing | None
    ours: Timing
    limit: float | None = None  # largest acceptable ours / baseline (a goal)
    cpu: tuple[Timing, Timing] | None = None  # CPU seconds of baseline and ours

    @property
    def ratio(self) -> float | None:
        return None if self.baseline is None else self.ours.median / self.baseline.median

    def cpu_ratio(self) -> str:
        if self.cpu is None:
            return "–"
        base, ours = self.cpu
        return f"{ours.median / base.median:.2f}× ({paired(ours, base)})"

    def cells(self) -> list[str]:
        if self.baseline is None or self.ratio is None:
            return [self.what, self.baseline_name, "–", self.ours.summary(), "–", "–", ""]
        target = ""
        if self.limit is not None:
            target = f"≤ {self.limit:g}× {met(self.ratio <= self.limit)}"
        base = self.baseline.summary()
        return [
            self.what,
            self.baseline_name,
            base,
            self.ours.summary(),
            f"{self.ratio:.2f}×",
            self.cpu_ratio(),
            target,
        ]


# --- test data ---------------------------------------------------------------------------


def tile_stations(base: pd.DataFrame, rows: int, regions: Regions, seed: int) -> pd.DataFrame:
    """``rows`` stations: ``base`` unchanged, then jittered copies with new ids and names.

    Copy k (k >= 1) gets ids "<id>-k", names "<name>（k+1号）" and offsets drawn from
    N(0, JITTER_M) per axis; an offset that would leave the row's district is dropped.
    The last, partial copy is a seeded random sample of ``base``.
    """
    rng = np.random.default_rng(seed)
    parts, k = [base], 1
    while sum(len(p) for p in parts) < rows:
        need = rows - sum(len(p) for p in parts)
        src = base if need >= len(base) else base.iloc[np.sort(rng.choice(len(base), need, False))]
        copy = src.copy()
        copy["id"] = src["id"] + f"-{k:02d}"
        copy["name"] = src["name"] + f"（{k + 1}号）"
        copy["name_en"] = src["name_en"] + f" (No. {k + 1})"
        lon, lat = _jitter(src, regions, rng)
        copy["lon"], copy["lat"] = [f"{v:.6f}" for v in lon], [f"{v:.6f}" for v in lat]
        parts.append(copy)
        k += 1
    return pd.concat(parts, ignore_index=True).iloc[:rows]


def _jitter(
    src: pd.DataFrame, regions: Regions, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Jittered lon, lat of ``src``; rows whose offset changes district keep their place."""
    lon0, lat0 = src["lon"].astype(float).to_numpy(), src["lat"].astype(float).to_numpy()
    east_m, north_m = rng.normal(0.0, JITTER_M, (2, len(src)))
    lat = lat0 + north_m / M_PER_DEG_LAT
    lon = lon0 + east_m / (M_PER_DEG_LAT * np.cos(np.radians(lat0)))
    codes = regions.districts["district_adcode"].to_numpy()
    found = regions.locate(lon, lat)
    moved = np.where(found >= 0, codes[found], "") != src["district_adcode"].to_numpy()
    lon[moved], lat[moved] = lon0[moved], lat0[moved]
    return lon, lat


def free_text_variant(frame: pd.DataFrame) -> pd.DataFrame:
    """The same stations as a union spreadsheet: Chinese headers, one free-text 设施 cell
    listing the amenities marked yes ("休息区、饮水、卫生间"), no admin columns."""
    flags = frame[list(amenities.KEYS)].to_numpy() == amenities.YES
    labels = np.array([amenities.label(k) for k in amenities.KEYS])
    kinds = frame["kind"].map({"warm_heart": "暖心驿站", "driver_home": "司机之家"})
    return pd.DataFrame(
        {
            "编号": frame["id"],
            "站点名称": frame["name"],
            "类型": kinds,
            "经度": frame["lon"],
            "纬度": frame["lat"],
            "详细地址": frame["address"],
            "开放时间": frame["opening_hours"],
            "联系电话": frame["phone"],
            "依托单位": frame["host_type"],
            "设施": ["、".join(labels[row]) for row in flags],
        }
    )


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def make_data_dir(stations: pd.DataFrame, root: Path) -> Path:
    """A DATA_DIR with the shipped boundaries (symlinked) and ``stations`` as the default."""
    data_dir = root / "data"
    (data_dir / "stations").mkdir(parents=True)
    (data_dir / "boundaries").symlink_to(DATA_DIR / "boundaries", target_is_directory=True)
    write_csv(stations, data_dir / "stations" / "synthetic_stations.csv")
    meta = SHIPPED.with_suffix(".meta.json").read_text(encoding="utf-8")
    (data_dir / "stations" / "synthetic_stations.meta.json").write_text(meta, encoding="utf-8")
    return data_dir


# --- timing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paired:
    """Wall and CPU seconds of a baseline and ours, timed interleaved."""

    baseline: Timing
    ours: Timing
    cpu: tuple[Timing, Timing]  # baseline, ours


def cpu_s() -> float:
    """CPU seconds (user + system) of this process and of its finished children."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def interleaved(baseline: Callable[[], object], ours: Callable[[], object], repeat: int) -> Paired:
    """Time both ``repeat`` times, alternating which goes first; warm up before calling."""
    wall: tuple[list[float], list[float]] = ([], [])
    cpu: tuple[list[float], list[float]] = ([], [])
    for i in range(repeat):
        pair = [(baseline, 0), (ours, 1)]
        for fn, j in pair if i % 2 == 0 else pair[::-1]:
            gc.collect()
            start, start_cpu = time.perf_counter(), cpu_s()
            fn()
            cpu[j].append(cpu_s() - start_cpu)
            wall[j].append(time.perf_counter() - start)
        print(
            f"    run {i + 1}: baseline {wall[0][-1]:.3f} s (CPU {cpu[0][-1]:.3f} s), "
            f"ours {wall[1][-1]:.3f} s (CPU {cpu[1][-1]:.3f} s)",
            flush=True,
        )
    return Paired(
        Timing(tuple(wall[0])),
        Timing(tuple(wall[1])),
        (Timing(tuple(cpu[0])), Timing(tuple(cpu[1]))),
    )


def bench_parse(path: Path, regions: Regions, rows: int, repeat: int) -> Paired:
    """Interleave pandas.read_csv and read_raw + parse_stations; check the parse is clean.

    The checking run doubles as the warm-up of ours; the baseline gets its own.
    """
    result = parse_stations(read_raw(path), regions)
    pd.read_csv(path)
    print(
        f"  {path.name}: {len(result.stations):,} stations, {len(result.errors)} errors, "
        f"{len(result.warnings)} warnings",
        flush=True,
    )
    if len(result.stations) != rows or result.errors:
        raise SystemExit(f"expected {rows:,} stations and no errors; first: {result.errors[:3]}")
    return interleaved(
        lambda: pd.read_csv(path), lambda: parse_stations(read_raw(path), regions), repeat
    )


def child_env(pycache: Path) -> dict[str, str]:
    """This environment, but with byte code cached in ``pycache``, outside the source tree.

    With PYTHONDONTWRITEBYTECODE set (as on the benchmark machine), every fresh process
    would compile locator from source while the baseline's packages ship compiled; a
    private cache, filled by the warm-up runs, treats both alike, as a deployment would.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def run_python(code: str, env: dict[str, str]) -> None:
    """Run ``code`` in a fresh interpreter (the same one as this script) from the root."""
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise SystemExit(f"subprocess failed:\n{code}\n{proc.stderr}")


def bench_cold_start(data_dir: Path, store: Path, pycache: Path, repeat: int) -> Paired:
    """Fresh-process create_app against a fresh-process import of flask, pandas, geopandas."""
    config = {"DATA_DIR": str(data_dir), "STORE": str(store)}
    app_code = (
        f"from locator import create_app; app = create_app({config!r}); "
        "assert len(app.extensions['locator'].live.current().table) > 0"
    )
    env = child_env(pycache)
    floor, app = lambda: run_python(FLOOR_CODE, env), lambda: run_python(app_code, env)
    floor(), app()
    return interleaved(floor, app, repeat)


def bench_create_app(data_dir: Path, store: Path, repeat: int) -> Timing:
    """create_app in this process, imports warm (one untimed warm-up call first)."""
    config = {"DATA_DIR": data_dir, "STORE": store}
    create_app(config)
    return Timing(tuple(clock(lambda: create_app(config)) for _ in range(repeat)))


# --- report ------------------------------------------------------------------------------


def markdown_table(rows: list[Row], repeat: int) -> str:
    head = [
        "benchmark",
        "baseline",
        f"baseline s, median of {repeat} (min–max)",
        f"ours s, median of {repeat} (min–max)",
        "ours / baseline",
        "CPU: ours / baseline of medians (run by run: median, min–max)",
        "goal",
    ]
    return markdown(head, [r.cells() for r in rows])


def goal_lines(rows: list[Row]) -> list[str]:
    """One line per row with a goal, with the run-by-run ratios beside the medians'."""
    lines = []
    for r in rows:
        if r.limit is None or r.baseline is None or r.ratio is None:
            continue
        lines.append(
            f"* Goal: {r.what} ≤ {r.limit:g}× `pandas.read_csv`: {r.ratio:.2f}× — "
            f"{met(r.ratio <= r.limit)}. Run by run: {paired(r.ours, r.baseline)}; "
            f"CPU time: {r.cpu_ratio()}."
        )
    return lines


def section(table: str, goals: list[str], args: argparse.Namespace) -> str:
    return f"""{HEADING}

Measured {machine()}; load average {args.load_before} before, {load_average()} after.
Command: `.venv/bin/python bench/load.py --rows {args.rows} --repeat {args.repeat}`.

{table}

{chr(10).join(goals)}

* Load + validate: `parse_stations(read_raw(path), regions)` against `pandas.read_csv(path)`
  of the same file, interleaved in one process; an untimed first run of each is the warm-up
  (ours checks that it yields all {args.rows:,} stations and no errors). The district
  polygons (`load_regions`) are loaded once, outside the timing. Each file is the shipped
  synthetic stations tiled with new ids and ~{JITTER_M:.0f} m of seeded jitter.
* The goal is for the canonical file (one yes/no column per amenity), the issue's case. The
  extra row is the same stations as a union spreadsheet: Chinese headers, one free-text 设施
  cell per row ("休息区、饮水、卫生间", the amenities marked yes) and no admin columns, so
  the district of every station comes from the polygons. It is shown for information.
* CPU: user + system CPU seconds of this process (`time.process_time`) plus those of its
  finished children (`getrusage(RUSAGE_CHILDREN)`, for the fresh processes), measured
  around the same runs. The machine is shared, so wall times swing with other work; the CPU
  ratio is the steadier one. The goal is judged on wall time.
* Cold start: wall time of a fresh `python -c "from locator import create_app;
  create_app(...)"` with {args.cold_rows:,} stations (STORE absent, so the CSV is parsed)
  against a fresh `python -c "import flask, pandas, geopandas"`, interleaved, after one
  untimed warm-up of each. The children cache byte code in a private
  `PYTHONPYCACHEPREFIX` (the machine sets `PYTHONDONTWRITEBYTECODE`, which would make
  only our side compile from source), so byte-code and page caches are warm for both.
  The last row is `create_app` alone with imports warm.
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="stations to load and validate")
    parser.add_argument("--cold-rows", type=int, default=10_000, help="stations at cold start")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each")
    parser.add_argument("--seed", type=int, default=20221, help="jitter seed")
    parser.add_argument("--no-record", action="store_true", help="do not write BENCHMARKS.md")
    args = parser.parse_args(argv)
    args.load_before = load_average()

    regions = load_regions(DATA_DIR)
    base = pd.read_csv(SHIPPED, dtype=str, keep_default_na=False)
    stations = tile_stations(base, args.rows, regions, args.seed)
    with tempfile.TemporaryDirectory(prefix="locator-bench-") as tmp_name:
        tmp = Path(tmp_name)
        canonical = write_csv(stations, tmp / "stations.csv")
        text = write_csv(free_text_variant(stations), tmp / "stations_zh_text.csv")
        n = f"{args.rows:,}"
        rows = []
        print(f"A. load + validate {n} stations, repeat {args.repeat}")
        for path, what, limit in (
            (canonical, f"load + validate {n} stations, canonical CSV", TARGET_RATIO),
            (
                text,
                f"extra: load + validate {n} stations, Chinese headers, free-text 设施",
                None,
            ),
        ):
            t = bench_parse(path, regions, args.rows, args.repeat)
            rows.append(Row(what, "`pandas.read_csv`", t.baseline, t.ours, limit, t.cpu))

        print(f"B. cold start with {args.cold_rows:,} stations, repeat {args.repeat}")
        data_dir = make_data_dir(tile_stations(base, args.cold_rows, regions, args.seed), tmp)
        store = tmp / "none.gpkg"
        t = bench_cold_start(data_dir, store, tmp / "pycache", args.repeat)
        m = f"{args.cold_rows:,}"
        floor = f"`{FLOOR_CODE}` (fresh process)"
        what = f"app cold start, {m} stations (fresh process)"
        rows.append(Row(what, floor, t.baseline, t.ours, None, t.cpu))
        warm = bench_create_app(data_dir, store, args.repeat)
        rows.append(Row(f"`create_app` only, {m} stations (imports warm)", "–", None, warm))

    table, goals = markdown_table(rows, args.repeat), goal_lines(rows)
    print()
    print(table)
    print("\n".join(goals))
    if not args.no_record:
        record(HEADING, section(table, goals, args))
        print("\nrecorded in BENCHMARKS.md")


if __name__ == "__main__":
    main()
