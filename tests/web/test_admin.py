"""The admin pages: a file is checked (report and changes) and applied only when an admin
confirms it; versions can be rolled back; the audit log is paged and escaped. Writes
need the admin role (401/403 in the JSON error shape) and the page's CSRF token."""

from __future__ import annotations

import io
import re

import pytest

from locator import create_app
from locator.db import accounts
from locator.db.datasets import list_versions, served_version
from locator.errors import error_body
from locator.web.state import state_of
from tests.conftest import PLANNER_PASSWORD, TINY_CSV, add_planner

pytestmark = pytest.mark.both_databases

ADMIN_PASSWORD = "admin password"
HEADER = TINY_CSV.splitlines()[0]
T1, T2, _T3 = TINY_CSV.splitlines()[1:4]
# t1 moves about 111 m north, t2 gains a shower, t3 (Xi'an) is gone and t4 is new.
NEW_CSV = "\n".join(
    [
        HEADER,
        T1.replace("39.913", "39.914"),
        T2.replace(",否,有,", ",是,有,"),
        "t4,王府井驿站,warm_heart,116.411,39.915,东城区王府井大街,24/7,工会服务站,,test,2024-01-01,是,是,",
    ]
)
BAD_CSV = NEW_CSV + "\nt5,坏行,warm_heart,abc,39.9,,,,,test,,,,\n"
XSS = "<script>alert(1)</script>"
WRITES = (
    "/admin/import",
    "/admin/import/x/confirm",
    "/admin/import/x/discard",
    "/admin/datasets/1/rollback",
)


@pytest.fixture()
def site(app):
    accounts.add_user(state_of(app).engine, "root", ADMIN_PASSWORD, "admin", actor="test")
    add_planner(app)
    return app


def sign_in(app, name: str = "root", password: str = ADMIN_PASSWORD):
    """A browser (reading English) signed in through the form; its client and the page's
    CSRF token."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post("/login", data={"name": name, "password": password, "csrf_token": token})
    assert answer.status_code == 302
    return client, token


def upload(client, token: str | None, text: str, name: str = "new.csv", **fields):
    data = {"file": (io.BytesIO(text.encode("utf-8")), name), **fields}
    if token is not None:
        data["csrf_token"] = token
    return client.post("/admin/import", data=data, content_type="multipart/form-data")


def pending_id(page: str) -> str:
    return re.search(r'action="/admin/import/([^/"]+)/discard"', page).group(1)


def count(page: str, what: str) -> int:
    return int(re.search(rf'id="count-{what}">(\d+)<', page).group(1))


def assert_shape(response, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.json == error_body(response.json["error"], status)
    return str(response.json["error"])


def nearest_id(client, lat: float, lon: float) -> str:
    body = client.get(f"/api/v1/nearest?lat={lat}&lon={lon}").json
    return str(body["features"][0]["id"])


def test_every_write_needs_an_admin(site) -> None:
    planner, token = sign_in(site, "planner", PLANNER_PASSWORD)
    bearer = {
        "Authorization": f"Bearer {accounts.create_token(state_of(site).engine, 'planner', 'planner', 't', 'test')}"
    }
    for url in WRITES:
        assert "sign in" in assert_shape(site.test_client().post(url), 401)
        assert "needs the admin role" in assert_shape(
            planner.post(url, data={"csrf_token": token}), 403
        )
        assert_shape(site.test_client().post(url, headers=bearer), 403)
    assert served_version(state_of(site).engine) == 1


def test_pages_send_nobody_to_sign_in_and_refuse_other_roles(site) -> None:
    planner, _ = sign_in(site, "planner", PLANNER_PASSWORD)
    for url in ("/admin/import", "/admin/datasets", "/admin/audit", "/admin"):
        answer = site.test_client().get(url)
        assert answer.status_code == 302
        assert answer.headers["Location"] == f"/login?next={url}"
        refused = planner.get(url)
        assert refused.status_code == 403 and b"admin role" in refused.data


def test_a_write_without_the_csrf_token_is_refused(site) -> None:
    admin, token = sign_in(site)
    assert "CSRF" in assert_shape(upload(admin, None, NEW_CSV), 400)
    good = upload(admin, token, NEW_CSV)
    assert good.status_code == 200
    found = pending_id(good.get_data(as_text=True))
    for url in (f"/admin/import/{found}/confirm", f"/admin/import/{found}/discard"):
        assert "CSRF" in assert_shape(admin.post(url), 400)
    assert "CSRF" in assert_shape(admin.post("/admin/datasets/1/rollback"), 400)
    assert served_version(state_of(site).engine) == 1


def test_a_bad_row_is_reported_and_nothing_can_be_confirmed(site) -> None:
    admin, token = sign_in(site)
    answer = upload(admin, token, BAD_CSV, name="bad.csv")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "bad.csv:5 [lon=&#39;abc&#39;] error:" in page  # the line `locator validate` prints
    assert "3 valid station(s), 1 error(s), 0 warning(s)." in page
    assert 'id="confirm-form"' not in page and 'id="import-changes"' not in page
    assert served_version(state_of(site).engine) == 1
    assert nearest_id(site.test_client(), 34.27, 108.94) == "t3"


def test_an_unreadable_file_says_why(site) -> None:
    admin, token = sign_in(site)
    answer = upload(admin, token, "not a workbook", name="x.xlsx")
    assert answer.status_code == 422 and b'id="import-error"' in answer.data
    assert upload(admin, token, NEW_CSV, kind="boat").status_code == 400


def test_a_file_over_the_upload_limit_is_refused(data_dir, tmp_path) -> None:
    app = create_app(
        {"TESTING": True, "DATA_DIR": data_dir, "STORE": tmp_path / "s.gpkg",
         "UPLOAD_MAX_BYTES": 1000}
    )  # fmt: skip
    accounts.add_user(state_of(app).engine, "root", ADMIN_PASSWORD, "admin", actor="test")
    admin, token = sign_in(app)
    answer = upload(admin, token, NEW_CSV + "\n" * 80_000)
    assert answer.status_code == 413 and b'id="import-error"' in answer.data
    assert b"LOCATOR_UPLOAD_MAX_BYTES" in answer.data
    assert_shape(upload(app.test_client(), None, NEW_CSV + "\n" * 80_000), 401)
    assert served_version(state_of(app).engine) == 1


def test_a_good_file_shows_what_would_change_and_changes_nothing(site) -> None:
    admin, token = sign_in(site)
    page = upload(admin, token, NEW_CSV).get_data(as_text=True)
    assert [count(page, k) for k in ("added", "removed", "moved", "amenities", "fields")] == [
        1,
        1,
        1,
        1,
        0,
    ]
    assert "王府井驿站" in page and "西安港司机之家" in page and 'id="confirm-form"' in page
    merged = upload(admin, token, NEW_CSV, merge="1").get_data(as_text=True)
    assert (count(merged, "removed"), count(merged, "kept")) == (0, 1)
    assert served_version(state_of(site).engine) == 1


def test_confirm_serves_the_new_version_and_is_audited(site) -> None:
    admin, token = sign_in(site)
    found = pending_id(upload(admin, token, NEW_CSV).get_data(as_text=True))
    done = admin.post(f"/admin/import/{found}/confirm", data={"csrf_token": token})
    assert done.status_code == 303 and done.headers["Location"] == f"/admin/import/{found}"
    shown = admin.get(done.headers["Location"]).get_data(as_text=True)
    assert "dataset version 2 is now served" in shown
    st = state_of(site)
    assert served_version(st.engine) == 2
    st.live.refresh()  # what the poller does within LOCATOR_LIVE_POLL_S
    public = site.test_client()
    assert nearest_id(public, 39.915, 116.411) == "t4"
    assert nearest_id(public, 34.27, 108.94) != "t3"
    audit = admin.get("/admin/audit").get_data(as_text=True)
    for action in ("check import", "import", "confirm import", "sign in"):
        assert f"<td>{action}</td>" in audit


def test_confirm_twice_or_after_another_import_is_a_conflict(site) -> None:
    admin, token = sign_in(site)
    first = pending_id(upload(admin, token, NEW_CSV).get_data(as_text=True))
    second = pending_id(upload(admin, token, TINY_CSV, name="again.csv").get_data(as_text=True))
    assert (
        admin.post(f"/admin/import/{second}/confirm", data={"csrf_token": token}).status_code == 303
    )
    again = admin.post(f"/admin/import/{second}/confirm", data={"csrf_token": token})
    assert again.status_code == 409 and b"applied already" in again.data
    stale = admin.post(f"/admin/import/{first}/confirm", data={"csrf_token": token})
    assert stale.status_code == 409
    assert b"served data changed since this check; check the file again" in stale.data
    assert served_version(state_of(site).engine) == 2
    assert len(list_versions(state_of(site).engine)) == 2


def test_discard(site) -> None:
    admin, token = sign_in(site)
    found = pending_id(upload(admin, token, NEW_CSV).get_data(as_text=True))
    gone = admin.post(f"/admin/import/{found}/discard", data={"csrf_token": token})
    assert gone.status_code == 303
    assert b'id="import-discarded"' in admin.get(gone.headers["Location"]).data
    late = admin.post(f"/admin/import/{found}/confirm", data={"csrf_token": token})
    assert late.status_code == 409 and b"discarded already" in late.data
    assert served_version(state_of(site).engine) == 1
    assert "<td>discard import</td>" in admin.get("/admin/audit").get_data(as_text=True)


def test_names_from_files_are_escaped(site) -> None:
    admin, token = sign_in(site)
    text = NEW_CSV.replace("王府井驿站", XSS)
    page = upload(admin, token, text, name="<b>stations.csv").get_data(as_text=True)
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>stations.csv" not in page and "&lt;b&gt;stations.csv" in page
    audit = admin.get("/admin/audit").get_data(as_text=True)
    assert "<b>stations.csv" not in audit and "source: &lt;b&gt;stations.csv" in audit


def test_rollback_from_the_page(site) -> None:
    admin, token = sign_in(site)
    found = pending_id(upload(admin, token, NEW_CSV).get_data(as_text=True))
    admin.post(f"/admin/import/{found}/confirm", data={"csrf_token": token})
    listing = admin.get("/admin/datasets").get_data(as_text=True)
    assert 'id="version-2" class="is-served"' in listing and "new.csv" in listing
    back = admin.post("/admin/datasets/1/rollback", data={"csrf_token": token})
    assert back.status_code == 303 and back.headers["Location"] == "/admin/datasets"
    assert served_version(state_of(site).engine) == 1
    assert 'id="version-1" class="is-served"' in admin.get("/admin/datasets").get_data(as_text=True)
    assert "<td>rollback</td>" in admin.get("/admin/audit").get_data(as_text=True)
    missing = admin.post("/admin/datasets/99/rollback", data={"csrf_token": token})
    assert_shape(missing, 404)


def test_the_audit_log_is_paged(site) -> None:
    admin, _ = sign_in(site)
    engine = state_of(site).engine
    for n in range(105):
        accounts.create_token(engine, "planner", "planner", f"t{n}", "test")
    first = admin.get("/admin/audit").get_data(as_text=True)
    assert first.count("<td>create token</td>") == 100
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = admin.get("/admin/audit?page=2").get_data(as_text=True)
    assert 'rel="prev"' in second and "<td>add user</td>" in second
    assert_shape(admin.get("/admin/audit?page=x"), 400)
