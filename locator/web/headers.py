"""The headers every response carries: content security, framing, permissions, CORS, HSTS.

Pages get a strict Content-Security-Policy: scripts, styles, connections and fonts from
this site only, images from it, ``data:`` and the tile hosts the page itself asked for
(:func:`allow_tiles`), no plugins, no ``<base>``, forms back to this site, no framing.
The one inline script and style sheet a page may carry (folium's, on the planner) are
marked with the request's nonce (:func:`csp_nonce`, a Jinja global), which the policy
then names. Every other response (JSON, images, files) gets ``default-src 'none'``;
embeds keep the policy :mod:`locator.web.embeds` sets, which lets them be framed.

``Permissions-Policy`` lets the finder ask for the position and nothing else ask for
anything. The public read API (GET and HEAD under ``/api/v1/``) may be read by any site
(``Access-Control-Allow-Origin: *``; it uses no cookies); a POST never gets the header, so
a browser keeps other sites from sending one with a body. HSTS is sent over HTTPS only.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, g, request

from locator.maps.style import TILES

EMBED_ENDPOINT = "embeds.embed"  # sets its own CSP and allows framing
SERVICE_WORKER_ENDPOINT = "offline.service_worker"
GEOLOCATION_ENDPOINTS = ("pages.finder",)
HSTS = "max-age=31536000"
NON_PAGE_POLICY = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'"
# matplotlib's SVG carries one inline style sheet; scripts stay blocked.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
# A script's policy binds a service worker: it may fetch (and cache) from this site only.
WORKER_POLICY = "default-src 'none'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"


def tile_source(url: str) -> str:
    """The CSP source of a tile URL template: ``https://t{s}.tianditu.gov.cn/...`` becomes
    ``https://*.tianditu.gov.cn``."""
    parts = urlsplit(url)
    first, _, rest = parts.netloc.partition(".")
    host = f"*.{rest}" if "{" in first else parts.netloc
    return f"{parts.scheme}://{host}"


TILE_SOURCES = {name: tile_source(spec.url) for name, spec in TILES.items()}


def csp_nonce() -> str:
    """This request's nonce for an inline ``<script>`` or ``<style>`` (made on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    nonce: str = g.csp_nonce
    return nonce


def allow_tiles(name: str) -> None:
    """Let this page load the tiles of base map ``name`` (osm, tianditu, amap; none: no
    tiles)."""
    if name in TILE_SOURCES:
        g.csp_tiles = {*g.get("csp_tiles", ()), TILE_SOURCES[name]}


def page_policy() -> str:
    """The CSP of an HTML page, with this request's nonce and tile hosts."""
    nonce = f" 'nonce-{g.csp_nonce}'" if "csp_nonce" in g else ""
    images = " ".join(("'self'", "data:", *sorted(g.get("csp_tiles", ()))))
    return (
        f"default-src 'self'; script-src 'self'{nonce}; style-src 'self'{nonce}; "
        f"img-src {images}; connect-src 'self'; font-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def _policy(response: Any) -> str:
    if response.mimetype == "text/html":
        return page_policy()
    if response.mimetype == "image/svg+xml":
        return SVG_POLICY
    if request.endpoint == SERVICE_WORKER_ENDPOINT:
        return WORKER_POLICY
    return NON_PAGE_POLICY


def register(app: Flask) -> None:
    """Make :func:`csp_nonce` a Jinja global and set the headers on every response."""
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def security_headers(response: Any) -> Any:
        """The referrer policy keeps the finder's query string (the user's position) from
        leaking to map tiles and navigation apps."""
        headers = response.headers
        if request.endpoint != EMBED_ENDPOINT:
            headers.setdefault("X-Frame-Options", "DENY")
            headers["Content-Security-Policy"] = _policy(response)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        geolocation = "(self)" if request.endpoint in GEOLOCATION_ENDPOINTS else "()"
        headers["Permissions-Policy"] = f"geolocation={geolocation}, camera=(), microphone=()"
        if request.method in ("GET", "HEAD") and request.path.startswith("/api/v1/"):
            headers["Access-Control-Allow-Origin"] = "*"
            headers["Access-Control-Expose-Headers"] = "Retry-After"
        if request.is_secure:
            headers["Strict-Transport-Security"] = HSTS
        return response
