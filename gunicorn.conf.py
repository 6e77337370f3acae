"""gunicorn settings for locator: ``gunicorn -c gunicorn.conf.py 'locator:create_app()'``.

Each worker process runs ``threads`` request threads (gthread), so cheap requests (the
finder's ``/api/v1/nearest``, pages) go on while a thread waits for a map, which is drawn
in a child process at lower CPU priority (``locator/forked.py``); the app itself lets only
``LOCATOR_RENDER_CONCURRENCY`` maps be drawn at once per worker. The worker
``timeout`` lies 30 s above the app's own deadline for expensive work
(``LOCATOR_REQUEST_DEADLINE_S``), which answers 503 in the JSON error shape first.
Should gunicorn still have to answer itself (a worker killed after the timeout, a
malformed request line, headers too large), its answer is in the same JSON shape
(:func:`locator.errors.error_body`) instead of its HTML page. It binds 127.0.0.1:8000;
command-line options (``-b 0.0.0.0:8000``, ``-w 4``) override these.
"""

from __future__ import annotations

import json
import os
import socket

from gunicorn import util

from locator.config import load_settings
from locator.errors import error_body

_settings = load_settings(os.environ, None)  # no module-level name may be "config"

wsgi_app = "locator:create_app()"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
# 16, not 4: a report (POST /api/v1/stations/<id>/reports) holds its thread ~50 ms while
# its batch commits (locator/db/group_commit.py) and the budget is counted in Redis, at
# ~5 ms of CPU; with 4 threads, 200 reports a second queued nearest behind them (nearest's
# median 100x its unloaded one, bench/reports.py), with 16 it stays near 1.8x.
threads = 16
timeout = int(float(_settings["REQUEST_DEADLINE_S"])) + 30
graceful_timeout = 30
keepalive = 5
# Workers are not recycled after N requests: at ~500 requests/s that restarted each
# worker every few seconds and cost 3-4x of nearest's throughput (bench/abuse.py). What
# one request may allocate is bounded before the work starts instead (upload, batch and
# plan-size limits, one map render at a time).
max_requests = 0
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

TIMEOUT_MESSAGE = (
    "the server could not finish this request: it took too long or failed. "
    "Try again, or ask for less."
)


def json_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's own error answer, in locator's JSON error shape."""
    message = mesg or (TIMEOUT_MESSAGE if status_int >= 500 else reason)
    body = json.dumps(error_body(message, status_int), ensure_ascii=False).encode("utf-8")
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


util.write_error = json_error  # workers call util.write_error(...) for every error they answer
