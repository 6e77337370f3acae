"""Imports apply completely or not at all, and keep the previous store as a backup."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyogrio
import pytest

from locator.errors import Conflict, DataError
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
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a.csv",
        "bad.csv",
        "stations.gpkg",
        "stations.gpkg.lock",  # the import lock's file stays; it holds no data
    ]


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


def test_the_description_survives_the_round_trip(tmp_path, regions):
    store = tmp_path / "stations.gpkg"
    import_file(write(tmp_path, "union.csv", GOOD), store, regions)
    info = load_table(Path(), store, regions).info
    assert (info.name, info.description) == ("union.csv", "Imported from union.csv")


def rows_file(tmp_path: Path, name: str, prefix: str, count: int) -> Path:
    lines = [
        f"{prefix}{i},站{prefix}{i},warm_heart,{116.3 + i / 1000:.4f},39.9" for i in range(count)
    ]
    return write(tmp_path, name, "id,name,kind,lon,lat\n" + "\n".join(lines) + "\n")


def test_two_merges_at_once_keep_every_row(tmp_path, regions):
    store = tmp_path / "stations.gpkg"
    import_file(rows_file(tmp_path, "base.csv", "b", 3), store, regions)
    files = [rows_file(tmp_path, f"{p}.csv", p, 20) for p in ("x", "y")]
    errors: list[BaseException] = []

    def merge(path: Path) -> None:
        try:
            import_file(path, store, regions, merge=True, wait_s=30)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    with store_module.import_lock(store):  # both validate, then queue on the lock
        threads = [threading.Thread(target=merge, args=(f,)) for f in files]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        assert ids(store, regions) == ["b0", "b1", "b2"]  # nothing written yet
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(ids(store, regions)) == sorted(
        [f"b{i}" for i in range(3)] + [f"{p}{i}" for p in ("x", "y") for i in range(20)]
    )


def test_an_import_refuses_after_waiting_for_another_process(tmp_path, regions):
    store = tmp_path / "stations.gpkg"
    import_file(write(tmp_path, "a.csv", GOOD), store, regions)
    before = store.read_bytes()
    command = [sys.executable, "-c", HOLD_LOCK, str(store) + ".lock"]
    with subprocess.Popen(command, stdout=subprocess.PIPE) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
            started = time.monotonic()
            with pytest.raises(Conflict, match=r"another import into stations\.gpkg is running"):
                import_file(write(tmp_path, "b.csv", SECOND), store, regions, wait_s=0.5)
            assert 0.5 <= time.monotonic() - started < 5
        finally:
            holder.kill()
    assert store.read_bytes() == before
    assert import_file(write(tmp_path, "b.csv", SECOND), store, regions, wait_s=5).count == 2


HOLD_LOCK = """
import sys, time, filelock
with filelock.FileLock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_leftovers_of_a_killed_import_are_removed_once_their_process_is_gone(tmp_path, regions):
    store = tmp_path / "stations.gpkg"
    import_file(write(tmp_path, "a.csv", GOOD), store, regions)
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = int(gone.stdout)
    alive = os.getppid()
    leftovers = [
        tmp_path / f".stations.{dead}.tmp.gpkg",
        tmp_path / f".stations.{dead}.tmp.gpkg-journal",
        tmp_path / f".stations.{dead}.tmp.bak",
    ]
    running = tmp_path / f".stations.{alive}.tmp.gpkg"
    for path in [*leftovers, running]:
        path.write_bytes(b"partial")
    with store_module.import_lock(store):  # an import (maybe in another container) runs
        load_table(Path(), store, regions)
    assert [p.exists() for p in leftovers] == [True, True, True]
    load_table(Path(), store, regions)  # what the app does at start-up
    assert [p.exists() for p in leftovers] == [False, False, False]
    assert running.exists()  # that import may still be running
    (tmp_path / f".stations.{dead}.tmp.gpkg").write_bytes(b"partial")
    import_file(write(tmp_path, "b.csv", SECOND), store, regions)
    assert not (tmp_path / f".stations.{dead}.tmp.gpkg").exists()
