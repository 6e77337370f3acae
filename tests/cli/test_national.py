"""``locator plan --region china`` reaches the national branch (no cluster is started for
a refused request)."""

from __future__ import annotations

from click.testing import CliRunner

from locator.cli import main
from locator.cli.national import NATIONAL
from locator.cli.plans import REGION


def test_china_is_a_region_of_its_own() -> None:
    assert REGION.convert("China", None, None) == NATIONAL
    assert REGION.convert("中国", None, None) == NATIONAL
    assert REGION.convert("beijing", None, None) == "beijing"


def test_national_plan_refuses_other_outputs_before_it_starts(tmp_path) -> None:
    out = tmp_path / "sites.geojson"
    result = CliRunner().invoke(
        main, ["plan", "--region", "china", "--new", "5", "--out", str(out)]
    )
    assert result.exit_code != 0 and ".csv or .gpkg" in result.output
