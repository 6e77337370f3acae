"""Folium maps of coverage and siting plans; no Flask, no request objects.

:func:`build_map` draws one :class:`MapData` on a base map: the district choropleth of
the covered share, the existing stations (fetched by the browser from the compact
points API and drawn on one canvas, never one HTML marker each), the covered area
(covered demand cells dissolved into one polygon), uncovered demand as a heat layer and
the proposed sites, with a layer control, legend, scale bar, full-screen control and
attribution. :func:`map_parts` renders it in three pieces for a Jinja page.

Datums: every layer is WGS84 (GeoJSON ``[lon, lat]``, folium ``(lat, lon)``) except on
Amap tiles, which are GCJ-02: there every overlay is shifted with
:func:`locator.coords.wgs84_to_gcj02` here, on the server, and the stations are asked
for with ``datum=gcj02``. Tianditu's web-Mercator tiles are close enough to WGS84 to need
no shift.

Offline: folium's CDN links are replaced by files under ``static/vendor/`` (Leaflet,
leaflet.fullscreen, Leaflet.heat) and ``static/js/planner-map.js``; no jQuery or
Bootstrap is needed because no folium ``Popup``/``Icon`` is used. Data text (names) is
passed through :func:`html.escape` before folium puts it into tooltips and popups, which
it inserts as HTML.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import folium
import shapely
from branca.element import Figure
from folium import plugins
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template

from locator.maps.layers import (
    MapData,
    datum_of,
    display_geometry,
    district_features,
    heat_points,
    site_features,
    suggestion_features,
    to_datum,
)
from locator.maps.style import (
    COVERED_COLOUR,
    SITE_COLOUR,
    SUGGESTED_COLOUR,
    TILES,
    MapText,
    legend_items,
)

POINTS_PANE = "locatorPoints"

__all__ = ["MapData", "MapParts", "MapText", "build_map", "map_parts", "tile_choices"]


@dataclass(frozen=True)
class MapParts:
    """A rendered map for a page: ``links`` go in <head>, ``html`` where the map goes and
    ``script`` in a <script> after it. ``map_id`` is the map's element id."""

    links: str
    html: str
    script: str
    map_id: str


def tile_choices(tianditu_key: str = "") -> tuple[str, ...]:
    """Base maps offered: Tianditu only with a key; "none" draws boundaries only."""
    return (*(name for name in TILES if name != "tianditu" or tianditu_key), "none")


def _local(m: folium.Map, static_url: str) -> None:
    """Point the map's JS/CSS at ``static/vendor`` (folium's own lists name CDNs)."""
    m.default_js = [("leaflet", f"{static_url}vendor/leaflet/leaflet.js")]
    m.default_css = [("leaflet_css", f"{static_url}vendor/leaflet/leaflet.css")]


class _Local(JSCSSMixin):
    """Elements that need ``planner-map.js``; its URL is set per instance."""

    def use_static(self, static_url: str) -> None:
        self.default_js = [
            ("locator_common", f"{static_url}js/common.js"),
            ("locator_dom", f"{static_url}js/dom.js"),
            ("locator_map", f"{static_url}js/planner-map.js"),
        ]
        self.default_css = [("locator_map_css", f"{static_url}css/planner-map.css")]


class StationPoints(_Local, Layer):
    """The stations of ``url`` (compact points) as canvas circles, loaded by the browser
    tile by tile as the map moves (``static/js/planner-map.js``)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = LocatorMap.stations({{ this.config|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, name: str, config: Mapping[str, Any]) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "StationPoints"
        self.config = dict(config)


class Legend(_Local):
    """The legend box (bottom right), built by ``LocatorMap.legend`` with textContent."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        LocatorMap.legend({{ this._parent.get_name() }}, {{ this.spec|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, spec: Mapping[str, Any]) -> None:
        super().__init__()
        self._name = "Legend"
        self.spec = dict(spec)


def _add_tiles(m: folium.Map, tiles: str, tianditu_key: str) -> None:
    spec = TILES.get(tiles)
    if spec is None or (tiles == "tianditu" and not tianditu_key):
        return
    for url in (spec.url, spec.labels_url):
        if url:
            folium.TileLayer(
                url.replace("{key}", tianditu_key),
                attr=spec.attribution,  # Leaflet shows one copy of equal credits
                name=spec.label if url == spec.url else f"{spec.label} labels",
                subdomains=spec.subdomains,
                max_zoom=spec.max_zoom,
                overlay=url != spec.url,
                control=url == spec.url,
            ).add_to(m)


def _district_layer(m: folium.Map, data: MapData, datum: str, text: MapText) -> None:
    folium.GeoJson(
        district_features(data.districts, datum),
        name=text.districts,
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": "#555",
            "weight": 1,
            "fillOpacity": 0.55,
        },
        tooltip=folium.GeoJsonTooltip(
            ["name", "before", "after"], [text.district, text.share_before, text.share_after]
        ),
        attribution=html.escape(text.data_credit),
    ).add_to(m)


def _overlays(m: folium.Map, data: MapData, datum: str, text: MapText, static: str) -> None:
    cover = display_geometry(data.covered, datum)
    if not cover.is_empty:
        folium.GeoJson(
            {"type": "Feature", "geometry": shapely.geometry.mapping(cover), "properties": {}},
            name=text.covered,
            style_function=lambda f: {"color": COVERED_COLOUR, "weight": 1, "fillOpacity": 0.25},
        ).add_to(m)
    heat = plugins.HeatMap(heat_points(data.uncovered, datum), name=text.uncovered)
    heat.options.update({"radius": 14, "blur": 18, "minOpacity": 0.25, "max": 1.0})
    heat.default_js = [("leaflet_heat", f"{static}vendor/leaflet-heat/leaflet-heat.js")]
    heat.add_to(m)
    # Points go in a pane above the overlay pane, where the heat layer's canvas lies.
    folium.map.CustomPane(POINTS_PANE, z_index=450, pointer_events=True).add_to(m)
    stations = StationPoints(text.stations, _station_config(data, datum, text))
    stations.use_static(static)
    stations.add_to(m)
    if data.sites is not None and len(data.sites):
        marker = folium.CircleMarker(radius=9, weight=2, color="#fff", fill=True, fill_opacity=1)
        marker.options.update(pane=POINTS_PANE, bubblingMouseEvents=False)
        folium.GeoJson(
            site_features(data.sites, datum),
            name=text.sites,
            marker=marker,
            style_function=lambda f: {"fillColor": SITE_COLOUR, "color": "#fff"},
            popup=folium.GeoJsonPopup(
                ["label", "gain", "after", "district", "host"],
                [text.rank, text.gain, text.share_after_site, text.district, text.host_type],
            ),
            tooltip=folium.GeoJsonTooltip(["label"], labels=False),
        ).add_to(m)


def _suggested_layer(m: folium.Map, data: MapData, datum: str, text: MapText) -> None:
    """Workers' suggestions: one dot per 250 m cell, larger where more were made."""
    if data.suggested is None or not len(data.suggested):
        return
    marker = folium.CircleMarker(radius=5, weight=1, color="#fff", fill=True, fill_opacity=0.9)
    marker.options.update(pane=POINTS_PANE, bubblingMouseEvents=False)
    folium.GeoJson(
        suggestion_features(data.suggested, datum),
        name=text.suggested,
        marker=marker,
        style_function=lambda f: {
            "fillColor": SUGGESTED_COLOUR,
            "radius": 4 + 2 * min(f["properties"]["count"], 6),
        },
        tooltip=folium.GeoJsonTooltip(["count"], [text.suggestions_here]),
    ).add_to(m)


def _station_config(data: MapData, datum: str, text: MapText) -> dict[str, Any]:
    joiner = "&" if "?" in data.stations_url else "?"
    return {
        "url": f"{data.stations_url}{joiner}datum={datum}",
        "pane": POINTS_PANE,
        "station": data.station_url,
        "page": data.page_url,
        "kinds": text.kinds,
        "details": text.details,
        "zoom_in": text.zoom_in,
    }


def build_map(
    data: MapData,
    *,
    tiles: str = "osm",
    tianditu_key: str = "",
    static_url: str = "/static/",
    text: MapText | None = None,
) -> folium.Map:
    """The coverage (and plan) map on ``tiles`` ("osm", "tianditu", "amap" or "none").

    Tianditu without a key falls back to no tiles. Overlays are shifted to GCJ-02 on
    Amap. ``static_url`` is where ``static/`` is served, ending in "/".
    """
    text = text or MapText()
    if tiles == "tianditu" and not tianditu_key:
        tiles = "none"
    datum = datum_of(tiles)
    west, south, east, north = data.districts.total_bounds
    (x0, x1), (y0, y1) = to_datum([west, east], [south, north], datum)
    m = folium.Map(
        location=[(y0 + y1) / 2, (x0 + x1) / 2],
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        zoom_start=9,
    )
    _local(m, static_url)
    _add_tiles(m, tiles, tianditu_key)
    _district_layer(m, data, datum, text)
    _overlays(m, data, datum, text, static_url)
    _suggested_layer(m, data, datum, text)
    folium.LayerControl(collapsed=False).add_to(m)
    full = plugins.Fullscreen(title=text.fullscreen, title_cancel=text.exit_fullscreen)
    vendor = f"{static_url}vendor/leaflet-fullscreen/"
    full.default_js = [("fullscreen_js", f"{vendor}Control.FullScreen.js")]
    full.default_css = [("fullscreen_css", f"{vendor}Control.FullScreen.css")]
    full.add_to(m)
    legend = Legend(
        {
            "title": text.legend,
            "items": legend_items(
                text, data.sites is not None, data.station_kinds, data.suggested is not None
            ),
        }
    )
    legend.use_static(static_url)
    legend.add_to(m)
    m.fit_bounds([[y0, x0], [y1, x1]])
    return m


def map_parts(m: folium.Map) -> MapParts:
    """Render ``m`` for a page: only its script/style links go in <head>, none of folium's
    page-wide styles (``html, body {height: 100%}``), which the page's CSS replaces."""
    figure = m.get_root()
    assert isinstance(figure, Figure)
    figure.render()
    skip = {m.get_name(), "meta_http"}  # folium's page styles and its charset <meta>
    head = [child.render() for name, child in figure.header._children.items() if name not in skip]
    return MapParts("\n".join(head), figure.html.render(), figure.script.render(), m.get_name())


def page_html(m: folium.Map) -> str:
    """``m`` as a whole HTML document (folium's own page), for files and tests."""
    html_text: str = m.get_root().render()
    return html_text
