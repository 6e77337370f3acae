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
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests

from tests.conftest import DATA, TINY_CSV, _postgres_database, write_dataset

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


class Service:
    """gunicorn with four web workers and two ``locator worker`` processes over one
    PostgreSQL database and the Redis queue; :meth:`restart` stops and starts them all."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root, self.env, self.port = root, env, _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.web: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "locator"), *args], env=self.env, check=True,
                              capture_output=True, text=True, input=stdin)  # fmt: skip

    def _spawn(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([*args], env=self.env, cwd=self.root,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip

    def start(self) -> None:
        self.web = self._spawn(str(BIN / "gunicorn"), "-w", "4", "-b",
                               f"127.0.0.1:{self.port}", "locator:create_app()")  # fmt: skip
        self.workers = [self.add_worker() for _ in range(2)]
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base}/api/v1/health", timeout=30).ok:
                    return
            except requests.RequestException:  # workers still loading the app
                time.sleep(0.3)
        raise AssertionError("gunicorn did not start")

    def add_worker(self) -> subprocess.Popen:
        return self._spawn(str(BIN / "locator"), "worker")

    def stop(self) -> None:
        procs = [p for p in [self.web, *self.workers] if p is not None and p.poll() is None]
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[Service]:
    if not _redis_up():
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is required when CI=true (127.0.0.1:6379)")
        pytest.skip("no Redis at 127.0.0.1:6379")
    root = tmp_path_factory.mktemp("service")
    data = write_dataset(root / "data", TINY_CSV)
    for folder in ("census", "places"):
        (data / folder).symlink_to(DATA / folder)
    for database_url in _postgres_database():
        env = {
            **os.environ,
            "LOCATOR_DATA_DIR": str(data),
            "LOCATOR_STORE": str(root / "store.gpkg"),
            "LOCATOR_DATABASE_URL": database_url,
            "LOCATOR_QUEUE_URL": REDIS_URL,
            "LOCATOR_PLAN_WORKERS": "0",
            "LOCATOR_PLAN_QUEUE": "60",
            "LOCATOR_PLAN_STALE_S": "6",
            "LOCATOR_SECRET_KEY": "test",
            "LOCATOR_RATELIMIT_EXPENSIVE": "1000 per minute",
        }
        redis.Redis.from_url(REDIS_URL).flushdb()  # no jobs left from an earlier run
        found = Service(root, env)
        found.run("db", "upgrade")
        found.start()
        try:
            found.run("users", "add", "li", "--role", "planner", "--password-stdin",
                      stdin="a long password\n")  # fmt: skip
            found.token = found.run("tokens", "create", "--user", "li", "--role",
                                    "planner").stdout.split()[-1]  # fmt: skip
            yield found
        finally:
            found.stop()


def _wait(base: str, plan_id: str, statuses: tuple[str, ...], timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = requests.get(f"{base}/api/v1/plans/{plan_id}", timeout=30).json()
        if body["status"] in statuses:
            return body
        time.sleep(0.2)
    raise AssertionError(f"plan {plan_id} did not reach {statuses}: {body}")


def _answers_everywhere(base: str, plan_id: str, tries: int = 8) -> None:
    """Status and download from ``tries`` fresh connections (spread over the workers)."""
    for _ in range(tries):
        with requests.Session() as fresh:
            assert (
                fresh.get(f"{base}/api/v1/plans/{plan_id}", timeout=30).json()["status"] == "done"
            )
            assert fresh.get(f"{base}/api/v1/plans/{plan_id}/sites.csv", timeout=30).ok


def test_fifty_plans_are_answered_by_every_worker(service) -> None:
    base, auth = service.base, {"Authorization": f"Bearer {service.token}"}
    assert requests.post(f"{base}/api/v1/plans", json={"new": 1}).status_code == 401
    ids = []
    for n in range(50):
        with requests.Session() as fresh:  # a new connection: any of the four web workers
            answer = fresh.post(f"{base}/api/v1/plans", headers=auth, timeout=30,
                                json={"new": 1 + n % 3, "time_limit_s": 5})  # fmt: skip
        assert answer.status_code == 202, answer.text
        assert answer.headers["Location"] == f"/api/v1/plans/{answer.json()['id']}"
        ids.append(answer.json()["id"])
    for plan_id in ids:
        assert _wait(base, plan_id, ("done", "failed"), timeout_s=120)["status"] == "done"
        _answers_everywhere(base, plan_id)
    service.done = ids


def test_an_import_is_served_by_every_worker_within_2_s(service) -> None:
    base, root = service.base, service.root
    path = root / "new.csv"
    path.write_text("id,name,kind,lon,lat\nn1,新驿站,warm_heart,116.40,39.90\n", encoding="utf-8")
    before = requests.get(f"{base}/api/v1/datasets", timeout=30).json()["datasets"][0]["version"]
    service.run("import", str(path))
    time.sleep(2.0)
    for _ in range(20):
        with requests.Session() as fresh:
            found = fresh.get(f"{base}/api/v1/datasets", timeout=30).json()["datasets"][0]
            assert found["version"] == before + 1 and found["count"] == 1
            near = fresh.get(f"{base}/api/v1/nearest?lat=39.9&lon=116.4&k=1", timeout=30).json()
            assert near["features"][0]["id"] == "n1"
    service.run("datasets", "rollback", str(before))


def _stations(prefix: str, n: int) -> str:
    rows = [f"{prefix}{i:02d},驿站{prefix}{i},warm_heart,{116.30 + i * 0.005:.3f},39.90"
            for i in range(n)]  # fmt: skip
    return "id,name,kind,lon,lat\n" + "\n".join(rows) + "\n"


def test_an_import_under_load_is_answered_without_errors_or_mixed_versions(service) -> None:
    """Four clients ask for the nearest stations while an import replaces 40 stations
    (a00…) with 60 others (b00…): every answer is a 200 from exactly one version."""
    base, root = service.base, service.root
    (root / "a.csv").write_text(_stations("a", 40), encoding="utf-8")
    (root / "b.csv").write_text(_stations("b", 60), encoding="utf-8")
    service.run("import", str(root / "a.csv"))
    time.sleep(2.0)
    answers: list[tuple[float, int, dict]] = []
    stop = threading.Event()

    def ask() -> None:
        while not stop.is_set():
            asked = time.monotonic()
            with requests.Session() as fresh:
                got = fresh.get(f"{base}/api/v1/nearest?lat=39.9&lon=116.4&k=10", timeout=30)
            answers.append((asked, got.status_code, got.json()))

    clients = [threading.Thread(target=ask) for _ in range(4)]
    for client in clients:
        client.start()
    time.sleep(1.0)
    service.run("import", str(root / "b.csv"))
    imported = time.monotonic()
    time.sleep(3.0)
    stop.set()
    for client in clients:
        client.join(timeout=60)
    assert answers and all(status == 200 for _, status, _ in answers)
    versions = {}
    for asked, _, body in answers:
        prefixes = {feature["id"][0] for feature in body["features"]}
        assert len(prefixes) == 1 and len(body["features"]) == 10, prefixes
        prefix = prefixes.pop()
        assert body["numberMatched"] == {"a": 40, "b": 60}[prefix]
        assert versions.setdefault(prefix, body["dataset"]["version"]) == body["dataset"]["version"]
        if asked > imported + 2.0:  # every worker serves the import within 2 s
            assert prefix == "b"
    assert set(versions) == {"a", "b"} and versions["b"] == versions["a"] + 1


def test_a_plan_whose_worker_is_killed_ends_failed_with_its_reason(service) -> None:
    """Both queue workers get a long plan; one is killed with SIGKILL. Its plan ends
    failed with the reason (plans are not retried: a plan that killed its worker once
    would do it again), the other finishes; neither stays running."""
    base, auth = service.base, {"Authorization": f"Bearer {service.token}"}
    body = {"new": 400, "radius_m": 1000, "time_limit_s": 20}
    ids = [requests.post(f"{base}/api/v1/plans", json=body, headers=auth).json()["id"]
           for _ in range(2)]  # fmt: skip
    for plan_id in ids:
        _wait(base, plan_id, ("running",))
    service.workers[0].send_signal(signal.SIGKILL)
    service.workers[0].wait()
    ends = [_wait(base, plan_id, ("failed", "done"), timeout_s=90) for plan_id in ids]
    failed = [end for end in ends if end["status"] == "failed"]
    assert len(failed) == 1 and "worker running this plan stopped" in failed[0]["error"]
    service.workers[0] = service.add_worker()


def test_every_finished_plan_survives_a_restart(service) -> None:
    done = getattr(service, "done", None)
    if not done:
        pytest.skip("needs the plans of test_fifty_plans_are_answered_by_every_worker")
    service.restart()
    for plan_id in done:
        _answers_everywhere(service.base, plan_id, tries=2)
