"""Writing a plan: summary numbers, GeoJSON, CSV with BOM, a three-layer GeoPackage, atomically."""

from __future__ import annotations

import csv
import io
import json

import pyogrio
import pytest

from locator import create_app
from locator.errors import BadQuery
from locator.planning import export
from locator.planning.plan import PlanRequest, run_plan
from locator.web.state import state_of
from tests.conftest import DEMAND_CSV, TINY_CSV, write_dataset


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    app = create_app(
        {"TESTING": True, "DATA_DIR": write_dataset(root / "data", TINY_CSV), "STORE": root / "x"}
    )
    (root / "demand.csv").write_text(DEMAND_CSV, encoding="utf-8")
    return state_of(app), root / "demand.csv"


@pytest.fixture(scope="module")
def plan(state):
    st, demand = state
    request = PlanRequest(region="beijing", new=2, demand_path=demand, time_limit_s=5)
    return run_plan(
        request, data_dir=st.settings["DATA_DIR"], index=st.live.current().index, regions=st.regions
    )


def test_summary_by_hand(plan):
    got = export.summary(plan)
    assert got["new"] == 2 and got["radius_m"] == 1000.0
    assert (got["total_weight"], got["covered_weight_before"], got["covered_weight_after"]) == (
        80.0,
        10.0,
        75.0,
    )
    assert got["covered_share_before"] == pytest.approx(0.125)
    assert got["covered_share_after"] == pytest.approx(0.9375)
    assert got["upper_bound"] == pytest.approx(75.0) and got["gap"] == pytest.approx(0.0)
    assert got["demand"]["modelled"] is False
    assert got["demand"]["description"].startswith("user demand from demand.csv: 5 points")
    assert plan.result.curve.tolist() == pytest.approx([0.125, 0.75, 0.9375])


def test_geojson_sites_in_rank_order_lon_lat(plan):
    collection = export.sites_geojson(plan, synthetic_stations=True)
    json.dumps(collection, allow_nan=False)
    assert collection["type"] == "FeatureCollection"
    assert collection["summary"]["covered_share_after"] == pytest.approx(0.9375)
    first, second = collection["features"]
    lon, lat = first["geometry"]["coordinates"]
    assert (round(lon, 2), round(lat, 2)) == (116.30, 39.98)  # B, [lon, lat]
    assert first["properties"]["rank"] == 1 and first["properties"]["marginal_gain"] == 50.0
    assert first["properties"]["district_name"] == "海淀区"
    assert (second["properties"]["district_name"], second["properties"]["marginal_gain"]) == (
        "丰台区",
        15.0,
    )
    assert second["properties"]["host_type"].startswith("待定")


def test_csv_is_utf8_with_bom(plan):
    raw = export.sites_csv(plan, synthetic_stations=True)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["rank"] for r in rows] == ["1", "2"]
    assert [r["district_name"] for r in rows] == ["海淀区", "丰台区"]
    assert list(rows[0]) == [
        "rank",
        "lon",
        "lat",
        "marginal_gain",
        "covered_share_after",
        "district_adcode",
        "district_name",
        "host_type",
        "name",
        "caveats",
    ]
    assert {r["caveats"] for r in rows} == {"stations synthetic"}  # the demand was uploaded


def test_geopackage_has_three_layers(plan, state, tmp_path):
    st, _ = state
    out = tmp_path / "plan.gpkg"
    assert export.write_plan(plan, out, st.regions.districts, synthetic_stations=True) == "gpkg"
    layers = dict(pyogrio.list_layers(out).tolist())
    assert layers == {
        "new_sites": "Point",
        "uncovered_demand": "Point",
        "district_summary": "MultiPolygon",
        "locator_caveats": None,
    }
    sites = pyogrio.read_dataframe(out, layer="new_sites")
    assert sites["rank"].tolist() == [1, 2] and sites.crs.to_epsg() == 4326
    uncovered = pyogrio.read_dataframe(out, layer="uncovered_demand")
    assert uncovered["weight"].tolist() == [5.0] and uncovered["district_name"].tolist() == [
        "朝阳区"
    ]
    districts = pyogrio.read_dataframe(out, layer="district_summary")
    assert sorted(districts["district_name"]) == sorted(["东城区", "海淀区", "丰台区", "朝阳区"])
    assert districts.geometry.notna().all()
    row = districts.set_index("district_name").loc["海淀区"]
    assert (row["demand"], row["covered_before"], row["covered_after"], row["new"]) == (
        50.0,
        0.0,
        50.0,
        1,
    )


def test_geopackage_without_polygons_has_a_plain_table(plan, tmp_path):
    out = tmp_path / "plan.gpkg"
    export.write_plan(plan, out, synthetic_stations=False)
    assert dict(pyogrio.list_layers(out).tolist())["district_summary"] is None


def test_csv_and_geojson_files(plan, tmp_path):
    assert export.write_plan(plan, tmp_path / "sites.csv", synthetic_stations=True) == "csv"
    assert (tmp_path / "sites.csv").read_bytes() == export.sites_csv(plan, synthetic_stations=True)
    assert export.write_plan(plan, tmp_path / "sites.geojson", synthetic_stations=True) == "geojson"
    written = json.loads((tmp_path / "sites.geojson").read_text("utf-8"))
    assert len(written["features"]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sites.csv", "sites.geojson"]


def test_unknown_suffix(plan, tmp_path):
    with pytest.raises(BadQuery, match=r"end the file name in \.gpkg, \.csv, \.geojson, \.json"):
        export.write_plan(plan, tmp_path / "plan.xlsx", synthetic_stations=True)


def test_a_failed_write_leaves_the_old_file(plan, tmp_path, monkeypatch):
    out = tmp_path / "sites.csv"
    out.write_text("old", encoding="utf-8")

    def broken(plan, synthetic_stations):
        raise OSError("disk full")

    monkeypatch.setattr(export, "sites_csv", broken)
    with pytest.raises(OSError, match="disk full"):
        export.write_plan(plan, out, synthetic_stations=True)
    assert out.read_text("utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["sites.csv"]


def test_csv_cells_that_would_run_as_formulas_are_neutralised(plan):
    import dataclasses

    sites = plan.sites.copy()
    sites["host_type"] = ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0"]
    rows = list(
        csv.DictReader(
            io.StringIO(
                export.sites_csv(
                    dataclasses.replace(plan, sites=sites), synthetic_stations=True
                ).decode("utf-8-sig")
            )
        )
    )
    assert [r["host_type"][:2] for r in rows] == ["'=", "'+"]
    assert float(rows[0]["lon"]) == pytest.approx(sites["lon"].iloc[0], abs=1e-6)


def test_every_format_says_which_inputs_were_synthetic_or_modelled(plan, tmp_path):
    import dataclasses

    modelled = dataclasses.replace(
        plan, request=dataclasses.replace(plan.request, demand_path=None)
    )
    collection = export.sites_geojson(modelled, synthetic_stations=True)
    assert [(c["input"], c["status"]) for c in collection["caveats"]] == [
        ("stations", "synthetic"),
        ("demand", "modelled"),
    ]
    assert all(c["note"] for c in collection["caveats"])
    rows = list(
        csv.DictReader(
            io.StringIO(export.sites_csv(modelled, synthetic_stations=True).decode("utf-8-sig"))
        )
    )
    assert {r["caveats"] for r in rows} == {"stations synthetic; demand modelled"}
    out = tmp_path / "plan.gpkg"
    export.write_plan(modelled, out, synthetic_stations=True)
    table = pyogrio.read_dataframe(out, layer="locator_caveats")
    assert table[["input", "status"]].values.tolist() == [
        ["stations", "synthetic"],
        ["demand", "modelled"],
    ]


def test_real_stations_and_uploaded_demand_have_no_caveats(plan, tmp_path):
    assert export.sites_geojson(plan, synthetic_stations=False)["caveats"] == []
    text = export.sites_csv(plan, synthetic_stations=False).decode("utf-8-sig")
    assert {r["caveats"] for r in csv.DictReader(io.StringIO(text))} == {""}
    out = tmp_path / "plan.gpkg"
    export.write_plan(plan, out, synthetic_stations=False)
    assert len(pyogrio.read_dataframe(out, layer="locator_caveats")) == 0
