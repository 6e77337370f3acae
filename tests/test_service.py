"""The service as it runs in production, on this machine: gunicorn with two web workers,
the database, plans on the Redis queue run by two ``locator worker`` processes.

Every plan is answered by every web worker; an import is served by every worker within
2 s without a restart; a plan whose worker is killed ends failed with its reason.
Loopback only, bounded in time. With ``CI=true`` a missing Redis fails the run.
"""

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

from tests.conftest import DATA, TINY_CSV, write_dataset

BIN = Path(sys.executable).parent
REDIS_URL = "redis://127.0.0.1:6379/15"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[dict]:
    if not _redis_up():
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is required when CI=true (127.0.0.1:6379)")
        pytest.skip("no Redis at 127.0.0.1:6379")
    root = tmp_path_factory.mktemp("service")
    data = write_dataset(root / "data", TINY_CSV)
    for folder in ("census", "places"):
        (data / folder).symlink_to(DATA / folder)
    port = _free_port()
    env = {
        **os.environ,
        "LOCATOR_DATA_DIR": str(data),
        "LOCATOR_STORE": str(root / "store.gpkg"),
        "LOCATOR_DATABASE_URL": f"sqlite:///{root / 'locator.db'}",
        "LOCATOR_QUEUE_URL": REDIS_URL,
        "LOCATOR_PLAN_WORKERS": "0",
        "LOCATOR_PLAN_QUEUE": "50",
        "LOCATOR_PLAN_STALE_S": "6",
        "LOCATOR_SECRET_KEY": "test",
        "LOCATOR_RATELIMIT_EXPENSIVE": "1000 per minute",
    }
    run = lambda *args: subprocess.run(  # noqa: E731
        [str(BIN / "locator"), *args], env=env, check=True, capture_output=True, text=True
    )
    run("db", "upgrade")
    web = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "locator:create_app()"],
        env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    workers = [
        subprocess.Popen([str(BIN / "locator"), "worker"], env=env, cwd=root,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(2)
    ]  # fmt: skip
    try:
        yield from _ready(f"http://127.0.0.1:{port}", env, run, workers, root)
    finally:
        for proc in [web, *workers]:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in [web, *workers]:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _ready(base: str, env: dict, run, workers: list, root: Path) -> Iterator[dict]:
    """Wait for the web workers, add a planner and yield what the tests need."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/api/v1/health", timeout=10).ok:
                break
        except requests.RequestException:  # a worker still loading the app
            time.sleep(0.3)
    subprocess.run([str(BIN / "locator"), "users", "add", "li", "--role", "planner",
                    "--password-stdin"], input="a long password\n", env=env, check=True,
                   capture_output=True, text=True)  # fmt: skip
    token = run("tokens", "create", "--user", "li", "--role", "planner").stdout.split()[-1]
    yield {"base": base, "env": env, "run": run, "token": token, "workers": workers, "root": root}


def _wait(base: str, plan_id: str, statuses: tuple[str, ...], timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = requests.get(f"{base}/api/v1/plans/{plan_id}", timeout=5).json()
        if body["status"] in statuses:
            return body
        time.sleep(0.2)
    raise AssertionError(f"plan {plan_id} did not reach {statuses}: {body}")


def test_plans_are_answered_by_every_worker(service) -> None:
    base, auth = service["base"], {"Authorization": f"Bearer {service['token']}"}
    assert requests.post(f"{base}/api/v1/plans", json={"new": 1}).status_code == 401
    ids = []
    for n in range(6):
        answer = requests.post(
            f"{base}/api/v1/plans", json={"new": 1 + n % 2, "time_limit_s": 5}, headers=auth
        )
        assert answer.status_code == 202, answer.text
        assert answer.headers["Location"] == f"/api/v1/plans/{answer.json()['id']}"
        ids.append(answer.json()["id"])
    for plan_id in ids:
        assert _wait(base, plan_id, ("done", "failed"))["status"] == "done"
        for _ in range(6):  # new connections: both web workers answer
            with requests.Session() as fresh:
                assert (
                    fresh.get(f"{base}/api/v1/plans/{plan_id}", timeout=5).json()["status"]
                    == "done"
                )
                assert fresh.get(f"{base}/api/v1/plans/{plan_id}/sites.csv", timeout=5).ok


def test_an_import_is_served_by_every_worker_within_2_s(service) -> None:
    base, root = service["base"], service["root"]
    path = root / "new.csv"
    path.write_text("id,name,kind,lon,lat\nn1,新驿站,warm_heart,116.40,39.90\n", encoding="utf-8")
    before = requests.get(f"{base}/api/v1/datasets", timeout=5).json()["datasets"][0]["version"]
    service["run"]("import", str(path))
    time.sleep(2.0)
    for _ in range(20):
        with requests.Session() as fresh:
            found = fresh.get(f"{base}/api/v1/datasets", timeout=5).json()["datasets"][0]
            assert found["version"] == before + 1 and found["count"] == 1
            near = fresh.get(f"{base}/api/v1/nearest?lat=39.9&lon=116.4&k=1", timeout=5).json()
            assert near["features"][0]["id"] == "n1"
    service["run"]("datasets", "rollback", str(before))


def test_a_plan_whose_worker_is_killed_fails_with_its_reason(service) -> None:
    base, auth = service["base"], {"Authorization": f"Bearer {service['token']}"}
    body = {"new": 400, "radius_m": 1000, "time_limit_s": 60}
    plan_id = requests.post(f"{base}/api/v1/plans", json=body, headers=auth).json()["id"]
    _wait(base, plan_id, ("running",))
    for proc in service["workers"]:
        proc.send_signal(signal.SIGKILL)
    failed = _wait(base, plan_id, ("failed", "done"), timeout_s=30)
    assert failed["status"] == "failed" and "worker running this plan stopped" in failed["error"]
