"""Fuzzing the API against its own OpenAPI document (schemathesis, in-process over WSGI).

Each documented operation gets a fixed number of generated requests, valid ones
(positive) and ones that break the schema (negative), derandomized so that every run
sends the same requests. Every answer must be no 5xx and must match the document: a
documented status code, content type, headers and body schema. The app is the tiny
fixture dataset; drawing maps and solving plans are stubbed (their own tests cover
them), so that the whole module stays under a time budget on two cores.
"""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from locator.errors import BadQuery
from locator.planning import service
from locator.render import scene, sheet
from locator.web.state import state_of
from tests.conftest import make_plan_app
from tests.web.test_plans import poll, post_tiny_plan

EXAMPLES = 30  # generated requests per operation and mode
BUDGET_S = 90.0  # for the whole module; past it, the remaining operations are skipped
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
OPERATIONS = (
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/stations"),
    ("GET", "/api/v1/stations/points"),
    ("GET", "/api/v1/stations/{station_id}"),
    ("GET", "/api/v1/amenities"),
    ("GET", "/api/v1/datasets"),
    ("GET", "/api/v1/nearest"),
    ("POST", "/api/v1/nearest/batch"),
    ("POST", "/api/v1/along-route"),
    ("GET", "/api/v1/coverage"),
    ("GET", "/api/v1/maps/{view}.{fmt}"),
    ("POST", "/api/v1/plans"),
    ("GET", "/api/v1/plans/{plan_id}"),
    ("GET", "/api/v1/plans/{plan_id}/sites.{fmt}"),
    ("GET", "/oembed"),
)
UNBREAKABLE = {  # no input, or only a free-text path segment: no request can break the schema
    "/api/v1/health",
    "/api/v1/amenities",
    "/api/v1/datasets",
    "/api/v1/stations/{station_id}",
    "/api/v1/plans/{plan_id}",
}
KNOWN = {  # (method, path, mode): a finding in the code, until it is fixed
    ("POST", "/api/v1/nearest/batch", "positive"): (
        "point objects where only some have an id: the others' point label is NaN, sent as "
        "a bare NaN token (invalid JSON; the CSV says nan)"
    ),
}
STARTED: list[float] = []


def _not_a_server_error_but_501(ctx, response, case):
    """oEmbed answers 501 to a format other than json, as its specification asks."""
    if response.status_code != 501:
        return not_a_server_error(ctx, response, case)
    return None


def _image(*args: object, **kwargs: object) -> scene.Rendered:
    style = args[0]
    assert isinstance(style, scene.MapStyle)
    body, media = (b"<svg/>", "image/svg+xml") if style.fmt == "svg" else (b"\x89PNG", "image/png")
    return scene.Rendered(body, media, style.lang, (1, 1), 0.0)


def _no_solver(*args: object, **kwargs: object) -> None:
    raise BadQuery("the fuzz tests do not solve plans.")


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sheet, "coverage_map", _image)
        patch.setattr(sheet, "plan_map", _image)
        patch.setattr(service, "run_plan", _no_solver)
        app = make_plan_app(tmp_path_factory.mktemp("fuzz"), PLAN_QUEUE=2)
        yield app
        state_of(app).planner.jobs.shutdown(wait=True)


@pytest.fixture(scope="module")
def api_schema(fuzz_app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)


def test_every_operation_is_fuzzed(api_schema):
    documented = {
        (method.upper(), path)
        for path, ops in api_schema.raw_schema["paths"].items()
        for method in ops
    }
    assert documented == set(OPERATIONS)


def _params():
    for method, path in OPERATIONS:
        modes = [GenerationMode.POSITIVE] + [GenerationMode.NEGATIVE] * (path not in UNBREAKABLE)
        for mode in modes:
            reason = KNOWN.get((method, path, mode.value))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(method, path, mode, marks=marks, id=f"{mode.value} {method} {path}")


@pytest.mark.parametrize(("method", "path", "mode"), list(_params()))
def test_answers_conform_to_the_document(api_schema, method, path, mode):
    STARTED.append(STARTED[0] if STARTED else time.monotonic())
    if time.monotonic() - STARTED[0] > BUDGET_S:
        pytest.skip(f"the fuzzing budget of {BUDGET_S:.0f} s is spent")
    operation = api_schema[path][method]
    checks = CHECKS if path != "/oembed" else [_not_a_server_error_but_501, *CHECKS[1:]]
    strategies = [operation.as_strategy(generation_mode=mode)]
    if mode is GenerationMode.POSITIVE:
        strategies += api_schema.get_strategies_from_examples(operation)

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies))
    def fuzz(case):
        case.call_and_validate(checks=checks)

    fuzz()


@pytest.mark.xfail(
    strict=True,
    reason="the JSON error handler (locator/web/handlers.py http_error) drops the Allow "
    "header werkzeug's MethodNotAllowed carries",
)
def test_other_methods_answer_405_with_allow(api_schema, fuzz_app):
    client = fuzz_app.test_client()
    for path, ops in api_schema.raw_schema["paths"].items():
        if not path.startswith("/api/") or "{" in path:
            continue
        method = "GET" if "get" not in ops else "PUT"
        response = client.open(path, method=method)
        assert response.status_code == 405, path
        assert response.json == {"ok": False, "error": response.json["error"], "status": 405}
        assert set(response.headers.get("Allow", "").split(", ")) >= {m.upper() for m in ops}


def test_a_finished_plan_conforms(plan_app):
    """What the fuzzer cannot reach: a done plan's status, downloads and map."""
    client = plan_app.test_client()
    plan_id = post_tiny_plan(client).json["id"]
    assert poll(client, f"/api/v1/plans/{plan_id}")["status"] == "done"
    api = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", plan_app)
    cases = [
        api["/api/v1/plans/{plan_id}"]["GET"].Case(path_parameters={"plan_id": plan_id}),
        api["/api/v1/maps/{view}.{fmt}"]["GET"].Case(
            path_parameters={"view": "plan", "fmt": "svg"}, query={"plan": plan_id}
        ),
    ]
    sites = api["/api/v1/plans/{plan_id}/sites.{fmt}"]["GET"]
    cases += [
        sites.Case(path_parameters={"plan_id": plan_id, "fmt": f})
        for f in ("geojson", "csv", "gpkg")
    ]
    for case in cases:
        assert case.call_and_validate(checks=CHECKS).status_code == 200
