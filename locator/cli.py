"""The ``locator`` command: run, validate, import, plan and data build."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import Flask

from locator import config
from locator.errors import BadQuery, DataError, LocatorError
from locator.index import Filters
from locator.readers import read_raw
from locator.regions import load_regions
from locator.validation import ParseResult, parse_stations

if TYPE_CHECKING:  # locator.plan pulls in the solver; load it only for `locator plan`
    from locator.plan import Plan
    from locator.siting import CoverageResult

KIND = click.Choice(["warm_heart", "driver_home"])
REGION = click.Choice(["beijing", "shaanxi"])
EXISTING = click.Path(path_type=Path, exists=True, dir_okay=False)
CRS_HELP = "Datum of the file's coordinates: wgs84, gcj02, bd09 or EPSG:nnnn (default wgs84)."


@click.group()
def main() -> None:
    """locator: find outdoor-worker rest stations and plan new ones."""


@main.command()
@click.option("--host", default=None, help="Address to listen on (LOCATOR_HOST).")
@click.option("--port", type=int, default=None, help="Port (LOCATOR_PORT).")
def run(host: str | None, port: int | None) -> None:
    """Serve the app with Flask's server (use gunicorn "locator:create_app()" in production)."""
    from locator import create_app

    app = create_app()
    settings = app.extensions["locator"].settings
    app.run(host=host or settings["HOST"], port=port or settings["PORT"])


def _report(result: ParseResult, as_json: bool) -> None:
    if as_json:
        click.echo(
            json.dumps(
                {
                    "ok": not result.errors,
                    "stations": len(result.stations),
                    "errors": len(result.errors),
                    "warnings": len(result.warnings),
                    "problems": [p.to_dict() for p in result.problems],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for problem in result.problems:
        click.echo(str(problem), err=True)
    click.echo(
        f"{len(result.stations)} valid station(s), {len(result.errors)} error(s), "
        f"{len(result.warnings)} warning(s)."
    )


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--kind", type=KIND, help="Kind for rows without a kind column.")
@click.option("--crs", default=None, help=CRS_HELP)
@click.option("--region", default=None, help="Regions to check against (LOCATOR_REGION).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def validate(
    file: Path, kind: str | None, crs: str | None, region: str | None, as_json: bool
) -> None:
    """Check a station file; exit 1 when it has errors."""
    settings = config.from_environment()
    try:
        regions = load_regions(settings["DATA_DIR"], region or settings["REGION"])
        result = parse_stations(read_raw(file), regions, kind=kind, crs=crs)
    except LocatorError as exc:
        raise click.ClickException(exc.message) from exc
    _report(result, as_json)
    sys.exit(1 if result.errors else 0)


@main.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--kind", type=KIND, help="Kind for rows without a kind column.")
@click.option("--crs", default=None, help=CRS_HELP)
@click.option(
    "--merge", is_flag=True, help="Add to the store (same id replaces) instead of replacing it."
)
@click.option(
    "--store",
    type=click.Path(path_type=Path),
    default=None,
    help="Store to write (LOCATOR_STORE; default instance/stations.gpkg).",
)
def import_(file: Path, kind: str | None, crs: str | None, merge: bool, store: Path | None) -> None:
    """Validate FILE and write it to the station store, all or nothing."""
    from locator.store import import_file

    settings = config.from_environment()
    target = store or settings["STORE"] or config.PROJECT_DIR / "instance" / "stations.gpkg"
    try:
        regions = load_regions(settings["DATA_DIR"], settings["REGION"])
        done = import_file(file, target, regions, kind=kind, crs=crs, merge=merge)
    except DataError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"nothing imported; the store is unchanged. {exc.message}"
        ) from exc
    except LocatorError as exc:
        raise click.ClickException(exc.message) from exc
    for problem in done.result.warnings:
        click.echo(str(problem), err=True)
    click.echo(
        f"imported {done.count} station(s) into {done.store}"
        + (f" (previous store kept as {done.backup})" if done.backup else "")
    )


@main.group()
def data() -> None:
    """Build the shipped datasets."""


@data.command("build")
@click.option("--seed", type=int, default=20221, show_default=True)
def data_build(seed: int) -> None:
    """Generate the synthetic default stations into data/stations/."""
    from locator.synthetic import build_default

    path = build_default(config.from_environment()["DATA_DIR"], seed=seed)
    click.echo(f"wrote {path} (synthetic stations, seed {seed})")


def _progress_bar(width: int = 30) -> Callable[[str, float], None]:
    """A progress callback drawing ``[#####.....]  35% stage`` on stderr.

    On a terminal the bar redraws in place; otherwise each stage is one line.
    """
    tty = sys.stderr.isatty()

    def show(stage: str, fraction: float) -> None:
        filled = round(min(max(fraction, 0.0), 1.0) * width)
        line = f"[{'#' * filled}{'.' * (width - filled)}] {fraction:4.0%} {stage}"
        click.echo(f"\r{line:<70}" if tty else line, err=True, nl=not tty)
        if tty and fraction >= 1:
            click.echo(err=True)

    return show


def _gap_text(result: CoverageResult) -> str:
    """The certificate: "optimality gap ≤ 0.07% (LP bound, HiGHS)", or optimal (MILP)."""
    if result.method.startswith("MILP") and result.method.endswith("optimal"):
        return "optimal: gap 0 (MILP, HiGHS)"
    bound = "MILP" if "MILP" in result.method else "LP"
    return f"optimality gap ≤ {result.gap:.2%} ({bound} bound, HiGHS); method: {result.method}"


def _describe(done: Plan, stations: int, synthetic: bool) -> list[str]:
    """What the plan used and achieved, one line each, for the terminal."""
    result, request = done.result, done.request
    demand = "modelled demand" if request.demand_path is None else "the supplied demand"
    after = result.covered_weight / result.total_weight if result.total_weight else 0.0
    note = " (SYNTHETIC: generated by `locator data build`, not real)" if synthetic else ""
    return [
        f"demand: {done.demand_description}",
        f"existing stations: {stations} {request.station_kind}{note}",
        f"covered: {done.before.covered_share:.1%} → {after:.1%} of {demand} "
        f"({len(result.chosen)} new site(s), radius {request.radius:g} m)",
        f"{_gap_text(result)}; {done.seconds:.1f} s",
    ]


@main.command()
@click.option("--new", type=click.IntRange(min=1), required=True, help="New sites to place.")
@click.option(
    "--radius-m",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Coverage radius (default 1000 m for warm_heart, 15000 m for driver_home).",
)
@click.option("--region", type=REGION, default="beijing", show_default=True)
@click.option("--kind", type=KIND, help="Station kind (default: the region's).")
@click.option(
    "--amenities", default=None, help="Count only stations with all of these, e.g. shower."
)
@click.option("--demand", type=EXISTING, help="Weighted demand points (default: the demand model).")
@click.option("--demand-crs", default=None, help=CRS_HELP)
@click.option("--candidates", type=EXISTING, help="Candidate sites (default: demand cells).")
@click.option("--candidates-crs", default=None, help=CRS_HELP)
@click.option("--quotas", type=EXISTING, help="CSV/XLSX with columns district, min, max.")
@click.option("--exclusions", type=EXISTING, help="Polygons where no new site may go.")
@click.option("--min-spacing-m", type=click.FloatRange(min=0), default=0.0, show_default=True)
@click.option(
    "--time-limit-s", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Output: .gpkg (new_sites, uncovered_demand, district_summary), .csv or .geojson.",
)
def plan(
    new: int,
    radius_m: float | None,
    region: str,
    kind: str | None,
    amenities: str | None,
    demand: Path | None,
    demand_crs: str | None,
    candidates: Path | None,
    candidates_crs: str | None,
    quotas: Path | None,
    exclusions: Path | None,
    min_spacing_m: float,
    time_limit_s: float,
    out: Path,
) -> None:
    """Choose where NEW stations should go to cover the most demand, and write them to --out."""
    from locator import create_app, export, params
    from locator.plan import PlanRequest, run_plan
    from locator.plans import read_quotas
    from locator.regions import PROVINCES

    try:
        export.format_of(out)
        st = create_app().extensions["locator"]
        if region not in st.regions.names:
            raise BadQuery(f"region {region} is not loaded; add it to LOCATOR_REGION.")
        districts = st.regions.districts.query(f"province_adcode == '{PROVINCES[region]}'")
        bar = _progress_bar()
        request = PlanRequest(
            region=region,
            new=new,
            radius_m=radius_m,
            kind=kind,
            amenities=params.parse_amenities(amenities),
            min_spacing_m=min_spacing_m,
            quotas=read_quotas(quotas, districts, new) if quotas else {},
            demand_path=demand,
            demand_crs=demand_crs,
            candidates_path=candidates,
            candidates_crs=candidates_crs,
            exclusions_path=exclusions,
            time_limit_s=time_limit_s,
        )
        done = run_plan(
            request,
            data_dir=st.settings["DATA_DIR"],
            index=st.index,
            regions=st.regions,
            progress=bar,
        )
        bar("done", 1.0)
        export.write_plan(done, out, districts)
    except DataError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(exc.message) from exc
    except LocatorError as exc:
        raise click.ClickException(exc.message) from exc
    stations = len(st.index.subset(Filters(request.station_kind, request.amenities)).rows)
    for line in _describe(done, stations, st.table.info.synthetic):
        click.echo(line)
    if export.format_of(out) == "gpkg":
        counts = (len(done.sites), len(done.uncovered), len(done.districts))
        layers = ", ".join(f"{n} ({c})" for n, c in zip(export.LAYERS, counts, strict=True))
        click.echo(f"wrote {out}: layers {layers}")
    else:
        click.echo(f"wrote {out}: {len(done.sites)} new site(s)")


def register(app: Flask) -> None:
    """Expose the same commands under ``flask --app locator``."""
    for command in (validate, import_, data, plan):
        app.cli.add_command(command)
