"""WSGI factory for bench/http_nearest.py: the locator app plus a no-op route.

Serve it with gunicorn from the project root::

    .venv/bin/gunicorn -w 2 -b 127.0.0.1:8123 --chdir bench 'wsgi_bench:create_bench_app()'

``GET /bench/noop`` returns ``{}`` through the same Flask app, JSON provider and server
as ``/api/v1/nearest``, so the two differ only in the work the route does.
Settings come from the ``LOCATOR_*`` environment, as for ``create_app()``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from locator import create_app

NOOP_PATH = "/bench/noop"


def create_bench_app() -> Flask:
    """``locator.create_app()`` with ``GET /bench/noop``."""
    app = create_app()

    @app.get(NOOP_PATH)
    def noop() -> Any:
        return {}

    return app
