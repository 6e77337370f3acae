"""Imports checked first and applied only when confirmed: what would change, nothing
before the confirm, one confirm of two at once, a stale check refused, every write in
the audit log (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from locator.db import pending
from locator.db.audit import audit_log
from locator.db.datasets import list_versions, load_version, served_version
from locator.db.imports import import_file
from locator.db.models import PendingImport
from locator.db.session import transaction, upgrade
from locator.errors import Conflict, DataError, NotFound

BASE = (
    "id,name,kind,lon,lat,shower\n"
    "a1,东单驿站,warm_heart,116.418,39.913,是\n"
    "a2,国贸驿站,warm_heart,116.461,39.909,否\n"
    "a3,三里屯驿站,warm_heart,116.450,39.930,\n"
)
# a1 moves about 111 m north, a2 gains a shower, a3 is gone, a4 is new.
NEXT = (
    "id,name,kind,lon,lat,shower\n"
    "a1,东单驿站,warm_heart,116.418,39.914,是\n"
    "a2,国贸驿站,warm_heart,116.461,39.909,是\n"
    "a4,望京驿站,warm_heart,116.480,40.000,否\n"
)
BAD = NEXT + "a5,坏行,warm_heart,abc,39.9,是\n"


@pytest.fixture()
def served(engine, tmp_path, regions):
    """The database serving BASE as version 1."""
    upgrade(engine)
    path = tmp_path / "base.csv"
    path.write_text(BASE, encoding="utf-8")
    assert import_file(engine, path, regions, actor="cli").version == 1
    return engine


def check(engine, regions, text: str, name: str = "next.csv", **options):
    return pending.preview(engine, name, text.encode(), regions, actor="wang", **options)


def served_ids(engine) -> list[str]:
    return sorted(load_version(engine, served_version(engine)).frame["id"])


def actions(engine) -> list[str]:
    return [e.action for e in audit_log(engine).entries]


def test_a_check_shows_what_would_change_and_changes_nothing(served, regions) -> None:
    found = check(served, regions, NEXT)
    changes = found.summary["changes"]
    assert (changes["added"], changes["removed"], changes["moved"]) == (1, 1, 1)
    assert changes["amenities_changed"] == 1 and changes["unchanged"] == 0
    assert changes["added_examples"] == [{"id": "a4", "name": "望京驿站"}]
    assert changes["removed_examples"] == [{"id": "a3", "name": "三里屯驿站"}]
    (move,) = changes["moved_examples"]
    assert move["id"] == "a1" and move["distance_m"] == pytest.approx(111.0, abs=1.0)
    (amenity,) = changes["amenity_examples"]
    assert amenity["changes"] == [{"key": "shower", "old": "no", "new": "yes"}]
    assert (found.summary["stations"], found.summary["errors"]) == (3, 0)
    assert found.confirmable and found.based_on == 1 and found.created_by == "wang"
    assert served_version(served) == 1 and served_ids(served) == ["a1", "a2", "a3"]
    assert actions(served)[0] == "check import"


def test_a_merge_removes_nothing(served, regions) -> None:
    changes = check(served, regions, NEXT, merge=True).summary["changes"]
    assert (changes["removed"], changes["kept"], changes["removed_examples"]) == (0, 1, [])


def test_a_file_with_errors_is_shown_but_cannot_be_confirmed(served, regions) -> None:
    found = check(served, regions, BAD, name="bad.csv")
    assert found.summary["errors"] == 1 and found.summary["changes"] is None
    (problem,) = [p for p in found.summary["problems"] if p["severity"] == "error"]
    assert (problem["file"], problem["row"], problem["column"]) == ("bad.csv", 5, "lon")
    assert not found.confirmable
    with pytest.raises(Conflict, match="has errors"):
        pending.confirm(served, found.id, regions, actor="wang")
    assert served_version(served) == 1 and len(list_versions(served)) == 1


def test_an_unreadable_file_keeps_nothing(served, regions) -> None:
    with pytest.raises(DataError):
        check(served, regions, "PK\x03\x04 not really a workbook", name="x.xlsx")
    with transaction(served) as session:
        assert session.scalar(select(func.count()).select_from(PendingImport)) == 0


def test_confirm_serves_the_file_once(served, regions) -> None:
    found = check(served, regions, NEXT)
    done = pending.confirm(served, found.id, regions, actor="li")
    assert (done.version, done.count) == (2, 3)
    assert served_version(served) == 2 and served_ids(served) == ["a1", "a2", "a4"]
    (version, _) = list_versions(served)
    assert (version.source_name, version.created_by) == ("next.csv", "li")
    assert version.source_sha256 == found.source_sha256
    assert actions(served)[:3] == ["confirm import", "import", "check import"]
    assert pending.get(served, found.id).status == "applied"
    with pytest.raises(Conflict, match="applied already"):
        pending.confirm(served, found.id, regions, actor="li")
    assert served_version(served) == 2 and len(list_versions(served)) == 2


def test_a_merge_confirmed_keeps_the_rows_the_file_lacks(served, regions) -> None:
    found = check(served, regions, NEXT, merge=True)
    assert pending.confirm(served, found.id, regions, actor="li").count == 4
    assert served_ids(served) == ["a1", "a2", "a3", "a4"]


def test_a_check_made_before_another_import_is_refused(served, regions) -> None:
    first, second = check(served, regions, NEXT), check(served, regions, BASE)
    pending.confirm(served, second.id, regions, actor="li")
    with pytest.raises(Conflict, match="served data changed since this check"):
        pending.confirm(served, first.id, regions, actor="li")
    assert served_version(served) == 2 and pending.get(served, first.id).status == "pending"


def test_of_two_confirms_at_once_one_applies(served, regions) -> None:
    found = [check(served, regions, NEXT), check(served, regions, NEXT)]
    outcomes: list[object] = []

    def run(pending_id: str) -> None:
        try:
            outcomes.append(pending.confirm(served, pending_id, regions, actor="li"))
        except Conflict as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=run, args=(p.id,)) for p in (*found, found[0])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(isinstance(o, pending.Applied) for o in outcomes) == 1
    assert sum(isinstance(o, Conflict) for o in outcomes) == 2
    assert served_version(served) == 2 and len(list_versions(served)) == 2


def test_discard(served, regions) -> None:
    found = check(served, regions, NEXT)
    pending.discard(served, found.id, actor="wang")
    assert pending.get(served, found.id).status == "discarded"
    assert actions(served)[0] == "discard import"
    with pytest.raises(Conflict, match="discarded already"):
        pending.confirm(served, found.id, regions, actor="wang")
    with pytest.raises(Conflict):
        pending.discard(served, found.id, actor="wang")
    with pytest.raises(NotFound):
        pending.discard(served, "nope", actor="wang")
    assert served_version(served) == 1


def test_the_audit_log_pages_newest_first(served, regions) -> None:
    for n in range(4):
        check(served, regions, NEXT, name=f"{n}.csv")
    first, second = audit_log(served, 1, per_page=3), audit_log(served, 2, per_page=3)
    assert first.total == 5 and first.pages == 2
    assert [e.detail["source"] for e in first.entries] == ["3.csv", "2.csv", "1.csv"]
    assert [e.detail["source"] for e in second.entries] == ["0.csv", "base.csv"]


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("stations.csv", "stations.csv"),
        ("C:\\Users\\li\\站点.xlsx", "站点.xlsx"),
        ("../../etc/passwd", "passwd"),
        ("a\x00b\n.csv", "ab.csv"),
        ("", "upload"),
        ("..", "upload"),
        ("x" * 300 + ".csv", "x" * 116 + ".csv"),
    ],
)
def test_upload_names_lose_folders_and_control_characters(given: str, kept: str) -> None:
    assert pending.upload_name(given) == kept
