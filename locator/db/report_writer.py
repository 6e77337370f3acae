"""Storing reports (:func:`add_report`): group-committed, with an exact daily cap.

Each process has one writer of reports (:mod:`locator.db.group_commit`): a request hands
its report over and waits; the writer stores everything waiting in one transaction and
commits before any of them is answered. That transaction first locks each (station,
client) pair of the batch (:func:`~locator.db.group_commit.lock_pairs`: PostgreSQL
advisory locks, so only batches about the same pair wait for each other, never for an
import; on SQLite the database's write lock, one writer at a time anyway), then counts in
one grouped query the reports already stored for those pairs, adds those earlier in the
batch, refuses what would exceed the cap and inserts the rest in one statement
(``INSERT … RETURNING id``). So the daily cap holds exactly however many threads and
worker processes send at once. (The per-client budget, Flask-Limiter, is shared between
processes only with a Redis ``LOCATOR_RATELIMIT_STORAGE_URL``.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, func, insert, select

from locator.db import group_commit
from locator.db.models import StationReport, utc_now
from locator.db.reports import NewReport, Report, seconds_to_midnight_utc
from locator.errors import TooBusy

# A batch waits this long for company: at 100 reports a second per worker, batches of a
# few reports instead of one or two, so the statements of a batch are shared by more
# reports. bench/reports.py --topology split, 200 reports/s for 30 s: the workers' CPU
# 21.5 s instead of 34-36 s without the window, for 20 ms more before a report is answered.
WINDOW_S = 0.02


def add_report(engine: Engine, report: NewReport, client: str, daily_cap: int) -> Report:
    """Store ``report`` (committed when this returns); TooBusy (429) when ``client``
    already sent ``daily_cap`` reports about this station today (the client hash changes
    daily).

    The cap is exact across threads and processes (see the module's docstring)."""
    stored = group_commit.writer(engine, "reports", _store_reports, WINDOW_S)
    return stored.submit((report, client, daily_cap))


def _store_reports(
    connection: Connection, batch: Sequence[tuple[NewReport, str, int]]
) -> list[Report | Exception]:
    """One batch of :func:`add_report`, inside the writer's transaction."""
    group_commit.lock_pairs(connection, (f"report\0{r.station_id}\0{c}" for r, c, _ in batch))
    table = cast(Table, StationReport.__table__)
    sent = Counter(
        {
            (station_id, client): int(n)
            for station_id, client, n in connection.execute(
                select(table.c.station_id, table.c.client, func.count())
                .where(
                    table.c.station_id.in_(sorted({r.station_id for r, _, _ in batch})),
                    table.c.client.in_(sorted({client for _, client, _ in batch})),
                )
                .group_by(table.c.station_id, table.c.client)
            )
        }
    )
    now, rows = utc_now(), []
    answers: list[Report | Exception | None] = []
    for report, client, cap in batch:
        if sent[report.station_id, client] >= cap:
            answers.append(TooBusy(
                f"this client has sent {cap} reports about this station today; "
                "thank you, try again tomorrow.",
                retry_after_s=seconds_to_midnight_utc(),
            ))  # fmt: skip
            continue
        sent[report.station_id, client] += 1
        answers.append(None)
        rows.append(
            {"station_id": report.station_id, "kind": report.kind, "amenity": report.amenity,
             "comment": report.comment, "near": report.near, "client": client,
             "created_at": now, "status": "pending"}
        )  # fmt: skip
    ids = iter(
        connection.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
        ).scalars()
        if rows
        else ()
    )
    stored = iter(rows)
    return [
        answer if answer is not None else _report_of(next(ids), next(stored)) for answer in answers
    ]


def _report_of(report_id: int, row: dict[str, Any]) -> Report:
    return Report(report_id, row["station_id"], row["kind"], row["amenity"], row["comment"],
                  row["near"], row["created_at"], row["status"])  # fmt: skip
