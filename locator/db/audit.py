"""The audit log as the admin pages read it: who did what to what, and when, newest
first, a page at a time. Every write (imports, rollbacks, sign-ins, users, tokens, plans)
adds its entry where it happens."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select

from locator.db.models import AuditEntry
from locator.db.session import transaction

PER_PAGE = 100


@dataclass(frozen=True)
class AuditRow:
    """One audit log entry."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    """Entries of one page of the audit log, newest first, and how many there are."""

    entries: tuple[AuditRow, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def audit_log(engine: Engine, page: int = 1, per_page: int = PER_PAGE) -> AuditPage:
    """Page ``page`` (from 1) of the audit log, newest first."""
    page = max(1, page)
    with transaction(engine) as session:
        total = int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)
        rows = session.scalars(
            select(AuditEntry)
            .order_by(AuditEntry.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).all()
        entries = tuple(
            AuditRow(r.id, r.at, r.actor, r.action, r.target, dict(r.detail or {})) for r in rows
        )
    return AuditPage(entries, total, page, per_page)
