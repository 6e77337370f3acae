"""Every VRT document, under every extension, sent to every upload slot over HTTP
(the plan's demand, candidates and exclusions, and the batch's CSV): a 4xx in the error
shape that carries no file content, no fetched body and no server path."""

from __future__ import annotations

from pathlib import Path

import pytest

from locator.errors import error_body
from tests.conftest import stop_plans
from tests.hostile import corpus

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
