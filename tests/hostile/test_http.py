"""Every VRT document, under every extension, sent to every upload slot over HTTP
(the plan's demand, candidates and exclusions, and the batch's CSV): a 4xx in the error
shape that carries no file content, no fetched body and no server path."""

from __future__ import annotations

import html
import re
import tempfile
from pathlib import Path

import pytest

from locator.errors import error_body
from tests.conftest import stop_plans
from tests.hostile import corpus

pytestmark = pytest.mark.both_databases

VRTS = [n for n in corpus.NAMES if n.startswith("vrt_")]
LEAKS = ("root:", "/bin/", corpus.SECRET_BODY, "SrcDataSource", "SELECT", "/tmp", "vsicurl")


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    from tests.conftest import make_plan_app

    app = make_plan_app(tmp_path_factory.mktemp("http"), RATELIMIT_EXPENSIVE="10000 per minute")
    yield app.test_client()
    stop_plans(app)


def check(response) -> None:
    assert 400 <= response.status_code < 500, response.status_code
    body = response.json
    assert body == error_body(body["error"], response.status_code)
    for leak in LEAKS:
        assert leak not in body["error"], (leak, body["error"])


@pytest.mark.parametrize("name", VRTS)
def test_a_vrt_in_any_plan_slot_is_refused_without_leaks(
    name: str, api, hostile: dict[str, Path], watcher
) -> None:
    for slot in ("demand", "candidates", "exclusions"):
        with hostile[name].open("rb") as handle:
            form = {"new": "1", slot: (handle, name)}
            check(api.post("/api/v1/plans", data=form, content_type="multipart/form-data"))
    with hostile[name].open("rb") as handle:
        form = {"file": (handle, name)}
        check(api.post("/api/v1/nearest/batch", data=form, content_type="multipart/form-data"))
    assert watcher.connections == 0


# Files every reader refuses, for the paths check below (the bombs have their own tests).
UNREADABLE = (
    *(f"{stem}{ext}" for stem in ("empty", "bom_only", "junk") for ext in corpus.EXTENSIONS),
    "utf16.csv",
    "zip_in_zip.xlsx",
    "many_parts.xlsx",
    "deep_objects.json",
    "no_geometry.geojson",
    "not_geojson.json",
    "attributes_only.gpkg",
    "plain_sqlite.gpkg",
    "fake_gpkg.gpkg",
)
# An absolute path: a slash that starts a word and is followed by a folder (not "lon/lat").
ABSOLUTE_PATH = re.compile(r"(?:^|[\s'\"(\[=:,])/[\w.-]+/")
TEMP_PREFIXES = ("locator-upload-", "locator-import-", "locator-gpkg-", "locator-plan-", "tmp")


def assert_no_server_path(message: str, *folders: Path) -> None:
    for folder in ("/tmp", tempfile.gettempdir(), *map(str, folders)):
        assert folder not in message, (folder, message)
    for prefix in TEMP_PREFIXES:
        assert prefix not in message, (prefix, message)
    assert not ABSOLUTE_PATH.search(message), message


@pytest.fixture(scope="module")
def admin_site(tmp_path_factory):
    from locator.db import accounts
    from locator.web.state import state_of
    from tests.conftest import make_plan_app
    from tests.web.test_admin import ADMIN_PASSWORD, sign_in

    root = tmp_path_factory.mktemp("paths")
    app = make_plan_app(root, RATELIMIT_EXPENSIVE="10000 per minute")
    accounts.add_user(state_of(app).engine, "root", ADMIN_PASSWORD, "admin", actor="test")
    planner = app.test_client()  # sends a planner's API token, which outranks a session
    planner_class, app.test_client_class = app.test_client_class, None
    admin, token = sign_in(app)
    app.test_client_class = planner_class
    yield app, planner, admin, token, root
    stop_plans(app)


@pytest.mark.parametrize("name", UNREADABLE)
def test_upload_errors_show_no_server_path(name: str, admin_site, hostile) -> None:
    app, planner, admin, token, root = admin_site
    folders = (root, hostile[name].parent, app.instance_path)
    for slot in ("demand", "candidates", "exclusions"):
        with hostile[name].open("rb") as handle:
            form = {"new": "1", slot: (handle, name)}
            response = planner.post("/api/v1/plans", data=form, content_type="multipart/form-data")
        check(response)
        assert_no_server_path(response.json["error"], *folders)
    with hostile[name].open("rb") as handle:
        form = {"file": (handle, name), "csrf_token": token}
        page = admin.post("/admin/import", data=form, content_type="multipart/form-data")
    assert page.status_code in (400, 413, 422), page.status_code
    shown = re.search(r'id="import-error">([^<]*)<', page.get_data(as_text=True))
    assert shown is not None, name
    assert_no_server_path(html.unescape(shown.group(1)), *folders)
