"""Drawn maps of published plans, kept in the database (table ``plan_images``) so that
every web worker on every machine serves them without drawing them again. Flask-free.

Only a published plan's images are kept: :func:`keep` stores nothing for a plan that is
not (or no longer) published, and unpublishing or deleting a plan drops them
(:meth:`~locator.planning.registry.PlanRegistry.change`, ``delete``, and the foreign key's
``ON DELETE CASCADE``). A key names what was drawn (view, format, style) in at most 64
characters: :func:`image_key` hashes it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from locator.db.models import PlanImage, PlanRecord
from locator.db.session import transaction


@dataclass(frozen=True)
class KeptImage:
    """A kept image: its bytes, media type and an ETag (SHA-256 of the bytes)."""

    content: bytes
    media_type: str
    etag: str


def image_key(*parts: object) -> str:
    """SHA-256 (64 hex digits) of ``parts`` as text: equal parts, equal keys."""
    return hashlib.sha256("|".join(map(str, parts)).encode("utf-8")).hexdigest()


def _kept(row: PlanImage) -> KeptImage:
    return KeptImage(row.content, row.media_type, hashlib.sha256(row.content).hexdigest())


def find(engine: Engine, plan_id: str, key: str) -> KeptImage | None:
    """The image kept for ``plan_id`` under ``key``, if any."""
    with transaction(engine) as session:
        row = session.get(PlanImage, (plan_id, key))
        return None if row is None else _kept(row)


def _is_kept_in(session: Session, plan_id: str, key: str) -> bool:
    query = select(PlanImage.key).where(PlanImage.plan_id == plan_id, PlanImage.key == key)
    return session.scalar(query) is not None


def _is_kept(engine: Engine, plan_id: str, key: str) -> bool:
    with transaction(engine) as session:
        return _is_kept_in(session, plan_id, key)


def keep(engine: Engine, plan_id: str, key: str, media_type: str, content: bytes) -> bool:
    """Keep an image of a published plan; False (nothing kept) when it is kept already,
    or the plan is not published any more. Cheap when the image is kept already (the
    usual case: callers offer every image they serve of a published plan)."""
    if _is_kept(engine, plan_id, key):
        return False
    try:
        with transaction(engine) as session:
            published = session.scalar(
                select(PlanRecord.published).where(PlanRecord.id == plan_id).with_for_update()
            )
            if not published or _is_kept_in(session, plan_id, key):
                return False
            row = PlanImage(plan_id=plan_id, key=key, media_type=media_type, content=content)
            session.add(row)
    except IntegrityError:  # kept by another worker meanwhile, or the plan was deleted
        return False
    return True
