"""The finder's offline side on the server: the exact offline copy of the stations, the
service worker script and its policy, and the web app manifest."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from locator.db.models import utc_now
from locator.web.offline import SHELL_FILES, day, exact_scale
from tests.conftest import ROOT


def decoded(pack: dict) -> list[tuple[float, float]]:
    """(lon, lat) of each station, as static/js/finder-offline.js rebuilds them."""
    flat = np.cumsum(np.array(pack["coords"], dtype=np.int64).reshape(-1, 2), axis=0)
    return [(int(x) / pack["scale"], int(y) / pack["scale"]) for x, y in flat]


def test_the_copy_has_every_station_exactly(client) -> None:
    response = client.get("/api/v1/offline")
    assert response.status_code == 200
    pack = response.get_json()
    assert pack["ids"] == ["t1", "t2", "t3"]
    assert pack["names"] == ["东单驿站", "国贸驿站", "西安港司机之家"]
    assert [pack["kinds"][k] for k in pack["kind"]] == ["warm_heart", "warm_heart", "driver_home"]
    assert pack["scale"] == 100_000  # the coarsest scale offered, exact for 3 decimals
    assert decoded(pack) == [(116.418, 39.913), (116.461, 39.909), (108.94, 34.27)]
    assert pack["amenities"]["shower"] == "yny"
    assert pack["amenities"]["toilet"] == "yyu"
    assert pack["amenities"]["microwave"][1] == "y"  # from t2's list of amenities
    hours = [pack["hours"]["en"][h] for h in pack["hour"]]
    assert hours[0] == hours[2] != hours[1]
    assert pack["dataset"]["version"] >= 1


def test_the_copy_is_cached_by_dataset_version(client) -> None:
    first = client.get("/api/v1/offline")
    tag = first.headers["ETag"]
    assert "offline-v" in tag and "max-age=30" in first.headers["Cache-Control"]
    again = client.get("/api/v1/offline", headers={"If-None-Match": tag})
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("values", "scale"),
    [
        ([116.41, 39.9], 100_000),
        ([116.412661, 39.873214], 1_000_000),
        ([116.4126612, 39.8732141], 10_000_000),
        ([116.41266123, 39.87321415], 100_000_000),
        ([116.412661234567, 39.1], 1_000_000_000),  # finer than 0.1 mm: the finest scale
    ],
)
def test_exact_scale(values, scale) -> None:
    assert exact_scale(np.array(values)) == scale


def test_day() -> None:
    assert day("2026-12-03") == "2026-12-03"
    assert day("2026-12-03T10:00:00+00:00") == "2026-12-03"
    assert day("") is None and day(None) is None and day(float("nan")) is None


def test_the_worker_is_served_from_the_root_with_its_settings(client) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    policy = response.headers["Content-Security-Policy"]
    assert "connect-src 'self'" in policy and "default-src 'none'" in policy
    head, _, source = response.get_data(as_text=True).partition("\n")
    assert source == (ROOT / "static" / "js" / "sw.js").read_text(encoding="utf-8")
    settings = json.loads(head.removeprefix("self.LOCATOR_SW = ").removesuffix(";"))
    assert settings["shell"] == [f"/static/{name}" for name in SHELL_FILES]
    assert settings["offline"] == "/api/v1/offline" and settings["finder"] == "/"
    assert settings["cached_api"] == ["/api/v1/amenities", "/api/v1/stations/points"]
    assert len(settings["version"]) == 16
    for name in SHELL_FILES:  # each file of the shell is served
        with client.get(f"/static/{name}") as found:
            assert found.status_code == 200


def test_the_worker_caches_nothing_personal() -> None:
    """The worker's allow-list names only public GET data; NEVER keeps out the rest."""
    source = (ROOT / "static" / "js" / "sw.js").read_text(encoding="utf-8")
    assert 'request.method !== "GET"' in source
    assert "plans|tokens|account|admin)|admin|account|login|logout" in source


def test_the_manifest_makes_the_finder_installable(client) -> None:
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "户外劳动者驿站"
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as found:
            assert found.status_code == 200
    english = client.get("/manifest.webmanifest?lang=en").get_json(force=True)
    assert english["name"] == "Rest stations for outdoor workers"
    assert english["start_url"] == "/?lang=en" and english["lang"] == "en"


def test_the_finder_links_the_manifest_and_the_worker(client) -> None:
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert "geographiclib-geodesic.min.js" in html
    config = json.loads(html.split('id="finder-config">', 1)[1].split("</script>", 1)[0])
    assert config["urls"]["sw"] == "/sw.js" and config["urls"]["offline"] == "/api/v1/offline"


def test_the_copy_of_an_area_holds_only_its_stations(client) -> None:
    pack = client.get("/api/v1/offline?bbox=116,39,117,40").get_json()
    assert pack["ids"] == ["t1", "t2"] and pack["count"] == 2
    assert decoded(pack) == [(116.418, 39.913), (116.461, 39.909)]
    assert pack["area"] == [116, 39, 117, 40] and pack["reported_closed"] == {}
    assert client.get("/api/v1/offline").get_json()["area"] is None  # a small dataset: all
    assert client.get("/api/v1/offline?bbox=1,2,3").status_code == 400


def test_a_large_dataset_is_kept_by_area(data_dir, tmp_path) -> None:
    from locator import create_app

    app = create_app(
        {"TESTING": True, "DATA_DIR": data_dir, "STORE": tmp_path / "store.gpkg",
         "LARGE_DATASET": 2}
    )  # fmt: skip
    client = app.test_client()
    whole = client.get("/api/v1/offline")
    assert whole.status_code == 400 and "give a bbox" in whole.get_json()["error"]
    assert client.get("/api/v1/offline?bbox=116,39,117,40").get_json()["ids"] == ["t1", "t2"]
    too_big = client.get("/api/v1/offline?bbox=100,30,120,45")  # 3 stations, more than 2
    assert too_big.status_code == 400 and "smaller area" in too_big.get_json()["error"]


def test_the_copy_shows_stations_reported_closed(data_dir, tmp_path) -> None:
    from locator import create_app

    app = create_app(
        {"TESTING": True, "DATA_DIR": data_dir, "STORE": tmp_path / "store.gpkg",
         "TRUSTED_PROXIES": 1, "REPORTS_CLOSED_FLAG_CLIENTS": 2}
    )  # fmt: skip
    reader = app.test_client()
    before = reader.get("/api/v1/offline")
    assert before.get_json()["reported_closed"] == {}
    for address in ("10.0.1.1", "10.0.1.2"):
        sender = app.test_client()
        sender.environ_base["HTTP_X_FORWARDED_FOR"] = address
        answer = sender.post("/api/v1/stations/t2/reports", json={"kind": "closed_for_good"})
        assert answer.status_code == 201
    time.sleep(1.1)  # the flags are read at most every second
    after = reader.get("/api/v1/offline", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200  # the flags are part of the copy's ETag
    assert after.get_json()["reported_closed"] == {"t2": utc_now().date().isoformat()}
    area = reader.get("/api/v1/offline?bbox=108,34,109,35").get_json()
    assert area["ids"] == ["t3"] and area["reported_closed"] == {}
