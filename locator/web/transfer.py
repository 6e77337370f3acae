"""What travels over the wire: compression and HTTP caching.

Compression is Flask-Compress's: brotli or gzip, as the client asks (``Accept-Encoding``;
nothing when it asks for neither), for the text types only (HTML, JSON, GeoJSON, JS, CSS,
SVG, plain text). PNG, GeoPackage, CSV and the other downloads leave as they are. Bodies
under :data:`MIN_SIZE_BYTES` are not worth the CPU. Streamed answers (the batch search)
are left alone, so they still stream as they are made. Static files would be streamed
too, so :func:`register` reads a compressible one into memory first (they are at most a
few hundred KB); the middleware then compresses it like any other body. It runs last
among the ``after_request`` hooks, on the final body, and adds ``Vary:
Accept-Encoding`` and nothing about cookies.

Caching: static files keep Flask's validators (``ETag``, ``Last-Modified``) with
``Cache-Control: no-cache`` (:data:`STATIC_MAX_AGE_S` is None), so a repeat visit
revalidates each file and gets a 304 without its body. Their URLs carry no version, and
some are published to other sites (the embed snippet names ``embed-host.js``), so a
longer lifetime would let a browser run yesterday's script against today's page. API
answers that change only with the served dataset use :func:`conditional`.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_compress import Compress

COMPRESSED_TYPES = (
    "text/html",
    "text/css",
    "text/plain",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/geo+json",
    "image/svg+xml",
)
ALGORITHMS = ("br", "gzip")  # the server's preference when a client accepts both
MIN_SIZE_BYTES = 1024
STATIC_MAX_AGE_S: int | None = None  # no-cache: revalidate every time (see the docstring)


def register(app: Flask) -> None:
    """Configure and register Flask-Compress; call it before any other ``after_request``
    hook is registered, so that it runs after all of them (Flask runs them in reverse)."""
    app.config.update(
        COMPRESS_MIMETYPES=list(COMPRESSED_TYPES),
        COMPRESS_ALGORITHM=list(ALGORITHMS),
        COMPRESS_ALGORITHM_STREAMING=list(ALGORITHMS),
        COMPRESS_MIN_SIZE=MIN_SIZE_BYTES,
        COMPRESS_STREAMS=False,
        COMPRESS_LEVEL=6,  # gzip
        COMPRESS_BR_LEVEL=5,
        SEND_FILE_MAX_AGE_DEFAULT=STATIC_MAX_AGE_S,
    )
    Compress(app)

    @app.after_request
    def buffer_static_text(response: Any) -> Any:
        """A compressible static file as bytes, not a file stream (registered after
        Compress, so it runs before it). The file is closed when the response is."""
        if (
            request.endpoint == "static"
            and response.status_code == 200
            and response.mimetype in COMPRESSED_TYPES
        ):
            response.direct_passthrough = False
            response.make_sequence()
        return response


def conditional(response: Any, tag: str, max_age_s: int) -> Any:
    """Give ``response`` the strong ETag ``tag`` and ``Cache-Control: public,
    max-age=max_age_s``, and turn it into a 304 when the request's ``If-None-Match``
    already names it. Compression appends ``:br`` or ``:gzip`` to the tag of the body it
    sends and answers a tag with that suffix the same way."""
    response.set_etag(tag)
    response.cache_control.public = True
    response.cache_control.max_age = max_age_s
    return response.make_conditional(request)
