"""Imports into the database: all or nothing, merges by id, the report kept with the
version, and two merges at once keep every row (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from locator.db.datasets import list_versions, load_version, served_version
from locator.db.imports import import_file
from locator.db.session import upgrade
from locator.errors import DataError

GOOD = "id,name,kind,lon,lat,shower\na1,东单驿站,warm_heart,116.418,39.913,是\n"
SECOND = GOOD + "a2,国贸驿站,warm_heart,116.461,39.909,否\n"
BAD = SECOND + "a3,坏行,warm_heart,abc,39.9,是\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def served_ids(engine) -> list[str]:
    return sorted(load_version(engine, served_version(engine)).frame["id"])


def test_an_import_is_served_and_a_bad_file_imports_nothing(engine, tmp_path, regions) -> None:
    upgrade(engine)
    done = import_file(engine, write(tmp_path, "a.csv", SECOND), regions, actor="li")
    assert (done.count, served_ids(engine)) == (2, ["a1", "a2"])
    with pytest.raises(DataError, match=r"1 error\(s\) in bad.csv"):
        import_file(engine, write(tmp_path, "bad.csv", BAD), regions, actor="li")
    assert served_version(engine) == done.version and len(list_versions(engine)) == 1
    (version,) = list_versions(engine)
    assert (version.source_name, version.created_by, len(version.source_sha256)) == (
        "a.csv",
        "li",
        64,
    )


def test_merge_upserts_by_id(engine, tmp_path, regions) -> None:
    upgrade(engine)
    import_file(engine, write(tmp_path, "a.csv", SECOND), regions, actor="li")
    other = "id,name,kind,lon,lat\na2,国贸新站,warm_heart,116.462,39.909\na3,三里屯,warm_heart,116.45,39.93\n"
    done = import_file(engine, write(tmp_path, "c.csv", other), regions, actor="li", merge=True)
    frame = load_version(engine, done.version).frame.set_index("id")
    assert sorted(frame.index) == ["a1", "a2", "a3"] and frame.loc["a2", "name"] == "国贸新站"


def test_two_merges_at_once_keep_every_row(engine, tmp_path, regions) -> None:
    upgrade(engine)
    import_file(engine, write(tmp_path, "base.csv", GOOD), regions, actor="li")
    files = []
    for n in range(3):
        rows = "\n".join(
            f"m{n}-{i},站{n}{i},warm_heart,{116.3 + i / 1000:.4f},39.9" for i in range(20)
        )
        files.append(write(tmp_path, f"{n}.csv", "id,name,kind,lon,lat\n" + rows + "\n"))
    threads = [
        threading.Thread(target=import_file, args=(engine, f, regions),
                         kwargs={"actor": "li", "merge": True})
        for f in files
    ]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(served_ids(engine)) == 1 + 3 * 20
