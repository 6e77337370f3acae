"""Fuzzing the API against its own OpenAPI document (schemathesis, in-process over WSGI).

Each documented operation gets a fixed number of generated requests, valid ones
(positive) and ones that break the schema (negative), derandomized so that every run
sends the same requests. Every answer must be no 5xx and must match the document: a
documented status code, content type, headers and body schema. The app is the tiny
fixture dataset; drawing maps and solving plans are stubbed (their own tests cover
them), so that the whole module stays under a time budget on two cores.
"""

from __future__ import annotations

import json
import sys
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
from locator.planning import plan
from locator.render import scene, sheet
from tests.conftest import make_plan_app, stop_plans

EXAMPLES = 40  # generated requests per operation and mode
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
    ("GET", "/api/v1/places"),
    ("POST", "/api/v1/route-text"),
    ("GET", "/api/v1/coverage"),
    ("GET", "/api/v1/maps/{view}.{fmt}"),
    ("POST", "/api/v1/plans"),
    ("GET", "/api/v1/plans"),
    ("GET", "/api/v1/plans/{plan_id}"),
    ("PATCH", "/api/v1/plans/{plan_id}"),
    ("DELETE", "/api/v1/plans/{plan_id}"),
    ("GET", "/api/v1/plans/{plan_id}/sites.{fmt}"),
    ("GET", "/oembed"),
    ("POST", "/api/v1/stations/{station_id}/reports"),
    ("GET", "/api/v1/stations/{station_id}/reports"),
    ("POST", "/api/v1/suggestions"),
    ("GET", "/api/v1/suggestions"),
    ("GET", "/api/v1/admin/reports"),
    ("POST", "/api/v1/admin/reports/{report_id}"),
    ("GET", "/api/v1/offline"),
)
UNBREAKABLE = {  # no input, or only a free-text path segment: no request can break the schema
    "/api/v1/health",
    "/api/v1/amenities",
    "/api/v1/datasets",
    "/api/v1/stations/{station_id}",
    "/api/v1/plans/{plan_id}",
    "/api/v1/stations/{station_id}/reports",
    "/api/v1/admin/reports",
}


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
        app = make_plan_app(  # a budget the fuzzer does not spend: it should reach the work
            tmp_path_factory.mktemp("fuzz"),
            PLAN_QUEUE=2,
            RATELIMIT_EXPENSIVE="10000 per minute",
            RATELIMIT_REPORTS="10000 per minute",
            REPORTS_DAILY_CAP=10000,
            SUGGESTIONS_DAILY_CAP=10000,
        )
        solver = plan.run_plan  # stubbed wherever it was imported, so whoever runs plans
        for module in [m for name, m in sys.modules.items() if name.startswith("locator.")]:
            if getattr(module, "run_plan", None) is solver:
                patch.setattr(module, "run_plan", _no_solver)
        yield app
        stop_plans(app)


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


@pytest.fixture(scope="module")
def deadline() -> float:
    return time.monotonic() + BUDGET_S


def _params():
    for method, path in OPERATIONS:
        modes = [GenerationMode.POSITIVE] + [GenerationMode.NEGATIVE] * (path not in UNBREAKABLE)
        for mode in modes:
            yield pytest.param(method, path, mode, id=f"{mode.value} {method} {path}")


@pytest.mark.parametrize(("method", "path", "mode"), list(_params()))
def test_answers_conform_to_the_document(api_schema, deadline, method, path, mode):
    if time.monotonic() > deadline:
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
        # identity: schemathesis's WSGI transport does not decode a compressed body
        case.call_and_validate(checks=checks, headers={"Accept-Encoding": "identity"})

    fuzz()


def test_batch_labels_every_point(fuzz_app):
    """Found by the fuzzer: a point without an id among points with one was labelled NaN."""
    points = [{"id": "home", "lon": 116.4, "lat": 39.9}, {"lon": 116.41, "lat": 39.91}]
    response = fuzz_app.test_client().post("/api/v1/nearest/batch", json=points)
    assert response.status_code == 200
    body = json.loads(response.get_data(), parse_constant=pytest.fail)  # NaN is not JSON
    assert [row["point"] for row in body["results"]] == ["home", "1"]


def test_other_methods_answer_405_with_allow(api_schema, fuzz_app):
    client = fuzz_app.test_client()
    for path, ops in api_schema.raw_schema["paths"].items():
        if "{" in path:
            continue
        method = "GET" if "get" not in ops else "PUT"
        response = client.open(path, method=method)
        assert response.status_code == 405, path
        assert response.json == {"ok": False, "error": response.json["error"], "status": 405}
        assert set(response.headers.get("Allow", "").split(", ")) >= {m.upper() for m in ops}
