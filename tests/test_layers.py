"""The floors of the package point one way: a module imports only from its own part or
from floors below it. Read with ``ast``, so imports under ``TYPE_CHECKING`` and inside
functions count too. Blueprints never import each other, and only the web layer, the
factory and the CLI import Flask."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "locator"

# Bottom to top. A "part" is a subpackage or a flat module; a floor of flat modules lets
# its modules import each other, while parts sharing a floor (render, maps) may not.
FLOORS: tuple[tuple[str, ...], ...] = (
    ("config", "errors", "amenities", "schema", "coords", "geodesy", "hours", "travel",
     "hours_text", "navigation", "regions", "params", "palette", "cache", "route", "spreadsheet",
     "caveats", "names", "places", "route_links", "forked", "boundaries", "divisions", "census"),
    ("stations",),
    ("db",),
    ("index",),
    ("demand", "coverage", "demand_census"),
    ("siting",),
    ("planning",),
    ("render", "maps"),
    ("web",),
    ("cli", "__init__"),
)  # fmt: skip
FLAT_FLOORS = {0, 3, 4, 9}


def floor_of(part: str) -> int:
    for number, parts in enumerate(FLOORS):
        if part in parts:
            return number
    raise AssertionError(f"locator.{part} is on no floor: add it to FLOORS in {__file__}")


def part_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imported_parts(path: Path) -> set[tuple[str, int]]:
    """(part, line) of every ``locator`` import in a module, however nested."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "locator":
                names = [f"locator.{alias.name}" for alias in node.names]
            else:
                names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            if name.startswith("locator."):
                found.add((name.split(".")[1], node.lineno))
    return found


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path: Path) -> None:
    own = part_of(path)
    own_floor = floor_of(own)
    for part, line in imported_parts(path):
        if part in ("create_app",):  # the CLI builds the app through the factory
            part = "__init__"
        target = floor_of(part)
        same_part = part == own
        allowed = (
            same_part or target < own_floor or (target == own_floor and own_floor in FLAT_FLOORS)
        )
        assert allowed, (
            f"{path.relative_to(PACKAGE)}:{line} imports locator.{part} (floor {target}) from floor {own_floor}"
        )


def test_every_module_is_on_a_floor() -> None:
    for path in modules():
        floor_of(part_of(path))


def test_the_checker_catches_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from locator.web.state import State\n"
    )
    assert imported_parts(module) == {("web", 3)}
    assert floor_of("web") > floor_of("stations")


def test_blueprints_do_not_import_each_other() -> None:
    web = PACKAGE / "web"
    blueprints = {p.stem for p in web.glob("*.py") if "Blueprint(" in p.read_text(encoding="utf-8")}
    assert {"api", "search", "plans", "embeds", "pages", "planner"} <= blueprints
    for name in blueprints:
        tree = ast.parse((web / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "locator.web":
                    imported = {alias.name for alias in node.names}
                else:
                    imported = {node.module.removeprefix("locator.web.")}
                assert not imported & (blueprints - {name}), (
                    f"web/{name}.py imports {imported & blueprints}"
                )


def test_only_the_web_layer_the_factory_and_the_cli_import_flask() -> None:
    for path in modules():
        part = part_of(path)
        if part in ("web", "cli", "__init__"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.split(".")[0].startswith("flask"), path
            elif isinstance(node, ast.Import):
                assert not any(a.name.split(".")[0].startswith("flask") for a in node.names), path
