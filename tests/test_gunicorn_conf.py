"""gunicorn.conf.py: a worker timeout above the app's deadline, and gunicorn's own errors
(a worker killed for taking too long, a bad request line) in the JSON error shape."""

from __future__ import annotations

import json
import runpy
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from gunicorn import util

from locator import config
from locator.errors import error_body

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "gunicorn.conf.py"
GUNICORN = Path(sys.executable).with_name("gunicorn")


def slow_app(environ, start_response):
    time.sleep(60)


@pytest.fixture()
def conf(monkeypatch):
    """The settings gunicorn.conf.py makes (its patch of gunicorn undone afterwards)."""
    monkeypatch.setattr(util, "write_error", util.write_error)

    def load(**environ: str) -> dict:
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(CONF))

    return load


def test_the_worker_timeout_lies_above_the_apps_deadline(conf) -> None:
    default = {s.name: s.default for s in config.SETTINGS}["REQUEST_DEADLINE_S"]
    found = conf()
    assert found["timeout"] == default + 30 and found["worker_class"] == "gthread"
    assert found["wsgi_app"] == "locator:create_app()" and found["threads"] > 1
    assert conf(LOCATOR_REQUEST_DEADLINE_S="100")["timeout"] == 130


def test_gunicorn_errors_are_written_as_json(conf) -> None:
    write_error = conf()["json_error"]
    assert util.write_error is write_error
    left, right = socket.socketpair()
    with left, right:
        write_error(left, 400, "Bad Request", "Invalid request line '<script>'")
        left.shutdown(socket.SHUT_WR)
        raw = right.recv(65536).decode("utf-8")
    head, body = raw.split("\r\n\r\n", 1)
    assert head.startswith("HTTP/1.1 400 Bad Request\r\n")
    assert "Content-Type: application/json" in head
    assert f"Content-Length: {len(body.encode())}" in head
    assert json.loads(body) == error_body("Invalid request line '<script>'", 400)


def test_a_worker_killed_for_its_timeout_answers_in_the_json_shape(tmp_path) -> None:
    if not GUNICORN.exists():
        pytest.skip("gunicorn is not installed next to this Python")
    log = tmp_path / "gunicorn.log"
    # sync, one thread: gunicorn kills the worker once it is 2 s late
    command = [str(GUNICORN), "-c", str(CONF), "--worker-class", "sync", "--threads", "1"]
    command += ["--workers", "1", "--timeout", "2", "--graceful-timeout", "1"]
    command += ["--no-control-socket", "--bind", "127.0.0.1:0", "--error-logfile", str(log)]
    command += ["tests.test_gunicorn_conf:slow_app"]
    server = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        url = _listening_url(log, server)
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(url, timeout=30)
        answer = caught.value
        assert answer.code == 500 and answer.headers["Content-Type"] == "application/json"
        body = json.loads(answer.read())
        assert body == error_body(body["error"], 500) and "took too long" in body["error"]
    finally:
        server.terminate()
        server.wait(timeout=30)


def _listening_url(log: Path, server: subprocess.Popen) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text() if log.exists() else "gunicorn exited"
        text = log.read_text() if log.exists() else ""
        for line in text.splitlines():
            if "Listening at: " in line:
                return line.split("Listening at: ")[1].split()[0]
        time.sleep(0.1)
    raise AssertionError(f"gunicorn did not start: {log.read_text()}")
