"""An admin imports a file through the import page of a gunicorn server with two
workers: sign in, check the file, confirm, and within 2 s every worker answers from the
new data. Loopback only, bounded in time."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Route

from tests.conftest import TINY_CSV, write_dataset

BIN = Path(sys.executable).parent
PASSWORD = "a long admin password"
LIVE_WITHIN_S = 2.0
# t4 is new, right where the query below asks; before the import t1 (东单) is nearest.
NEW_CSV = (
    TINY_CSV
    + "t4,王府井驿站,warm_heart,116.411,39.915,东城区王府井大街,24/7,工会服务站,,test,2024-01-01,是,是,\n"
)
NEAREST = "/api/v1/nearest?lat=39.915&lon=116.411"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _nearest(base: str) -> str:
    """The nearest station's id, over a new connection (so either worker may answer)."""
    with requests.Session() as fresh:
        answer = fresh.get(base + NEAREST, timeout=5)
        answer.raise_for_status()
        return str(answer.json()["features"][0]["id"])


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """gunicorn -w 2 on a free loopback port, with an admin; its base URL."""
    root = tmp_path_factory.mktemp("admin-import")
    env = {
        **os.environ,
        "LOCATOR_DATA_DIR": str(write_dataset(root / "data", TINY_CSV)),
        "LOCATOR_STORE": str(root / "store.gpkg"),
        "LOCATOR_DATABASE_URL": f"sqlite:///{root / 'locator.db'}",
        "LOCATOR_QUEUE_URL": f"sqlite:///{root / 'queue.db'}",
        "LOCATOR_PLAN_WORKERS": "0",
        "LOCATOR_SECRET_KEY": "test",
    }
    subprocess.run([str(BIN / "locator"), "db", "upgrade"], env=env, check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    port = _free_port()
    web = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "locator:create_app()"],
        env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/api/v1/health", timeout=5).ok:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        else:
            pytest.fail("gunicorn did not answer within 90 s")
        subprocess.run([str(BIN / "locator"), "users", "add", "root", "--role", "admin",
                        "--password-stdin"], input=PASSWORD + "\n", env=env, check=True,
                       capture_output=True, text=True, timeout=60)  # fmt: skip
        yield base
    finally:
        web.send_signal(signal.SIGTERM)
        try:
            web.wait(timeout=20)
        except subprocess.TimeoutExpired:
            web.kill()
            web.wait()


def test_an_import_confirmed_on_the_page_is_served_by_every_worker(
    browser: Browser, server: str
) -> None:
    assert {_nearest(server) for _ in range(10)} == {"t1"}
    context = browser.new_context(locale="en-GB")
    leaving: list[str] = []

    def local_only(route: Route) -> None:
        if route.request.url.startswith(server + "/"):
            route.continue_()
        else:
            leaving.append(route.request.url)
            route.abort()

    context.route("**/*", local_only)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(server + "/admin/import")
        assert "/login?next=/admin/import" in page.url
        page.fill("#name", "root")
        page.fill("#password", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(server + "/admin/import")
        page.set_input_files(
            "#file", files=[{"name": "new.csv", "mimeType": "text/csv", "buffer": NEW_CSV.encode()}]
        )
        page.click("#check")
        page.wait_for_selector("#import-changes")
        assert page.text_content("#count-added") == "1"
        assert page.text_content("#count-removed") == "0"
        assert _nearest(server) == "t1"  # nothing applied before the confirm
        confirmed_at = time.monotonic()
        page.click("#confirm")
        page.wait_for_selector("#import-applied")
        assert "version 2" in (page.text_content("#import-applied") or "")
    finally:
        context.close()
    answers: list[tuple[float, str]] = []
    while time.monotonic() < confirmed_at + LIVE_WITHIN_S + 1.0:
        answers.append((time.monotonic() - confirmed_at, _nearest(server)))
    late = [(round(t, 2), found) for t, found in answers if t >= LIVE_WITHIN_S and found != "t4"]
    assert late == [], f"old data served more than {LIVE_WITHIN_S} s after confirming"
    assert answers[-1][1] == "t4" and len(answers) >= 10
    assert {_nearest(server) for _ in range(20)} == {"t4"}
    assert leaving == []
