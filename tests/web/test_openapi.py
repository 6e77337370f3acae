"""The OpenAPI document: valid, its examples true to its schemas, its limits the code's."""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from locator import config, route
from locator.maps.embed import MAX_EMBED_NEW
from locator.planning import request as plan_request
from locator.web import search
from tests.web.test_fuzz import CHECKS
from tests.web.test_plans import poll, post_tiny_plan

EXPENSIVE = {  # answer 429 (with Retry-After) and 503 when their budget runs out
    ("get", "/api/v1/maps/{view}.{fmt}"),
    ("get", "/api/v1/coverage"),
    ("post", "/api/v1/nearest/batch"),
    ("post", "/api/v1/along-route"),
    ("post", "/api/v1/plans"),
}
BUDGETED = {  # cheap, but what anyone may send is counted: 429 with Retry-After
    ("post", "/api/v1/stations/{station_id}/reports"),
    ("post", "/api/v1/suggestions"),
}


@pytest.fixture()
def spec(client) -> dict[str, Any]:
    return client.get("/api/v1/openapi.json").json


def resolved(spec: dict[str, Any], node: Any) -> Any:
    """``node`` with every ``#/components/...`` reference replaced by what it names."""
    if isinstance(node, list):
        return [resolved(spec, item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        section, name = node["$ref"].split("/")[-2:]
        return resolved(spec, spec["components"][section][name])
    return {key: resolved(spec, value) for key, value in node.items()}


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, resolved(spec, op))
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
    ]


def schema_of(spec, path: str, method: str, name: str) -> dict[str, Any]:
    op = resolved(spec, spec["paths"][path][method])
    return next(p["schema"] for p in op["parameters"] if p["name"] == name)


def test_the_document_is_valid_openapi_3_0(spec):
    assert spec["openapi"] == "3.0.3"
    validate(spec)  # raises on the first error


def test_every_example_matches_its_schema(spec):
    cases = []  # (where, schema, example)
    for method, path, op in operations(spec):
        where = f"{method} {path}"
        for p in op.get("parameters", []):
            if "example" in p:
                cases.append((f"{where} {p['name']}", p["schema"], p["example"]))
        bodies = list(op.get("requestBody", {}).get("content", {}).items())
        for code, response in op["responses"].items():
            if code.startswith("2"):
                bodies += response.get("content", {}).items()
        for media, body in bodies:
            examples = [e["value"] for e in body.get("examples", {}).values()]
            examples += [body["example"]] if "example" in body else []
            cases += [(f"{where} {media}", body["schema"], example) for example in examples]
    errors = [
        f"{where}: {error.message}"
        for where, schema, example in cases
        for error in OAS30Validator(schema).iter_errors(example)
    ]
    assert errors == []
    assert len(cases) > 40


def test_every_post_has_a_body_with_schemas_and_examples(spec):
    posts = [(path, op) for method, path, op in operations(spec) if method == "post"]
    assert {path for path, _ in posts} == {
        "/api/v1/nearest/batch", "/api/v1/along-route", "/api/v1/plans", "/api/v1/route-text",
        "/api/v1/stations/{station_id}/reports", "/api/v1/suggestions",
        "/api/v1/admin/reports/{report_id}",
    }  # fmt: skip
    for path, op in posts:
        content = op["requestBody"]["content"]
        assert "application/json" in content, path
        for media, body in content.items():
            assert body["schema"], (path, media)
            assert "example" in body or body.get("examples"), (path, media)
    batch = spec["paths"]["/api/v1/nearest/batch"]["post"]["requestBody"]["content"]
    assert {"application/json", "text/csv", "multipart/form-data"} == set(batch)
    plans = spec["paths"]["/api/v1/plans"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} == set(plans)


def test_every_operation_has_an_example_and_every_error_the_error_shape(spec):
    for method, path, op in operations(spec):
        text = str(op)
        assert "'example'" in text or "'examples'" in text, (method, path)
        for code, response in op["responses"].items():
            if code[0] in "45":
                body = response["content"]["application/json"]["schema"]
                assert body == resolved(spec, {"$ref": "#/components/schemas/Error"}), (
                    method,
                    path,
                    code,
                )


def test_kind_and_crs_are_enums_wherever_they_are_taken(spec):
    found = 0
    for _, _, op in operations(spec):
        for p in op.get("parameters", []):
            if p["name"] in ("kind", "crs"):
                assert p["schema"]["enum"] and "" not in p["schema"]["enum"]
                found += 1
    assert found >= 6


def test_the_limits_are_the_code_s(spec):
    settings = {s.name: s.default for s in config.SETTINGS}
    limit = schema_of(spec, "/api/v1/stations", "get", "limit")
    assert (limit["maximum"], limit["default"]) == (
        settings["MAX_LIMIT"],
        settings["DEFAULT_LIMIT"],
    )
    assert schema_of(spec, "/api/v1/nearest", "get", "k")["maximum"] == search.MAX_K
    radius = schema_of(spec, "/api/v1/nearest", "get", "radius_m")
    assert radius["maximum"] == search.MAX_SEARCH_RADIUS_M and radius["exclusiveMinimum"] is True
    assert schema_of(spec, "/api/v1/nearest/batch", "post", "k")["maximum"] == search.MAX_BATCH_K
    cover = max(plan_request.MAX_COVER_RADIUS_M.values())
    assert schema_of(spec, "/api/v1/coverage", "get", "radius_m")["maximum"] == cover
    maps = "/api/v1/maps/{view}.{fmt}"
    assert schema_of(spec, maps, "get", "radius_m")["maximum"] == cover
    assert schema_of(spec, maps, "get", "new")["maximum"] == MAX_EMBED_NEW

    def body(path: str) -> dict[str, Any]:
        op = resolved(spec, spec["paths"][path]["post"])
        schema: dict[str, Any] = op["requestBody"]["content"]["application/json"]["schema"]
        return schema

    points = body("/api/v1/nearest/batch")["oneOf"][1]["properties"]["points"]["oneOf"]
    assert {p["maxItems"] for p in points} == {search.MAX_BATCH_POINTS}
    along = body("/api/v1/along-route")["properties"]
    assert along["corridor_m"]["maximum"] == search.MAX_CORRIDOR_M
    line = along["route"]["oneOf"][1]["properties"]["coordinates"]
    assert line["maxItems"] == route.MAX_ROUTE_POINTS
    plan = body("/api/v1/plans")["properties"]
    assert plan["new"]["maximum"] == plan_request.MAX_NEW
    assert plan["time_limit_s"]["maximum"] == plan_request.MAX_TIME_LIMIT_S
    assert plan["min_spacing_m"]["maximum"] == plan_request.MAX_SPACING_M
    assert plan["radius_m"]["maximum"] == cover
    assert set(plan) == set(plan_request.PLAN_FIELDS)


def test_the_settings_it_names_exist(client):
    text = client.get("/api/v1/openapi.json").get_data(as_text=True)
    named = set(re.findall(r"LOCATOR_([A-Z_]+[A-Z])", text))
    assert {"MAX_LIMIT", "RATELIMIT_EXPENSIVE", "UPLOAD_MAX_DEPTH"} <= named
    assert named <= {s.name for s in config.SETTINGS}


def test_expensive_endpoints_document_429_413_503_and_405(spec):
    for method, path, op in operations(spec):
        responses = op["responses"]
        if (method, path) in EXPENSIVE:
            assert responses["429"]["headers"]["Retry-After"]["required"], path
            assert "503" in responses, path
        elif (method, path) in BUDGETED:
            assert responses["429"]["headers"]["Retry-After"]["required"], path
        else:
            assert "429" not in responses, path
        if method == "post":
            assert {"405", "413"} <= set(responses), path
            assert responses["405"]["headers"]["Allow"]["required"], path


def test_oembed_is_documented(spec):
    oembed = spec["paths"]["/oembed"]["get"]
    assert {p["name"] for p in oembed["parameters"]} == {"url", "maxwidth", "maxheight", "format"}
    assert set(oembed["responses"]) == {"200", "400", "404", "501"}


def test_docs_page_shows_bodies_limits_and_shared_parts(client):
    text = client.get("/api/docs").get_data(as_text=True)
    assert "POST /api/v1/plans" in text and "GET /oembed" in text
    assert "integer, ≥ 1, ≤ 10000, default 100" in text  # limit, from its own schema
    assert "string: warm_heart, driver_home" in text  # kind, from the shared parameter
    assert "number, &gt; 0, ≤ 50000, default 2000" in text  # corridor_m, a body field
    assert "<h4><code>text/csv</code></h4>" in text and "home,116.4,39.9" in text
    assert "header <code>Retry-After</code>" in text and "header <code>Allow</code>" in text


def test_a_finished_plan_conforms(plan_app):
    """What the fuzzer cannot reach: a done plan's status, downloads and map."""
    client = plan_app.test_client()
    plan_id = post_tiny_plan(client).json["id"]
    assert poll(client, f"/api/v1/plans/{plan_id}")["status"] == "done"
    published = client.patch(f"/api/v1/plans/{plan_id}", json={"published": True})
    assert published.status_code == 200  # anonymous readers draw only published plans
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
        # identity: schemathesis's WSGI transport does not decode a compressed body
        answer = case.call_and_validate(checks=CHECKS, headers={"Accept-Encoding": "identity"})
        assert answer.status_code == 200


def test_docs_page_has_contents_examples_and_a_way_home(client):
    text = client.get("/api/docs").get_data(as_text=True)
    assert 'id="docs-home"' in text and 'href="/"' in text  # back to the site
    contents = text[text.index('id="docs-toc"') : text.index("</nav>", text.index('id="docs-toc"'))]
    assert '<a href="#get-/oembed">' in contents and '<a href="#post-/api/v1/plans">' in contents
    sections = text.count("<section id=")
    assert sections == contents.count("<li>") == text.count('<pre class="docs-example">curl')
    assert "curl http://localhost/api/v1/stations/t1</pre>" in text
    batch = "curl -X POST -H &#39;Content-Type: application/json&#39; --data-binary"
    assert batch in text
    assert "-H &#34;Authorization: Bearer $LOCATOR_TOKEN&#34;" in text  # plans need a token


def test_example_request_builds_a_url_and_a_body():
    from locator.web.openapi import example_request

    operation = {
        "parameters": [
            {"name": "plan_id", "in": "path", "example": "abc"},
            {"name": "lat", "in": "query", "required": True, "example": 39.9},
            {"name": "k", "in": "query", "schema": {"default": 1}},  # optional: left out
        ],
        "requestBody": {"content": {"text/csv": {"example": "lon,lat\n1,2\n"}}},
        "security": [{"token": []}],
    }
    got = example_request("/p/{plan_id}", "post", operation, "http://h/")
    assert got == (
        'curl -X POST -H "Authorization: Bearer $LOCATOR_TOKEN" '
        "-H 'Content-Type: text/csv' --data-binary 'lon,lat\n1,2\n' 'http://h/p/abc?lat=39.9'"
    )
