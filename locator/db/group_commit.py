"""Group commit: many request threads' small writes, stored in one transaction.

A request that stores a report or a suggestion hands it to its process's writer for that
kind of row (:func:`writer`) and waits. The writer, one daemon thread per process, engine
and kind, started on first use, takes everything waiting (at most ``max_batch``; after up
to ``window_s`` for company, none by default: what arrives while one batch is written
makes the next) and calls the kind's ``write(connection, items)`` inside ONE transaction,
which answers each item with its result or the exception its request should raise (a
refusal such as TooBusy), and commits. Only then is each request woken: an item answered
with a result was committed before its request answers. When the transaction itself
fails, every request of the batch raises that error (nothing of the batch was stored). A
writer with nothing to do for ``idle_s`` ends its thread; the next item starts a new one,
so no thread or connection outlives a test's app for long.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine, text, update

from locator.db.models import WriteLock

Item = TypeVar("Item")
Result = TypeVar("Result")
WriteBatch = Callable[[Connection, Sequence[Item]], Sequence["Result | Exception"]]


@dataclass
class _Waiting(Generic[Item, Result]):
    item: Item
    done: threading.Event = field(default_factory=threading.Event)
    answer: Result | BaseException | None = None


class GroupCommit(Generic[Item, Result]):
    """One writer thread storing queued items in batches, one transaction each."""

    def __init__(
        self,
        engine: Engine,
        write: WriteBatch[Item, Result],
        *,
        name: str = "group-commit",
        window_s: float = 0.0,
        max_batch: int = 200,
        idle_s: float = 1.0,
    ) -> None:
        self.engine, self.write, self.name = engine, write, name
        self.window_s, self.max_batch, self.idle_s = window_s, max_batch, idle_s
        self._waiting: list[_Waiting[Item, Result]] = []
        self._ready = threading.Condition()
        self._running = False

    def submit(self, item: Item) -> Result:
        """Store ``item`` with the next batch; its result once that batch is committed,
        or raise what the batch answered it (or the error that failed the batch)."""
        waiting: _Waiting[Item, Result] = _Waiting(item)
        with self._ready:
            self._waiting.append(waiting)
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name=self.name, daemon=True).start()
            self._ready.notify()
        waiting.done.wait()
        if isinstance(waiting.answer, BaseException):
            raise waiting.answer
        return waiting.answer  # type: ignore[return-value]

    def _next_batch(self) -> list[_Waiting[Item, Result]]:
        """What waits (after up to ``window_s`` for company); [] when idle too long."""
        with self._ready:
            if not self._waiting and not self._ready.wait_for(
                lambda: self._waiting, timeout=self.idle_s
            ):
                self._running = False
                return []
            deadline = time.monotonic() + self.window_s
            while len(self._waiting) < self.max_batch:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._ready.wait(left)
            batch, self._waiting = (
                self._waiting[: self.max_batch],
                self._waiting[self.max_batch :],
            )
            return batch

    def _run(self) -> None:
        while batch := self._next_batch():
            try:
                with self.engine.begin() as connection:
                    answers: Sequence[Any] = self.write(connection, [w.item for w in batch])
                    if len(answers) != len(batch):
                        raise RuntimeError(
                            f"{self.name}: {len(answers)} answers, {len(batch)} items"
                        )
            except BaseException as error:
                answers = [error] * len(batch)
            for waiting, answer in zip(batch, answers, strict=True):
                waiting.answer = answer
                waiting.done.set()


_writers: weakref.WeakKeyDictionary[Engine, dict[str, GroupCommit[Any, Any]]] = (
    weakref.WeakKeyDictionary()
)
_writers_lock = threading.Lock()
os.register_at_fork(after_in_child=_writers.clear)  # a forked worker starts its own


def writer(
    engine: Engine, name: str, write: WriteBatch[Item, Result], window_s: float = 0.0
) -> GroupCommit[Item, Result]:
    """This process's writer of ``name`` rows on ``engine`` (made on first use)."""
    with _writers_lock:
        kinds = _writers.setdefault(engine, {})
        if name not in kinds:
            kinds[name] = GroupCommit(engine, write, name=f"{name}-writer", window_s=window_s)
        return kinds[name]


def lock_pairs(connection: Connection, names: Iterable[str]) -> None:
    """Hold until commit a lock on each of ``names`` (what a batch counts: a station and
    client pair, a client), so that no other process's batch can add to those counts
    before this one commits. On PostgreSQL: a transaction advisory lock per name (a 64-bit
    hash), taken in sorted order (no deadlock), so batches about other pairs never wait;
    on SQLite: the database's write lock, taken by writing first (one writer at a time
    anyway)."""
    if connection.dialect.name == "postgresql":
        keys = sorted(
            {int.from_bytes(hashlib.sha256(n.encode()).digest()[:8], "big", signed=True)
             for n in names}
        )  # fmt: skip
        connection.execute(
            text("SELECT count(pg_advisory_xact_lock(k)) FROM unnest(CAST(:keys AS bigint[])) k"),
            {"keys": keys},
        )
    else:
        connection.execute(update(WriteLock).where(WriteLock.id == 1).values(n=WriteLock.n + 1))
