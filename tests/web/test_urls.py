"""Absolute URLs come from LOCATOR_PUBLIC_URL or a trusted host: a forged Host header is
refused before any link is built from it."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from locator import create_app
from locator.errors import error_body
from locator.web.handlers import UNTRUSTED_HOST

PUBLIC = "https://maps.example.org/locator"


@pytest.fixture()
def make(data_dir, tmp_path):
    def make_client(**settings):
        config = {"TESTING": True, "DATA_DIR": data_dir, "STORE": tmp_path / "s.gpkg"}
        return create_app({**config, **settings}).test_client()

    return make_client


def test_a_forged_host_gets_no_embed_code(client) -> None:
    evil = {"Host": "evil.example"}
    response = client.get("/oembed?url=http://evil.example/embed/stations", headers=evil)
    assert response.status_code == 400
    assert response.json == error_body(UNTRUSTED_HOST, 400)
    for url in ("/", "/embed/stations", "/api/v1/health"):
        response = client.get(url, headers=evil)
        assert response.status_code == 400 and "evil" not in response.get_data(as_text=True)


def test_a_trusted_host_builds_the_links(client) -> None:
    html = client.get("/oembed?url=http://localhost/embed/stations").json["html"]
    assert 'src="http://localhost/embed/stations"' in html
    assert 'src="http://localhost/static/js/embed-host.js"' in html
    with_port = client.get(
        "/oembed?url=http://127.0.0.1:8000/embed/stations", headers={"Host": "127.0.0.1:8000"}
    )
    assert with_port.status_code == 200 and "http://127.0.0.1:8000/" in with_port.json["html"]


def test_the_public_url_builds_every_absolute_link(make) -> None:
    api = make(PUBLIC_URL=PUBLIC + "/")
    embed = f"{PUBLIC}/embed/coverage?radius_m=800&lang=en"
    body = api.get(f"/oembed?url={quote(embed)}").json
    assert f'src="{PUBLIC}/embed/coverage?radius_m=800&amp;lang=en"' in body["html"]
    assert f'src="{PUBLIC}/static/js/embed-host.js"' in body["html"]
    assert body["provider_url"] == f"{PUBLIC}/"
    assert "localhost" not in json.dumps(body)
    finder = api.get("/").get_data(as_text=True)
    snippet = re.search(r'<textarea id="embed-snippet"[^>]*>(.*?)</textarea>', finder, re.S)
    assert snippet and f"{PUBLIC}/embed/stations?lang=zh" in snippet.group(1)
    page = api.get("/embed/stations?lang=en").get_data(as_text=True)
    link = re.search(r'type="application/json\+oembed" href="([^"]+)"', page).group(1)
    parts = urlsplit(html.unescape(link))
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{PUBLIC}/oembed"
    assert parse_qs(parts.query) == {"url": [f"{PUBLIC}/embed/stations?lang=en"]}
    # The public host is trusted; an embed URL on any other address is not ours.
    assert api.get("/api/v1/health", headers={"Host": "maps.example.org"}).status_code == 200
    other = api.get("/oembed?url=http://localhost/embed/stations")
    assert other.status_code == 404 and PUBLIC in other.json["error"]


def test_trusted_hosts_may_name_subdomains(make) -> None:
    api = make(TRUSTED_HOSTS="locator.example.org, .example.net")
    for host in ("locator.example.org", "a.example.net", "example.net"):
        assert api.get("/api/v1/health", headers={"Host": host}).status_code == 200
    for host in ("localhost", "example.org", "evil.example"):
        assert api.get("/api/v1/health", headers={"Host": host}).status_code == 400


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"TRUSTED_HOSTS": " "}, "LOCATOR_TRUSTED_HOSTS is empty"),
        ({"PUBLIC_URL": "maps.example.org"}, "LOCATOR_PUBLIC_URL must look like"),
        ({"PUBLIC_URL": "https://maps.example.org/?a=1"}, "LOCATOR_PUBLIC_URL must look like"),
    ],
)
def test_settings_that_would_trust_any_host_are_refused(make, settings, fragment) -> None:
    with pytest.raises(ValueError, match=fragment):
        make(**settings)
