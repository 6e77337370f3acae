"""Imports apply completely or not at all, and keep the previous store as a backup."""

from __future__ import annotations

from pathlib import Path

import pyogrio
import pytest

from locator.errors import DataError
from locator.stations import store as store_module
from locator.stations.store import import_file, load_table

GOOD = "id,name,kind,lon,lat,shower\na1,东单驿站,warm_heart,116.418,39.913,是\n"
SECOND = GOOD + "a2,国贸驿站,warm_heart,116.461,39.909,否\n"
BAD = SECOND + "a3,坏行,warm_heart,abc,39.9,是\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def ids(store: Path, regions) -> list[str]:
    return load_table(Path(), store, regions).frame["id"].tolist()


def test_import_writes_a_geopackage_store(tmp_path, regions):
    store = tmp_path / "instance" / "stations.gpkg"
    done = import_file(write(tmp_path, "a.csv", GOOD), store, regions)
    assert (done.count, done.backup) == (1, None)
    assert pyogrio.read_info(store, layer="stations")["crs"] == "EPSG:4326"
    table = load_table(Path(), store, regions)
    assert table.frame[["id", "district_name", "shower"]].values.tolist() == [
        ["a1", "东城区", "yes"]
    ]
    assert table.info.synthetic is False


def test_second_import_replaces_and_keeps_a_backup(tmp_path, regions):
    store = tmp_path / "stations.gpkg"
    import_file(write(tmp_path, "a.csv", GOOD), store, regions)
    done = import_file(write(tmp_path, "b.csv", SECOND), store, regions)
    assert ids(store, regions) == ["a1", "a2"]
    assert done.backup is not None and ids(done.backup, regions) == ["a1"]


def test_merge_upserts_by_id(tmp_path, regions):
    store = tmp_path / "stations.gpkg"
    import_file(write(tmp_path, "a.csv", SECOND), store, regions)
    other = "id,name,kind,lon,lat\na2,国贸驿站新址,warm_heart,116.462,39.909\na9,新站,warm_heart,116.4,39.9\n"
    import_file(write(tmp_path, "c.csv", other), store, regions, merge=True)
    frame = load_table(Path(), store, regions).frame
    assert frame["id"].tolist() == ["a1", "a2", "a9"]
    assert frame.loc[frame["id"] == "a2", "name"].item() == "国贸驿站新址"


def test_a_file_with_one_bad_row_imports_nothing(tmp_path, regions):
    store = tmp_path / "stations.gpkg"
    import_file(write(tmp_path, "a.csv", GOOD), store, regions)
    before = store.read_bytes()
    with pytest.raises(DataError) as caught:
        import_file(write(tmp_path, "bad.csv", BAD), store, regions)
    assert [(p.row, p.code) for p in caught.value.problems] == [(4, "bad_coordinate")]
    assert store.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "bad.csv", "stations.gpkg"]


def test_an_interrupted_write_leaves_the_previous_store(tmp_path, regions, monkeypatch):
    store = tmp_path / "stations.gpkg"
    import_file(write(tmp_path, "a.csv", GOOD), store, regions)
    before = store.read_bytes()
    real_write = pyogrio.write_dataframe

    def write_then_die(df, path, **kwargs):
        real_write(df, path, **kwargs)  # the temporary file is complete ...
        raise KeyboardInterrupt  # ... and then the process is interrupted

    monkeypatch.setattr(store_module.pyogrio, "write_dataframe", write_then_die)
    with pytest.raises(KeyboardInterrupt):
        import_file(write(tmp_path, "b.csv", SECOND), store, regions)
    assert store.read_bytes() == before
    assert ids(store, regions) == ["a1"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_a_failed_rename_leaves_the_previous_store(tmp_path, regions, monkeypatch):
    store = tmp_path / "stations.gpkg"
    import_file(write(tmp_path, "a.csv", GOOD), store, regions)
    before = store.read_bytes()
    real_replace = store_module.os.replace

    def replace(src, dst):
        if Path(dst) == store:
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(store_module.os, "replace", replace)
    with pytest.raises(OSError, match="disk full"):
        import_file(write(tmp_path, "b.csv", SECOND), store, regions)
    assert store.read_bytes() == before
