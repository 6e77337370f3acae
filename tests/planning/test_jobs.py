"""The background plan pool, the demand-model cache (locator.planning.jobs) and quota tables (locator.planning.quotas)."""

from __future__ import annotations

import threading
import time

import pandas as pd
import pytest

from locator.errors import BadQuery, Conflict, DataError, NotFound, TooBusy
from locator.planning import jobs as jobs_module
from locator.planning.jobs import DemandCache, PlanJobs
from locator.planning.plan import PlanRequest
from locator.planning.quotas import check_quotas, district_adcode, read_quotas
from tests.conftest import DATA

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
REQUEST = PlanRequest(region="beijing", new=2)
BEIJING = pd.DataFrame(
    {
        "district_adcode": ["110101", "110105", "110106", "110108"],
        "district_name": ["东城区", "朝阳区", "丰台区", "海淀区"],
    }
)


@pytest.fixture()
def jobs():
    pool = PlanJobs(workers=1, queue_limit=2, keep=2)
    yield pool
    pool.shutdown(wait=True)


def wait_for(pool: PlanJobs, job_id: str, states=("done", "failed"), timeout_s: float = 10.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = pool.get(job_id)
        if job.status in states:
            return job
        time.sleep(0.01)
    raise AssertionError(f"job {job_id} still {pool.get(job_id).status}")


def blocking_work(release: threading.Event, started: threading.Event | None = None):
    def work(progress):
        progress("optimising", 0.35)
        if started is not None:
            started.set()
        assert release.wait(10)
        return "the plan"

    return work


def test_a_job_runs_and_keeps_its_plan(jobs):
    job_id = jobs.submit(REQUEST, lambda progress: "the plan")
    assert len(job_id) == 11  # secrets.token_urlsafe(8)
    job = wait_for(jobs, job_id)
    assert (job.status, job.stage, job.fraction, job.error) == ("done", "done", 1.0, None)
    assert job.plan == "the plan" and jobs.plan(job_id) == "the plan"
    assert job.created_at <= job.started_at <= job.finished_at
    assert job.request is REQUEST


def test_progress_is_visible_while_running_and_downloads_conflict(jobs):
    release, started = threading.Event(), threading.Event()
    job_id = jobs.submit(REQUEST, blocking_work(release, started))
    assert started.wait(5)
    job = jobs.get(job_id)
    assert (job.status, job.stage, job.fraction) == ("running", "optimising", 0.35)
    with pytest.raises(Conflict, match="is running") as caught:
        jobs.plan(job_id)
    assert caught.value.status == 409
    release.set()
    assert wait_for(jobs, job_id).status == "done"


def test_a_failing_plan_reports_its_message(jobs, caplog):
    def bad_input(progress):
        raise BadQuery("new=3 is more than the 2 candidate sites.")

    def bug(progress):
        raise ZeroDivisionError("division by zero")

    failed = wait_for(jobs, jobs.submit(REQUEST, bad_input))
    assert (failed.status, failed.error) == ("failed", "new=3 is more than the 2 candidate sites.")
    with pytest.raises(Conflict, match="failed, so there is nothing to download"):
        jobs.plan(failed.id)
    crashed = wait_for(jobs, jobs.submit(REQUEST, bug))
    assert crashed.error == "the plan failed unexpectedly: ZeroDivisionError: division by zero"
    assert "failed" in caplog.text  # the traceback goes to the log


def test_a_full_queue_is_refused(jobs):
    release = threading.Event()
    first = jobs.submit(REQUEST, blocking_work(release))
    second = jobs.submit(REQUEST, blocking_work(release))
    with pytest.raises(TooBusy, match="2 plan") as caught:
        jobs.submit(REQUEST, blocking_work(release))
    assert caught.value.status == 429
    assert jobs.get(second).status == "queued"
    release.set()
    for job_id in (first, second):
        wait_for(jobs, job_id)
    assert wait_for(jobs, jobs.submit(REQUEST, lambda p: "ok")).status == "done"


def test_only_the_last_finished_jobs_are_kept(jobs):
    ids = [jobs.submit(REQUEST, lambda p: "ok") for _ in range(1)]
    wait_for(jobs, ids[0])
    for _ in range(2):
        ids.append(jobs.submit(REQUEST, lambda p: "ok"))
        wait_for(jobs, ids[-1])
    with pytest.raises(NotFound, match="only the last 2 finished"):
        jobs.get(ids[0])
    assert [jobs.get(i).status for i in ids[1:]] == ["done", "done"]


def test_unknown_id_is_not_found(jobs):
    with pytest.raises(NotFound) as caught:
        jobs.get("nope")
    assert caught.value.status == 404


def test_shutdown_cancels_queued_plans_and_runs_cleanup():
    pool = PlanJobs(workers=1, queue_limit=3)
    release, started = threading.Event(), threading.Event()
    cleaned: list[str] = []
    running = pool.submit(REQUEST, blocking_work(release, started), lambda: cleaned.append("a"))
    queued = pool.submit(REQUEST, lambda p: "never", lambda: cleaned.append("b"))
    assert started.wait(5)
    pool.shutdown(wait=False)
    cancelled = pool.get(queued)
    assert cancelled.status == "failed" and "cancelled" in cancelled.error
    assert cleaned == ["b"]
    with pytest.raises(TooBusy, match="shutting down") as caught:
        pool.submit(REQUEST, lambda p: "late")
    assert caught.value.status == 503
    release.set()
    pool.shutdown(wait=True)
    assert pool.get(running).status == "done" and cleaned == ["b", "a"]
    assert not [t for t in threading.enumerate() if t.name.startswith("locator-plan")]


def test_pool_settings_are_checked():
    with pytest.raises(ValueError):
        PlanJobs(workers=0)


def test_demand_models_are_built_once_per_region(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(jobs_module.demand, "default_model", lambda d, r: calls.append(r) or r)
    cache = DemandCache(DATA)
    assert [cache.get("beijing"), cache.get("beijing"), cache.get("shaanxi")] == [
        "beijing",
        "beijing",
        "shaanxi",
    ]
    assert calls == ["beijing", "shaanxi"]


@pytest.mark.parametrize(
    ("value", "code"),
    [("110105", "110105"), ("朝阳区", "110105"), ("朝阳", "110105"), (" 海淀区 ", "110108")],
)
def test_district_by_adcode_or_name(value, code):
    assert district_adcode(BEIJING, value) == code


def test_unknown_and_ambiguous_districts():
    with pytest.raises(BadQuery, match="unknown district '火星区'"):
        district_adcode(BEIJING, "火星区")
    twins = pd.DataFrame({"district_adcode": ["1", "2"], "district_name": ["新城区", "新城区"]})
    with pytest.raises(BadQuery, match="names 2 districts; give the adcode"):
        district_adcode(twins, "新城区")


def test_quotas_file(tmp_path):
    path = tmp_path / "quotas.csv"
    path.write_text(
        "district,min,max\n110105,1,3\n海淀区,,2\n丰台,2,\n东城区,,\n", encoding="utf-8-sig"
    )
    assert read_quotas(path, BEIJING, new=5) == {
        "110105": (1, 3),
        "110108": (None, 2),
        "110106": (2, None),
    }


def test_quotas_file_errors_name_rows_and_columns(tmp_path):
    path = tmp_path / "quotas.csv"
    path.write_text(
        "district,min,max\n朝阳区,1,2\n火星区,1,\n海淀区,x,\n丰台区,3,1\n朝阳区,,1\n东城区,-1,\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as caught:
        read_quotas(path, BEIJING)
    message = caught.value.message
    assert message.startswith("quotas.csv: row 3, column 'district': unknown district '火星区'")
    assert "row 4, column 'min': min 'x' is not a whole number >= 0" in message
    assert "row 5, column 'min': min 3 is larger than max 1" in message
    assert message.endswith("(and 2 more).")
    assert caught.value.problems[3:] == (
        "row 6: district 110105 is given twice.",
        "row 7, column 'min': min '-1' is not a whole number >= 0 (leave it blank for none).",
    )


def test_quotas_file_needs_its_columns_and_fits_new(tmp_path):
    path = tmp_path / "quotas.csv"
    path.write_text("district,minimum\n朝阳区,1\n", encoding="utf-8")
    with pytest.raises(DataError, match="no max column"):
        read_quotas(path, BEIJING)
    path.write_text("区县,最少,最多\n朝阳区,2,\n海淀区,2,\n", encoding="utf-8")
    with pytest.raises(BadQuery, match="at least 4 new sites, but new is 3"):
        read_quotas(path, BEIJING, new=3)
    with pytest.raises(DataError, match="CSV or XLSX"):
        read_quotas(tmp_path / "quotas.geojson", BEIJING)


def test_quotas_xlsx(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in (("district", "min", "max"), ("朝阳区", 1, None), (110108, None, 4)):
        sheet.append(row)
    book.save(tmp_path / "quotas.xlsx")
    assert read_quotas(tmp_path / "quotas.xlsx", BEIJING) == {
        "110105": (1, None),
        "110108": (None, 4),
    }


def test_quotas_mapping():
    quotas = {"朝阳区": [1, None], "110108": (None, 2), "丰台区": [None, None]}
    assert check_quotas(quotas, BEIJING, new=2) == {"110105": (1, None), "110108": (None, 2)}


@pytest.mark.parametrize(
    ("quotas", "fragment"),
    [
        ([1, 2], "quotas must be an object"),
        ({"朝阳区": 3}, "quota for '朝阳区' must be [min, max]"),
        ({"朝阳区": [1]}, "must be [min, max]"),
        ({"火星区": [1, 2]}, "quota for '火星区': unknown district"),
        ({"朝阳区": [3, 1]}, "min 3 is larger than max 1"),
        ({"朝阳区": [-1, None]}, "min -1 is not a whole number"),
        ({"朝阳区": [1.5, None]}, "min 1.5 is not a whole number"),
        ({"朝阳区": [True, None]}, "min True is not a whole number"),
        ({"朝阳区": [1, 2], "110105": [0, 1]}, "district 110105 is given twice"),
        ({"朝阳区": [2, None], "海淀区": [2, None]}, "at least 4 new sites, but new is 3"),
    ],
)
def test_bad_quotas_mapping(quotas, fragment):
    with pytest.raises(BadQuery) as caught:
        check_quotas(quotas, BEIJING, new=3)
    assert fragment in caught.value.message
