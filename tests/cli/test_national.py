"""``locator plan --region china`` reaches the national branch (no cluster is started for
a refused request)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pyogrio
from click.testing import CliRunner

from locator.cli import main
from locator.cli.national import NATIONAL, write_national
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


def test_national_files_say_what_their_inputs_were(tmp_path) -> None:
    plan = SimpleNamespace(
        sites=pd.DataFrame({"lon": [116.4], "lat": [39.9], "province": ["=1+1"]}),
        table=pd.DataFrame({"province_adcode": ["110000"], "province": ["北京市"], "gap": [0.01]}),
    )
    write_national(plan, tmp_path / "s.csv", synthetic_stations=True)  # type: ignore[arg-type]
    sites = pd.read_csv(tmp_path / "s.csv", dtype=str)
    provinces = pd.read_csv(tmp_path / "s.provinces.csv", dtype=str)
    assert sites["caveats"].tolist() == ["stations synthetic; demand modelled"]
    assert sites["province"].tolist() == ["'=1+1"]  # a spreadsheet shows it, never runs it
    assert provinces["caveats"].tolist() == ["stations synthetic; demand modelled"]
    write_national(plan, tmp_path / "s.gpkg", synthetic_stations=False)  # type: ignore[arg-type]
    table = pyogrio.read_dataframe(tmp_path / "s.gpkg", layer="locator_caveats")
    assert table["status"].tolist() == ["modelled"]
