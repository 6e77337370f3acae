"""The ``locator`` command: run, validate, import and data build; plan and render from plans.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask

from locator import config
from locator.cli.plans import CRS_HELP, KIND, plan, render_map
from locator.cli.service import database, datasets, db, tokens, users, worker
from locator.errors import DataError, LocatorError
from locator.regions import load_regions
from locator.stations.detect import read_detected
from locator.stations.limits import ReadLimits
from locator.stations.readers import RawTable, configure_gdal
from locator.stations.validation import ParseResult, parse_stations

COORDS_HELP = (
    'Which combined "lng,lat" column of a text export to read, by header or datum '
    "(wgs84, gcj02, bd09); default the GCJ-02 one, else WGS84, else BD-09."
)


@click.group()
def main() -> None:
    """locator: find outdoor-worker rest stations and plan new ones."""
    configure_gdal()  # before any command reads a file: no VRT driver, no network


@main.command()
@click.option("--host", default=None, help="Address to listen on (LOCATOR_HOST).")
@click.option("--port", type=int, default=None, help="Port (LOCATOR_PORT).")
def run(host: str | None, port: int | None) -> None:
    """Serve the app with Flask's server (use gunicorn "locator:create_app()" in production)."""
    from locator import create_app
    from locator.web.state import state_of

    app = create_app()
    settings = state_of(app).settings
    app.run(host=host or settings["HOST"], port=port or settings["PORT"])


def _report(result: ParseResult, as_json: bool, detected: str) -> None:
    if as_json:
        click.echo(
            json.dumps(
                {
                    "ok": not result.errors,
                    "detected": detected,
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
    click.echo(detected)
    for problem in result.problems:
        click.echo(str(problem), err=True)
    click.echo(
        f"{len(result.stations)} valid station(s), {len(result.errors)} error(s), "
        f"{len(result.warnings)} warning(s)."
    )


def _detected(raw: RawTable) -> str:
    """The one line saying what the file was read as."""
    return f"{raw.name}: detected {raw.detected}."


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--kind", type=KIND, help="Kind for rows without a kind column.")
@click.option("--crs", default=None, help=CRS_HELP)
@click.option("--coords", "coordinates", default=None, help=COORDS_HELP)
@click.option("--region", default=None, help="Regions to check against (LOCATOR_REGION).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def validate(
    file: Path,
    kind: str | None,
    crs: str | None,
    coordinates: str | None,
    region: str | None,
    as_json: bool,
) -> None:
    """Check a station file (its format found from its content); exit 1 when it has errors."""
    settings = config.from_environment()
    try:
        raw = read_detected(
            file, limits=ReadLimits.from_settings(settings), coordinates=coordinates
        )
        regions = load_regions(settings["DATA_DIR"], region or settings["REGION"])
        result = parse_stations(raw, regions, kind=kind, crs=crs)
    except LocatorError as exc:
        raise click.ClickException(exc.message) from exc
    _report(result, as_json, _detected(raw))
    sys.exit(1 if result.errors else 0)


@main.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--kind", type=KIND, help="Kind for rows without a kind column.")
@click.option("--crs", default=None, help=CRS_HELP)
@click.option("--coords", "coordinates", default=None, help=COORDS_HELP)
@click.option(
    "--merge", is_flag=True, help="Add to the served stations (same id replaces) instead."
)
def import_(
    file: Path, kind: str | None, crs: str | None, coordinates: str | None, merge: bool
) -> None:
    """Validate FILE (its format found from its content) and serve it as a new dataset
    version, all or nothing."""
    from locator.db.imports import import_file

    settings = config.from_environment()
    limits = ReadLimits.from_settings(settings)
    try:
        raw = read_detected(file, limits=limits, coordinates=coordinates)
        click.echo(_detected(raw))
        regions = load_regions(settings["DATA_DIR"], settings["REGION"])
        done = import_file(
            database(),
            file,
            regions,
            actor="cli",
            kind=kind,
            crs=crs,
            merge=merge,
            limits=limits,
            raw=raw,
        )
    except DataError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"nothing imported; the served stations are unchanged. {exc.message}"
        ) from exc
    except LocatorError as exc:
        raise click.ClickException(exc.message) from exc
    for problem in done.result.warnings:
        click.echo(str(problem), err=True)
    click.echo(
        f"imported {done.count} station(s) as dataset version {done.version}; every server "
        "serves it within seconds (`locator datasets rollback` undoes it)."
    )


@main.group()
def data() -> None:
    """Build the shipped datasets."""


@data.command("build")
@click.option("--seed", type=int, default=None, help="Default: 20221, or 2024 with --national.")
@click.option(
    "--national",
    is_flag=True,
    help="186,000 SYNTHETIC stations across China, to --out (never loaded by default).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("instance") / "national_synthetic_stations.csv",
    show_default=True,
    help="With --national: the file to write.",
)
def data_build(seed: int | None, national: bool, out: Path) -> None:
    """Generate the synthetic default stations into data/stations/ (or, with --national,
    the national scale-test stations into --out)."""
    data_dir = config.from_environment()["DATA_DIR"]
    if national:
        from locator.stations.national import build_national

        seed = 2024 if seed is None else seed
        path = build_national(data_dir, out, seed=seed)
        click.echo(f"wrote {path} (186,000 SYNTHETIC national stations, seed {seed})")
        return
    from locator.stations.synthetic import build_default

    seed = 20221 if seed is None else seed
    path = build_default(data_dir, seed=seed)
    click.echo(f"wrote {path} (synthetic stations, seed {seed})")


main.add_command(plan)
main.add_command(db)
main.add_command(datasets)
main.add_command(worker)
main.add_command(users)
main.add_command(tokens)
main.add_command(render_map)


def register(app: Flask) -> None:
    """Expose the same commands under ``flask --app locator``."""
    for command in (validate, import_, data, db, datasets, worker, users, tokens, plan, render_map):
        app.cli.add_command(command)
