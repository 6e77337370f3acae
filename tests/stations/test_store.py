"""What a new database starts with: a GeoPackage store written by earlier versions of
locator (its metadata read back, ``description`` included), else the shipped stations."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio

from locator.stations.store import LAYER, load_table
from tests.conftest import DATA


def test_an_old_geopackage_store_is_read_with_its_metadata(tmp_path, regions):
    store = tmp_path / "stations.gpkg"
    frame = gpd.GeoDataFrame(
        {"id": ["a1"], "name": ["东单驿站"], "kind": ["warm_heart"], "shower": ["yes"]},
        geometry=gpd.points_from_xy([116.418], [39.913]),
        crs="EPSG:4326",
    )
    meta = {"name": "union.csv", "synthetic": "false", "description": "Imported from union.csv"}
    pyogrio.write_dataframe(frame, store, layer=LAYER, driver="GPKG", layer_metadata=meta)
    table = load_table(Path(), store, regions)
    assert table.frame["id"].tolist() == ["a1"] and table.frame["shower"].tolist() == ["yes"]
    info = table.info
    assert (info.name, info.synthetic, info.description) == (
        "union.csv",
        False,
        "Imported from union.csv",
    )


def test_without_a_store_the_shipped_synthetic_stations_are_used(tmp_path, regions):
    table = load_table(DATA, tmp_path / "missing.gpkg", regions)
    assert table.info.synthetic and len(table) == 9020
