"""The planners' pages: /plans (list, rename, publish, unpublish, delete by form) and
/plans/compare (inputs, coverage, curves and the sites two plans share)."""

from __future__ import annotations

import re

import pytest

from locator.web import plan_list
from tests.conftest import plan_count
from tests.web.test_auth import anonymous, assert_shape, signed_in
from tests.web.test_plans import poll, post_tiny_plan

pytestmark = pytest.mark.both_databases


def done_plan(client, **fields) -> str:
    plan_id = post_tiny_plan(client, **fields).json["id"]
    assert poll(client, f"/api/v1/plans/{plan_id}")["status"] == "done"
    return plan_id


def test_anonymous_browsers_are_sent_to_sign_in(plan_app) -> None:
    nobody = anonymous(plan_app)
    for url in ("/plans", "/plans/compare?a=x&b=y"):
        response = nobody.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=/plans")
    assert nobody.post("/plans/x", data={"action": "delete"}).status_code == 401


def test_the_list_shows_who_ran_what_and_links(plan_app) -> None:
    api = plan_app.test_client()
    assert "No plans yet" in api.get("/plans?lang=en").get_data(as_text=True)
    plan_id = done_plan(api, name="east <b>side</b>")
    html = api.get("/plans?lang=en").get_data(as_text=True)
    assert "east &lt;b&gt;side&lt;/b&gt;" in html and "<b>side" not in html
    assert "Run by planner at" in html and "12.5% → 93.8%" in html
    assert "Uploaded files</dt><dd>demand" in html and "Radius (m)</dt><dd>1,000" in html
    assert f"/api/v1/plans/{plan_id}/sites.gpkg" in html
    assert f"/api/v1/maps/plan.png?plan={plan_id}" in html
    assert f"/embed/plan?plan={plan_id}" not in html  # not published: no embed link
    assert 'value="publish"' in html


def test_forms_rename_publish_unpublish_and_delete(plan_app) -> None:
    plan_id = done_plan(plan_app.test_client())
    browser, token = signed_in(plan_app)
    url = f"/plans/{plan_id}"
    refused = browser.post(url, data={"action": "publish"})
    assert "CSRF" in assert_shape(refused, 400)
    form = {"csrf_token": token}
    assert browser.post(url, data={**form, "action": "rename", "name": " west "}).status_code == 303
    assert browser.post(url, data={**form, "action": "publish"}).status_code == 303
    job = browser.get(f"/api/v1/plans/{plan_id}").json
    assert (job["name"], job["published"]) == ("west", True)
    html = browser.get("/plans?lang=en").get_data(as_text=True)
    assert f"/embed/plan?plan={plan_id}" in html and 'value="unpublish"' in html
    assert browser.post(url, data={**form, "action": "unpublish"}).status_code == 303
    assert browser.get(f"/api/v1/plans/{plan_id}").json["published"] is False
    odd = browser.post(url, data={**form, "action": "launch"})
    assert odd.status_code == 400 and "unknown action" in odd.get_data(as_text=True)
    assert browser.post(url, data={**form, "action": "delete"}).status_code == 303
    assert plan_count(plan_app) == 0


def test_publishing_a_queued_plan_is_refused_on_the_page(plan_app, gate) -> None:
    plan_id = plan_app.test_client().post("/api/v1/plans", json={"new": 1}).json["id"]
    browser, token = signed_in(plan_app)
    refused = browser.post(f"/plans/{plan_id}", data={"csrf_token": token, "action": "publish"})
    assert refused.status_code == 409
    assert "only a done plan can be published" in refused.get_data(as_text=True)


def test_the_list_is_paged(plan_app, gate, monkeypatch) -> None:
    monkeypatch.setattr(plan_list, "PAGE_SIZE", 2)
    api = plan_app.test_client()
    for n in (1, 2, 3):
        api.post("/api/v1/plans", json={"new": n, "name": f"plan {n}"})
    first = api.get("/plans?lang=en").get_data(as_text=True)
    assert re.findall(r"<h2>(plan \d)", first) == ["plan 3", "plan 2"]
    assert "1–2 of 3" in first and 'href="/plans?offset=2" rel="next"' in first
    last = api.get("/plans?offset=2&lang=en").get_data(as_text=True)
    assert re.findall(r"<h2>(plan \d)", last) == ["plan 1"] and 'rel="prev"' in last


def test_compare_shows_inputs_curves_and_common_sites(plan_app) -> None:
    """A places B1/B2's cell then C's; B (one site) only B1/B2's: one site in common."""
    api = plan_app.test_client()
    a, b = done_plan(api, name="two"), done_plan(api, new="1", name="one")
    html = api.get(f"/plans/compare?a={a}&b={b}&lang=en").get_data(as_text=True)
    assert "1 sites in common (within 10 m), 1 only in A, 0 only in B." in html
    assert "A: two" in html and "B: one" in html
    assert "93.8%" in html and "75.0%" in html  # covered after: A and B
    only_a = html.split('id="only-a"')[1].split("</table>")[0]
    assert "Fengtai District" in only_a and "<td>2</td>" in only_a  # pinyin on English pages
    assert html.count("<polyline") == 2
    listed = api.get("/plans?lang=en").get_data(as_text=True)
    assert 'action="/plans/compare"' in listed


def test_compare_needs_two_done_plans(plan_app, gate) -> None:
    api = plan_app.test_client()
    assert api.get("/plans/compare?lang=en").status_code == 400
    assert api.get("/plans/compare?a=nope&b=nope&lang=en").status_code == 404
    queued = api.post("/api/v1/plans", json={"new": 1}).json["id"]
    answer = api.get(f"/plans/compare?a={queued}&b={queued}&lang=en")
    assert answer.status_code == 409 and "once its status is done" in answer.get_data(as_text=True)
