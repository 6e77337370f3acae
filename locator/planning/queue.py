"""Plans on a job queue: huey, on SQLite by default and on Redis to scale out.

huey was chosen because it is maintained, small, and has both brokers this project
needs behind one API: ``SqliteHuey`` (a file in ``instance/``, so the README's two
commands need no server) and ``RedisHuey`` (``LOCATOR_QUEUE_URL=redis://…``, with
``locator worker`` processes on as many machines as the operator starts). Celery and RQ
have no server-free broker; Dramatiq's needs an extra package.

The queue carries only plan ids: requests, files, progress and results live in the
database (:class:`~locator.planning.registry.PlanRegistry`). A plan whose worker dies is
not retried: the registry marks it failed with the reason once its heartbeat (every
:data:`HEARTBEAT_S` while it runs) stops.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from locator.errors import LocatorError
from locator.index import StationIndex
from locator.planning.plan import run_plan
from locator.planning.record import request_from_json
from locator.planning.registry import PlanRegistry
from locator.regions import Regions

logger = logging.getLogger(__name__)

QUEUE_NAME = "locator-plans"
TASK_NAME = "locator.run_plan"
HEARTBEAT_S = 5.0
PROGRESS_EVERY_S = 0.5


def make_huey(queue_url: str, work_dir: Path, name_of: str = "") -> Huey:
    """Redis for ``redis://`` URLs; otherwise SQLite (``sqlite:///path`` or the default
    ``queue.db`` in ``work_dir``). The queue's name carries a hash of ``name_of`` (the
    database URL), so servers with different databases never take each other's plans
    from one Redis."""
    name = f"{QUEUE_NAME}-{hashlib.sha256(name_of.encode()).hexdigest()[:10]}"
    if queue_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=queue_url)
    path = Path(queue_url.removeprefix("sqlite:///") if queue_url else work_dir / "queue.db")
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(path))


@dataclass(frozen=True)
class PlanRunner:
    """Runs one plan from the database: files to a temporary folder, progress and a
    heartbeat back to the database, the result or the reason it failed."""

    registry: PlanRegistry
    data_dir: Path
    regions: Regions
    index: Callable[[], StationIndex]  # the stations served now

    def run(self, plan_id: str) -> None:
        started = self.registry.start(plan_id)
        if started is None:  # already run, or gone
            return
        request_data, files = started
        with tempfile.TemporaryDirectory(prefix="locator-plan-") as folder:
            uploads = {}
            for field, (filename, content) in files.items():
                (Path(folder) / field).mkdir()
                uploads[field] = Path(folder) / field / Path(filename).name
                uploads[field].write_bytes(content)
            request = request_from_json(request_data, uploads)
            with _Heartbeat(self.registry, plan_id) as beat:
                try:
                    plan = run_plan(
                        request,
                        data_dir=self.data_dir,
                        index=self.index(),
                        regions=self.regions,
                        progress=beat.progress,
                    )
                except LocatorError as exc:
                    self.registry.finish(plan_id, error=exc.message)
                    return
                except Exception:
                    logger.exception("plan %s failed", plan_id)
                    self.registry.finish(plan_id, error="internal error; the log has the details.")
                    return
        self.registry.finish(plan_id, plan=plan)


class _Heartbeat:
    """Reports progress at most every :data:`PROGRESS_EVERY_S`, and beats every
    :data:`HEARTBEAT_S` from a thread while the plan runs (the solver may be silent)."""

    def __init__(self, registry: PlanRegistry, plan_id: str) -> None:
        self.registry, self.plan_id = registry, plan_id
        self.stage, self.fraction, self._sent = "starting", 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="locator-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def progress(self, stage: str, fraction: float) -> None:
        self.stage, self.fraction = stage, fraction
        now = time.monotonic()
        if now - self._sent >= PROGRESS_EVERY_S:
            self._sent = now
            self.registry.progress(self.plan_id, stage, fraction)

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            self.registry.progress(self.plan_id, self.stage, self.fraction)


class _QuietConsumer(Consumer):
    """huey's consumer without its signal handlers: it runs in threads of a web process,
    whose signals belong to the server (gunicorn, werkzeug)."""

    def _set_signal_handlers(self) -> None:
        pass


class PlanQueue:
    """Enqueue plan ids; run them in ``threads`` threads of this process (started with the
    first plan; 0 leaves them to ``locator worker`` processes)."""

    def __init__(self, huey: Huey, runner: PlanRunner, threads: int = 1) -> None:
        self.huey, self.threads = huey, threads
        self._task = huey.task(name=TASK_NAME, retries=0)(runner.run)
        self._consumer: Consumer | None = None
        self._lock = threading.Lock()

    def enqueue(self, plan_id: str) -> None:
        self.start_threads(self.threads)
        self._task(plan_id)

    def start_threads(self, workers: int) -> None:
        """Run plans in ``workers`` threads of this process (once; later calls do nothing)."""
        with self._lock:
            if self._consumer is None and workers > 0:
                self._consumer = _QuietConsumer(
                    self.huey, workers=workers, worker_type="thread", periodic=False
                )
                self._consumer.start()

    def stop(self) -> None:
        """Stop this process's threads, letting a running plan finish."""
        with self._lock:
            if self._consumer is not None:
                self._consumer.stop(graceful=True)
                self._consumer = None

    def run_forever(self, workers: int) -> None:
        """``locator worker``: the consumer in the foreground, stopped by SIGINT/SIGTERM."""
        Consumer(self.huey, workers=workers, worker_type="thread", periodic=False).run()
