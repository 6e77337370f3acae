"""Reports on stations: parsing, the daily cap, the public summary, the closed flag, and
moderation (a confirm makes a new dataset version; SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from locator.db import group_commit, report_writer, reports
from locator.db.audit import audit_log
from locator.db.datasets import load_version, served_version
from locator.db.imports import import_file
from locator.db.models import StationReport, utc_now
from locator.db.session import transaction, upgrade
from locator.errors import BadQuery, Conflict, NotFound, TooBusy

BASE = (
    "id,name,kind,lon,lat,shower\n"
    "a1,东单驿站,warm_heart,116.418,39.913,是\n"
    "a2,国贸驿站,warm_heart,116.461,39.909,否\n"
)


@pytest.fixture()
def served(engine, tmp_path, regions):
    upgrade(engine)
    path = tmp_path / "base.csv"
    path.write_text(BASE, encoding="utf-8")
    import_file(engine, path, regions, actor="cli")
    return engine


def report(station: str = "a1", kind: str = "closed_for_good", **body) -> reports.NewReport:
    return reports.parse_report(station, {"kind": kind, **body})


def add(engine, client: str, new: reports.NewReport | None = None, cap: int = 3):
    return report_writer.add_report(engine, new or report(), client, cap)


def served_frame(engine):
    return load_version(engine, served_version(engine)).frame.set_index("id")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"kind": "burnt_down"}, "kind must be one of"),
        ({"kind": "amenity_missing"}, "amenity must be one of"),
        ({"kind": "amenity_missing", "amenity": "jacuzzi"}, "amenity must be one of"),
        ({"kind": "great", "amenity": "shower"}, "amenity is only for"),
        ({"kind": "great", "near": "yes"}, "near must be true or false"),
        ({"kind": "great", "comment": 5}, "comment must be text"),
        ({"kind": "great", "comment": "很" * 281}, "at most 280 characters"),
        ({"kind": "great", "photo": "x.jpg"}, "unknown field 'photo'"),
    ],
)
def test_a_bad_report_names_its_field(body, message) -> None:
    with pytest.raises(BadQuery, match=message):
        reports.parse_report("a1", body)


def test_comments_lose_control_characters_and_keep_their_text() -> None:
    found = report(kind="great", comment="  热水\x00很好\u202e\n<b>  ")
    assert found.comment == "热水很好\n<b>"
    assert report(kind="great", comment="很" * 280).comment == "很" * 280


def test_one_client_may_send_only_the_daily_cap_about_one_station(served) -> None:
    for _ in range(3):
        add(served, "client-1")
    with pytest.raises(TooBusy, match="3 reports about this station today") as refused:
        add(served, "client-1")
    assert refused.value.retry_after_s >= 1
    add(served, "client-2")  # another client
    add(served, "client-1", report("a2"))  # another station


def test_simultaneous_reports_from_one_client_never_exceed_the_cap(served) -> None:
    """Twenty threads at once, one client, one station: three stored, the rest refused,
    however the writer batches them."""
    answers: list[object] = []
    start = threading.Barrier(20)

    def send() -> None:
        start.wait()
        try:
            answers.append(add(served, "client-1"))
        except TooBusy as refused:
            answers.append(refused)

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = [a for a in answers if isinstance(a, reports.Report)]
    assert len(stored) == 3 and len(answers) == 20
    assert reports.summary(served, "a1", flag_clients=2).counts == {"closed_for_good": 3}


def test_a_batch_stores_every_accepted_report_exactly_once(served) -> None:
    """Many clients' reports in one batch, some over the cap: each accepted one is stored
    once with what was sent, under the id it was answered with."""
    sent = [
        (
            f"client-{n % 7}",
            report(
                ("a1", "a2")[n % 2],
                reports.KINDS[n % 8]
                if reports.KINDS[n % 8] not in reports.AMENITY_KINDS
                else "great",
            ),
        )
        for n in range(60)
    ]
    writer = group_commit.writer(served, "reports", report_writer._store_reports)
    writer.window_s = 0.2  # everything below lands in one or two batches
    answers: dict[int, object] = {}

    def send(n: int) -> None:
        client, new = sent[n]
        try:
            answers[n] = report_writer.add_report(served, new, client, 3)
        except TooBusy as refused:
            answers[n] = refused

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(sent))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.window_s = 0.0
    accepted = {n: a for n, a in answers.items() if isinstance(a, reports.Report)}
    assert len(accepted) == 7 * 2 * 3  # 7 clients, 2 stations, a cap of 3
    with transaction(served) as session:
        rows = {row.id: row for row in session.scalars(select(StationReport))}
    assert sorted(rows) == sorted(a.id for a in accepted.values())  # once each, nothing else
    for n, found in accepted.items():
        client, new = sent[n]
        row = rows[found.id]
        assert (row.client, row.station_id, row.kind) == (client, new.station_id, new.kind)
        assert (found.station_id, found.kind) == (new.station_id, new.kind)


def test_the_summary_counts_kinds_and_shows_only_confirmed_comments(served) -> None:
    add(served, "c1", report(kind="great", comment="<script>alert(1)</script>"))
    add(served, "c2", report(kind="great", comment="干净"))
    add(served, "c3", report(kind="crowded"))
    found = reports.summary(served, "a1", flag_clients=3)
    assert found.counts == {"great": 2, "crowded": 1}
    assert found.comments == () and found.reported_closed is None
    queue = reports.pending(served)
    first = next(r for r in queue["a1"] if r.comment == "干净")
    reports.moderate(served, first.id, "confirm", "admin")
    found = reports.summary(served, "a1", flag_clients=3)
    assert [text for _, text, _ in found.comments] == ["干净"]  # the other waits to be read
    waiting = {r.comment for r in reports.pending(served)["a1"] if r.status == "pending"}
    assert waiting == {"<script>alert(1)</script>", ""}  # the crowded one too


def test_several_clients_reporting_closed_flag_the_station(served) -> None:
    add(served, "c1")
    add(served, "c1")  # the same client twice counts once
    add(served, "c2", report(kind="great"))
    assert reports.closed_flags(served, min_clients=2) == {}
    add(served, "c3")
    assert reports.closed_flags(served, min_clients=2) == {"a1": utc_now().date()}
    assert reports.summary(served, "a1", flag_clients=2).reported_closed == utc_now().date()
    flags = reports.ClosedFlags(served, min_clients=2, ttl_s=0)
    assert flags.current() == {"a1": utc_now().date().isoformat()}
    waiting = reports.pending(served)["a1"]
    reports.moderate(served, waiting[0].id, "dismiss", "admin")  # settles every "closed"
    assert flags.current() == {}


def test_confirming_closed_removes_the_station_in_a_new_version(served) -> None:
    before = served_version(served)
    found = add(served, "c1")
    add(served, "c2")
    version = reports.moderate(served, found.id, "confirm", "admin")
    assert version == served_version(served) == before + 1
    assert list(served_frame(served).index) == ["a2"]
    assert reports.pending(served) == {}  # both "closed" reports are settled
    entries = audit_log(served).entries
    assert [e.action for e in entries[:2]] == ["report-confirm", "change"]
    assert entries[1].detail["source"].startswith(f"report {found.id}: closed_for_good")
    with pytest.raises(Conflict, match="already confirmed"):
        reports.moderate(served, found.id, "dismiss", "admin")


def test_confirming_an_amenity_sets_it_and_the_day_it_was_confirmed(served) -> None:
    frame = served_frame(served)
    assert frame.loc["a2", "shower"] == "no" and frame.loc["a2", "last_confirmed"] != ""
    found = add(served, "c1", report("a2", "amenity_present", amenity="shower"))
    reports.moderate(served, found.id, "confirm", "admin")
    frame = served_frame(served)
    assert frame.loc["a2", "shower"] == "yes"
    assert frame.loc["a2", "last_confirmed"] == utc_now().date().isoformat()
    missing = add(served, "c1", report("a1", "amenity_missing", amenity="shower"))
    reports.moderate(served, missing.id, "confirm", "admin")
    assert served_frame(served).loc["a1", "shower"] == "no"


def test_an_import_keeps_the_day_of_rows_it_carries_over(served, tmp_path, regions) -> None:
    path = tmp_path / "more.csv"
    path.write_text("id,name,kind,lon,lat\na3,三里屯驿站,warm_heart,116.450,39.930\n")
    import_file(served, path, regions, actor="cli", merge=True)
    frame = served_frame(served)
    assert set(frame.index) == {"a1", "a2", "a3"}
    assert all(dt.date.fromisoformat(day) for day in frame["last_confirmed"])


def test_kinds_without_a_defined_change_need_a_site_visit(served) -> None:
    moved = add(served, "c1", report(kind="moved"))
    with pytest.raises(Conflict, match="site visit"):
        reports.moderate(served, moved.id, "confirm", "admin")
    assert reports.moderate(served, moved.id, "visit", "admin") is None
    assert reports.pending(served) == {}
    with pytest.raises(NotFound):
        reports.moderate(served, 999, "dismiss", "admin")
    with pytest.raises(BadQuery, match="action must be one of"):
        reports.moderate(served, moved.id, "delete", "admin")
