"""Shared fixtures: a tiny station dataset checkable by hand, and the app built on it."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.pool import Pool

import locator
from locator import create_app
from locator.db import accounts
from locator.db.models import PlanRecord, User
from locator.db.session import engine_for, transaction, upgrade
from locator.errors import BadQuery
from locator.planning import queue
from locator.regions import Regions, load_regions
from locator.web.state import EXTENSION, state_of

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SHARED = ROOT.parent / "shared" / "data"

# Three stations whose districts are known: 东单 (东城区), 国贸 (朝阳区), 西安 city centre.
TINY_CSV = """\
id,name,kind,lon,lat,address,opening_hours,host_type,phone,source,updated,shower,toilet,amenities
t1,东单驿站,warm_heart,116.418,39.913,东城区东单北大街,24/7,工会服务站,,test,2024-01-01,是,是,
t2,国贸驿站,warm_heart,116.461,39.909,朝阳区建国门外大街,Mo-Fr 08:00-20:00,银行网点,,test,2024-01-01,否,有,"24小时热水、微波炉"
t3,西安港司机之家,driver_home,108.94,34.27,西安市,24/7,物流园区,,test,2024-01-01,是,,货车停车
"""


# Hand-checkable demand for the three-station fixture (1,000 m radius, 500 m cells):
# A (10) is 85 m from station t1 and already covered; B1 + B2 (50) are 200 m apart in
# 海淀区 (they fall in one cell: 4 cells in all); C (15) in 丰台区 and D (5) in 朝阳区
# stand alone, so 3 candidate cells remain.
# Two new sites take B then C: covered 10 -> 75 of 80 (12.5 % -> 93.75 %), D stays uncovered.
DEMAND_CSV = """\
lon,lat,weight
116.419,39.913,10
116.30,39.98,20
116.30,39.9818,30
116.28,39.85,15
116.60,39.95,5
"""


def write_dataset(folder: Path, csv_text: str, synthetic: bool = True) -> Path:
    """A data dir with the shipped boundaries and ``csv_text`` as its default stations."""
    (folder / "stations").mkdir(parents=True, exist_ok=True)
    (folder / "boundaries").symlink_to(DATA / "boundaries")
    (folder / "stations" / "synthetic_stations.csv").write_text(csv_text, encoding="utf-8")
    meta = {"name": "tiny test stations", "synthetic": synthetic, "description": "test fixture"}
    (folder / "stations" / "synthetic_stations.meta.json").write_text(json.dumps(meta))
    return folder


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_databases: run the test once on SQLite and once on PostgreSQL"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("both_databases"):
        metafunc.parametrize("database", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(autouse=True)
def database(request: pytest.FixtureRequest, monkeypatch, tmp_path_factory) -> Iterator[str]:
    """Commands and servers a test starts with the default settings get this test's own
    database, queue and key, never the project's ``instance/`` ones.

    In a module marked ``both_databases`` this runs twice: on SQLite (each test app its
    own file, as ``create_app`` gives a test app) and on a fresh PostgreSQL database,
    which every app the test builds and every command it runs share."""
    folder = tmp_path_factory.mktemp("instance")
    monkeypatch.setenv("LOCATOR_DATABASE_URL", f"sqlite:///{folder / 'locator.db'}")
    monkeypatch.setenv("LOCATOR_QUEUE_URL", f"sqlite:///{folder / 'queue.db'}")
    monkeypatch.setenv("LOCATOR_SECRET_KEY", "tests")
    kind = getattr(request, "param", "sqlite")
    if kind == "postgresql":
        url = request.getfixturevalue("postgres_url")
        monkeypatch.setenv("LOCATOR_DATABASE_URL", url)
        own_work_dir, apps = locator._work_dir, []

        def shared_database(app, settings, explicit):
            work_dir = own_work_dir(app, settings, explicit)
            if app.config["TESTING"] and "DATABASE_URL" not in explicit:
                settings["DATABASE_URL"] = url  # the queue stays the app's own
            apps.append(app)
            return work_dir

        opened: list = []

        def remember(dbapi_connection, _record) -> None:
            if type(dbapi_connection).__module__.startswith("psycopg"):
                opened.append(dbapi_connection)

        monkeypatch.setattr(locator, "_work_dir", shared_database)
        event.listen(Pool, "connect", remember)
        yield kind
        event.remove(Pool, "connect", remember)
        for app in apps:  # let go of the database before it is dropped
            if EXTENSION in app.extensions:
                state_of(app).planner.tasks.stop()
                state_of(app).live.close()
        for connection in opened:  # every engine's, the app's and the commands' alike
            connection.close()
        return
    yield kind


@pytest.fixture(scope="session")
def regions() -> Regions:
    return load_regions(DATA)


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "data", TINY_CSV)


@pytest.fixture()
def app(data_dir: Path, tmp_path: Path):
    return create_app({"TESTING": True, "DATA_DIR": data_dir, "STORE": tmp_path / "store.gpkg"})


@pytest.fixture()
def client(app):
    return app.test_client()


PLANNER_PASSWORD = "planner password"


class PlannerClient(FlaskClient):
    """A test client that sends a planner's API token with every request."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {self.application.config['TEST_TOKEN']}"


def add_planner(app, name: str = "planner") -> str:
    """A planner user in ``app``'s database; returns a token of theirs."""
    engine = state_of(app).engine
    with transaction(engine) as session:  # apps of one test may share a database
        known = session.scalar(select(User.id).where(User.name == name))
    if known is None:
        accounts.add_user(engine, name, PLANNER_PASSWORD, "planner", actor="test")
    return accounts.create_token(engine, name, "planner", "tests", actor="test")


def make_plan_app(tmp_path: Path, csv_text: str = TINY_CSV, **settings):
    """An app whose data dir also has what demand models need (census, places); its test
    clients are signed in as a planner (by API token)."""
    data = write_dataset(tmp_path / "data", csv_text)
    for folder in ("census", "places"):
        (data / folder).symlink_to(DATA / folder)
    config = {"TESTING": True, "DATA_DIR": data, "STORE": tmp_path / "store.gpkg", **settings}
    return as_planner(create_app(config))


def as_planner(app):
    """``app``, whose test clients now send a planner's API token."""
    app.config["TEST_TOKEN"] = add_planner(app)
    app.test_client_class = PlannerClient
    return app


def stop_plans(app) -> None:
    """Stop the app's plan threads (a running plan finishes first)."""
    state_of(app).planner.tasks.stop()


def plan_count(app) -> int:
    """How many plans the app's database holds."""
    with transaction(state_of(app).engine) as session:
        return int(session.scalar(select(func.count()).select_from(PlanRecord)) or 0)


@pytest.fixture()
def plan_app(tmp_path):
    app = make_plan_app(tmp_path)
    yield app
    stop_plans(app)


@pytest.fixture()
def gate(monkeypatch):
    """run_plan replaced by one that reports progress and waits until released."""
    release, started = threading.Event(), threading.Event()

    def blocked(request, **kwargs):
        kwargs["progress"]("optimising", 0.35)
        started.set()
        assert release.wait(10)
        raise BadQuery("released")

    monkeypatch.setattr(queue, "run_plan", blocked)
    yield started, release
    release.set()


# Databases: SQLite in a temporary folder, and a fresh PostgreSQL database on the server at
# 127.0.0.1:5432 (trust auth). Without that server the PostgreSQL cases skip, except when
# CI=true: there a missing server fails the run.
POSTGRES_ADMIN_URL = os.environ.get(
    "LOCATOR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _postgres_database(template: str | None = None) -> Iterator[str]:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"locator_test_{uuid.uuid4().hex[:10]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    except Exception as exc:
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required when CI=true: {exc}")
        pytest.skip(f"no PostgreSQL server at {POSTGRES_ADMIN_URL}")
    yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A PostgreSQL database at the newest schema, copied for each test (much faster
    than running every migration again)."""
    for url in _postgres_database():
        engine = engine_for(url)
        upgrade(engine)
        engine.dispose()
        yield url.rsplit("/", 1)[1]


@pytest.fixture()
def postgres_url(postgres_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database at the newest schema, dropped after the test."""
    yield from _postgres_database(postgres_template)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    """An empty database of each kind."""
    if request.param == "sqlite":
        found = engine_for(f"sqlite:///{tmp_path / 'instance' / 'locator.db'}")
        yield found
        found.dispose()
        return
    for url in _postgres_database():
        found = engine_for(url)
        yield found
        found.dispose()
