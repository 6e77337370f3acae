"""Compression (Flask-Compress) and HTTP caching (ETag, Cache-Control, 304s)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import brotli
import pytest

from locator.db.imports import import_file
from locator.web.state import state_of
from tests.conftest import TINY_CSV

JS = "/static/js/finder.js"
CSS = "/static/css/site.css"
PNG = "/static/vendor/leaflet/images/marker-icon.png"
JSON_URL = "/api/v1/openapi.json"  # a large JSON answer
POINTS = "/api/v1/stations/points"
DECODE = {"gzip": gzip.decompress, "br": brotli.decompress}


def get(client, url: str, **headers: str):
    """GET ``url`` with ``headers`` (underscores for dashes), its body read and the
    response closed (a static file stays open until then)."""
    response = client.get(url, headers={k.replace("_", "-"): v for k, v in headers.items()})
    response.get_data()
    response.close()
    return response


def plain(client, url: str) -> bytes:
    response = get(client, url, Accept_Encoding="identity")
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    return bytes(response.data)


@pytest.mark.parametrize("encoding", ["gzip", "br"])
@pytest.mark.parametrize("url", [JSON_URL, JS, CSS])
def test_text_is_compressed_when_asked(client, url: str, encoding: str) -> None:
    expected = plain(client, url)
    response = get(client, url, Accept_Encoding=encoding)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    assert int(response.headers["Content-Length"]) == len(response.data) < len(expected)
    assert DECODE[encoding](response.data) == expected


def test_brotli_is_preferred_and_identity_is_the_default(client) -> None:
    both = get(client, JS, Accept_Encoding="gzip, deflate, br")
    assert both.headers["Content-Encoding"] == "br"
    assert "Content-Encoding" not in get(client, JS).headers  # no Accept-Encoding
    asked_other = get(client, JS, Accept_Encoding="compress")
    assert "Content-Encoding" not in asked_other.headers


def test_png_is_not_compressed(client) -> None:
    response = get(client, PNG, Accept_Encoding="gzip, br")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert "Content-Encoding" not in response.headers
    assert response.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_small_answers_stay_plain(client) -> None:
    response = get(client, "/api/v1/health", Accept_Encoding="gzip, br")
    assert "Content-Encoding" not in response.headers
    assert response.get_json()["ok"] is True


def test_public_pages_stay_cookie_free_and_keep_their_nonce(client) -> None:
    response = get(client, "/?tiles=none", Accept_Encoding="br")
    assert response.headers["Content-Encoding"] == "br"
    assert "Set-Cookie" not in response.headers
    assert response.headers["Vary"] == "Accept-Encoding"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    html = brotli.decompress(response.data).decode("utf-8")
    assert "/api/v1/stations/points" in html
    assert "/api/v1/stations?limit=" not in html


def test_static_files_revalidate_to_304(client) -> None:
    for encoding in ("identity", "br", "gzip"):
        first = get(client, CSS, Accept_Encoding=encoding)
        assert first.headers["Cache-Control"] == "no-cache"
        tag = first.headers["ETag"]
        again = get(client, CSS, Accept_Encoding=encoding, If_None_Match=tag)
        assert again.status_code == 304, encoding
        assert again.data == b""


def test_points_carry_an_etag_and_answer_304(client, app) -> None:
    first = client.get(POINTS)
    version = state_of(app).live.current().version
    assert first.headers["ETag"] == f'"points-v{version}"'
    assert first.headers["Cache-Control"] == "public, max-age=30"
    again = client.get(POINTS, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    stale = client.get(POINTS, headers={"If-None-Match": '"points-v0"'})
    assert stale.status_code == 200
    assert stale.get_json()["count"] == 3


def test_compressed_points_have_their_own_etag(client, app) -> None:
    app.config["COMPRESS_MIN_SIZE"] = 0  # the three-station answer is under the threshold
    first = get(client, POINTS, Accept_Encoding="br")
    assert first.headers["Content-Encoding"] == "br"
    tag = first.headers["ETag"]
    assert tag.endswith(':br"')
    assert json.loads(brotli.decompress(first.data))["count"] == 3
    again = get(client, POINTS, Accept_Encoding="br", If_None_Match=tag)
    assert again.status_code == 304


def test_a_new_dataset_version_changes_the_points_etag(client, app, tmp_path: Path) -> None:
    st = state_of(app)
    first = client.get(POINTS)
    path = tmp_path / "more.csv"
    path.write_text(TINY_CSV.replace("t3,", "t4,"), encoding="utf-8")
    import_file(st.engine, path, st.regions, actor="test")
    assert st.live.refresh()
    after = client.get(POINTS, headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != first.headers["ETag"]
    assert after.get_json()["ids"] == ["t1", "t2", "t4"]
