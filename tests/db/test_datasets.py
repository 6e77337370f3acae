"""Dataset versions: an import is one version served at once, a rollback serves an
older one, and loading gives back the same stations in the same order."""

from __future__ import annotations

import pandas as pd
import pytest
from pyproj import Geod
from sqlalchemy import text

from locator.db.datasets import (
    Source,
    commit_version,
    list_versions,
    load_version,
    rollback,
    seed_if_empty,
    served_version,
)
from locator.db.session import upgrade
from locator.errors import NotFound
from locator.web.state import state_of


@pytest.fixture()
def table(app):
    return state_of(app).live.current().table


def test_commit_list_rollback_and_load(engine, table) -> None:
    upgrade(engine)
    assert served_version(engine) is None and list_versions(engine) == []
    first, _ = commit_version(engine, table, Source("tiny.csv", "a" * 64, "admin"))
    smaller = type(table)(table.frame.iloc[:2], table.amenity_codes[:2], table.info)
    second, _ = commit_version(engine, smaller, Source("two.csv", "b" * 64, "admin"))
    assert served_version(engine) == second
    listed = list_versions(engine)
    assert [(v.id, v.row_count, v.served) for v in listed] == [(second, 2, True), (first, 3, False)]
    rollback(engine, first, "admin")
    assert served_version(engine) == first
    with pytest.raises(NotFound):
        rollback(engine, 999, "admin")
    loaded = load_version(engine, first)
    pd.testing.assert_frame_equal(loaded.frame, table.frame, check_dtype=False, check_like=True)
    assert (loaded.amenity_codes == table.amenity_codes).all()
    assert loaded.info.synthetic == table.info.synthetic and loaded.info.name == table.info.name
    with engine.connect() as connection:
        actions = connection.execute(text("SELECT action FROM audit_log ORDER BY id")).scalars()
        assert list(actions) == ["import", "import", "rollback"]


@pytest.mark.filterwarnings("ignore:Did not recognize type 'geography'")
def test_postgis_answers_the_nearest_station(engine, table) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    upgrade(engine)
    with engine.connect() as connection:
        has_geog = connection.exec_driver_sql(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = 'stations' AND column_name = 'geog'"
        ).first()
    if has_geog is None:
        pytest.skip("PostGIS is not installed on this server")
    version, _ = commit_version(engine, table, Source("tiny.csv", "a" * 64, "admin"))
    query = text(
        "SELECT station_id, ST_Distance(geog, ST_MakePoint(116.42, 39.91)::geography) AS d "
        "FROM stations WHERE version_id = :v "
        "ORDER BY geog <-> ST_MakePoint(116.42, 39.91)::geography LIMIT 2"
    )
    with engine.connect() as connection:
        rows = connection.execute(query, {"v": version}).all()
    assert [r.station_id for r in rows] == ["t1", "t2"]
    _, _, expected_m = Geod(ellps="WGS84").inv(116.418, 39.913, 116.42, 39.91)
    assert rows[0].d == pytest.approx(expected_m, abs=0.01)  # 东单, 374 m, on the ellipsoid


def test_two_merges_at_once_keep_every_row(engine, table) -> None:
    import threading

    upgrade(engine)
    commit_version(engine, table, Source("tiny.csv", "a" * 64, "admin"))
    frames = []
    for n in range(4):
        frame = table.frame.iloc[:1].copy()
        frame["id"] = f"new-{n}"
        frames.append(type(table)(frame, table.amenity_codes[:1], table.info))
    threads = [
        threading.Thread(
            target=commit_version, args=(engine, f, Source(f"{i}.csv", "c" * 64, "li")),
            kwargs={"merge": True},
        )
        for i, f in enumerate(frames)
    ]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    served = load_version(engine, served_version(engine))
    assert sorted(served.frame["id"]) == ["new-0", "new-1", "new-2", "new-3", "t1", "t2", "t3"]


def test_first_start_seeds_once(engine, table) -> None:
    upgrade(engine)
    calls = []

    def load():
        calls.append(1)
        return table, Source("synthetic_stations.csv", "d" * 64, "first start")

    assert seed_if_empty(engine, load) is not None
    assert seed_if_empty(engine, load) is None
    assert len(calls) == 1 and len(list_versions(engine)) == 1
