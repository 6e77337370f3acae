"""Blueprint for the HTML pages: the station finder at ``/`` and a page per station.

Templates escape every data field (Jinja autoescape, never ``|safe`` on data). Data
reaches the finder's script only as JSON (``|tojson``) or from the API, and the script
puts it on the page with ``textContent``. Interface text is translated by Flask-Babel;
:func:`select_locale` picks the language (see :mod:`locator.web.i18n`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import format_decimal, pgettext
from flask_babel import gettext as _

from locator import geodesy, hours, hours_text, names, navigation, travel
from locator.db import reports, suggestions
from locator.errors import NotFound
from locator.regions import Regions
from locator.web import i18n
from locator.web.headers import allow_tiles
from locator.web.locale import current_lang, finder_text
from locator.web.state import data, large, state

bp = Blueprint("pages", __name__)


def nav_labels() -> dict[str, str]:
    """Button text of the navigation apps, in the order shown (Google is blocked in China)."""
    return {
        "amap": _("Amap"),
        "baidu": _("Baidu Maps"),
        "tencent": _("Tencent Maps"),
        "apple": _("Apple Maps"),
    }


def district_choices(regions: Regions, lang: str = "zh") -> list[tuple[str, list[dict[str, Any]]]]:
    """Districts grouped by city (in file order), each with a point inside its polygon.

    Names are in ``lang`` (pinyin in English: "Chaoyang District" under "Beijing").

    The point is shapely's representative point, so it lies inside even a crescent-shaped
    district; lat/lon are WGS84 degrees rounded to 5 places (about 1 m).
    """
    frame = regions.districts
    points = frame.geometry.representative_point()
    cities: dict[str, list[dict[str, Any]]] = {}
    for rec, point in zip(frame.to_dict("records"), points, strict=True):
        city = i18n.place_name(str(rec["city_name"]), lang, "city")
        cities.setdefault(city, []).append(
            {
                "adcode": str(rec["district_adcode"]),
                "name": i18n.place_name(str(rec["district_name"]), lang),
                "lat": round(point.y, 5),
                "lon": round(point.x, 5),
            }
        )
    return list(cities.items())


def report_sheet(lang: str) -> dict[str, Any]:
    """What the report and suggestion sheets show (templates/report_sheet.html) and the
    settings and words of static/js/finder-report.js."""
    kinds = i18n.report_kind_labels()
    needs = {
        "water": _("Water"),
        "toilet": _("Toilet"),
        "charging": _("Charging"),
        "shower": _("Shower"),
        "parking": _("Parking"),
    }
    urls = report_urls()
    return {
        "kinds": list(kinds.items()),
        "amenity_kinds": sorted(reports.AMENITY_KINDS),
        "amenities": list(i18n.amenity_labels(lang).items()),
        "needs": [(k, needs[k]) for k in suggestions.NEEDS],
        "config": {
            "urls": urls,
            "text": {
                "sending": _("Sending…"),
                "sent": _("Thank you: sent."),
                "queued": _("No signal: saved on this phone, it will be sent when you are online."),
                "error": _("Not sent: {error}"),
                "waiting": _("{n} reports waiting for a signal to be sent."),
                "sent_waiting": _("{n} saved reports were sent."),
                "suggest_at": _("At {lat}, {lon}"),
                "suggest_no_point": _("No point chosen yet: choose it on the map."),
                "suggest_needs": _("Choose at least one thing you needed."),
                "summary": _("Reports in the last {days} days"),
                "reported_closed": _("Reported closed on {date}, not yet confirmed"),
                "last_confirmed": _("Last confirmed {date}"),
                "kinds": kinds,
            },
        },
    }


def report_urls() -> dict[str, str]:
    """Where reports and suggestions go (``__id__`` stands for the station), and
    ``summary``, a station's public summary of reports, once the reports API is served."""
    views = current_app.view_functions
    if "reports.add_report" not in views:  # the API's paths, as its contract names them
        root = url_for("api.health").rsplit("/", 1)[0]
        return {"report": f"{root}/stations/__id__/reports", "suggest": f"{root}/suggestions"}
    return {
        "report": url_for("reports.add_report", station_id="__id__"),
        "suggest": url_for("reports.add_suggestion"),
        "summary": url_for("reports.station_reports", station_id="__id__"),
    }


def report_text() -> dict[str, str]:
    """The finder's words for reports, confirmation dates and answers without a network."""
    return {
        "report": pgettext("station", "Report"),
        "reported_closed": _("Reported closed on {date}, not yet confirmed"),
        "last_confirmed": _("Last confirmed {date}"),
        "count_confirmed": _("{shown} shown, confirmed in the last {months} months"),
        "pick_suggest": _("Tap the map where a station should be."),
        "offline_ready": _("Saved for use without signal: {n} stations, {when}."),
        "offline_answer": _("No signal: answered from the stations saved {when}."),
        "offline_none": _("No signal, and no stations are saved on this phone yet."),
        "offline_hours": _("Opening hours are not checked without signal."),
        "last_search": _("Your last search, from {when}."),
        "today": _("today"),
        "days_ago": _("{n} days ago"),
    }


def station_bounds() -> list[list[float]] | None:
    """The served stations' bounds as Leaflet's ``[[south, west], [north, east]]``; None
    when there are none."""
    frame = data().table.frame
    if frame.empty:
        return None
    lon, lat = frame["lon"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float)
    return [[float(lat.min()), float(lon.min())], [float(lat.max()), float(lon.max())]]


@bp.get("/")
def finder() -> Any:
    """The station finder: where am I, what do I need, which stations are nearest."""
    st = state()
    lang = current_lang()
    cities = district_choices(st.regions, lang)
    labels = i18n.amenity_labels(lang)
    tiles = request.args.get("tiles", "osm") != "none"
    if tiles:
        allow_tiles("osm")  # static/js/finder-map.js draws OpenStreetMap tiles
    config = {
        "tiles": tiles,
        "lang": lang,
        "urls": {
            "nearest": url_for("search.nearest"),
            "stations": url_for("api.station_points"),  # compact: ids, kinds, coordinates
            "station_api": url_for("api.station", station_id="__id__"),
            "station": url_for("pages.station", station_id="__id__"),
            "sw": url_for("offline.service_worker"),
            "scope": url_for("pages.finder"),
            "offline": url_for("offline.stations"),
            "amenities": url_for("api.amenity_vocabulary"),
        },
        "bounds": station_bounds(),  # the first view, before a position is known
        "large": large(),  # the offline copy covers the area around the position
        "kinds": i18n.kind_labels(lang),
        # Lists of pairs, not objects: |tojson sorts object keys and these have an order.
        "amenities": list(labels.items()),
        "districts": {d["adcode"]: [d["lat"], d["lon"]] for _city, ds in cities for d in ds},
        "nav": list(nav_labels().items()),
        "text": {**finder_text(), **report_text(), "zoom_in": _("Zoom in to see the stations.")},
    }
    return render_template(
        "finder.html",
        dataset=data().table.info,
        count=len(data().table),
        cities=cities,
        kinds=config["kinds"],
        shortlist=[(k, labels[k]) for k in i18n.SHORTLIST],
        more=[(k, v) for k, v in labels.items() if k not in i18n.SHORTLIST],
        config=config,
        report=report_sheet(lang),
    )


@bp.get("/stations/<station_id>")
def station(station_id: str) -> Any:
    """One station's page; an unknown id gets an HTML 404 page, not the API's JSON."""
    try:
        row = data().table.row_of(station_id)
    except NotFound:
        return render_template("not_found.html", station_id=station_id), 404
    rec = data().table.frame.iloc[row].to_dict()
    lang = current_lang()
    open_code = int(data().index.hours.states_at(None, np.array([row]))[0])
    origin = parse_from(request.args.get("from"))
    links = navigation.links(rec["lon"], rec["lat"], rec["name"], rec["kind"], origin)
    tiles = request.args.get("tiles", "osm") != "none"
    if tiles:
        allow_tiles("osm")
    return render_template(
        "station.html",
        dataset=data().table.info,
        station=rec,
        kind_label=i18n.kind_label(rec["kind"], lang),
        place=i18n.place_line(rec, lang),
        name_pinyin=names.pinyin_line(str(rec["name"])) if lang == "en" else "",
        amenities=[(k, label, rec[k]) for k, label in i18n.amenity_labels(lang).items()],
        open_now=hours.STATE_NAMES[open_code],
        hours_text=hours_text.describe(str(rec.get("opening_hours") or "")),
        nav=[(app, label, links[app]) for app, label in nav_labels().items()],
        trip=None if origin is None else trip_texts(origin, rec["lon"], rec["lat"], rec["kind"]),
        tiles=tiles,
        report=report_sheet(lang),
        checked=confirmation(
            data().writer.feature(row, ("last_confirmed", "reported_closed"))["properties"]
        ),
    )


def confirmation(rec: Mapping[Any, Any]) -> dict[str, str]:
    """The station's ``last_confirmed`` and ``reported_closed`` dates (YYYY-MM-DD) where
    its properties have them."""
    found = {}
    for key in ("last_confirmed", "reported_closed"):
        value = rec.get(key)
        if value is not None and value == value and str(value).strip():  # not blank or NaN
            found[key] = str(value)[:10]
    return found


# "lat,lon" in decimal degrees, as the finder writes it (4 decimals, about 10 m).
_FROM = re.compile(r"-?\d{1,3}(?:\.\d{1,7})?,-?\d{1,3}(?:\.\d{1,7})?")


def parse_from(value: str | None) -> tuple[float, float] | None:
    """The user's WGS84 (lon, lat) from the station page's ``from=lat,lon``; None when it is
    missing or not a position on Earth: the page then shows no distance and links
    without an origin, as for a link someone shared. The position is neither stored nor
    logged."""
    if not value or not _FROM.fullmatch(value):
        return None
    lat, lon = (float(v) for v in value.split(","))
    if abs(lat) > 90 or abs(lon) > 180:
        return None
    return lon, lat


def trip_texts(
    origin: tuple[float, float], lon: float, lat: float, kind: str
) -> list[tuple[str, str]]:
    """The geodesic distance from ``origin`` (WGS84 lon, lat) to the station at WGS84
    (lon, lat) and the estimated walking and e-bike (truck, to a driver's home) times, as
    the finder words them: (class, text) pairs."""
    distance_m = float(geodesy.distance_m(origin[0], origin[1], lon, lat))
    tens_m = _half_up(distance_m / 10) * 10  # rounded as the finder's distanceText
    if tens_m < 1000:
        distance = _("{n} m").replace("{n}", format_decimal(tens_m))
    else:
        distance = _("{n} km").replace("{n}", format_decimal(_half_up(distance_m / 100) / 10))
    words = {
        "walk": _("about {min} min on foot"),
        "ebike": _("about {min} min by e-bike"),
        "truck": _("about {min} min by truck"),
    }
    found = travel.estimates(distance_m)
    texts = [("distance", distance)]
    for mode in ("walk", "truck" if kind == "driver_home" else "ebike"):
        minutes = max(1, _half_up(found[mode]["minutes"]))
        texts.append((f"eta eta-{mode}", words[mode].replace("{min}", format_decimal(minutes))))
    return texts


def _half_up(value: float) -> int:
    """Rounded as JavaScript's Math.round (halves up), so the page agrees with the finder."""
    return math.floor(value + 0.5)


@bp.get("/api/docs")
def api_docs() -> Any:
    """The OpenAPI document rendered as a plain page (no external assets)."""
    from locator.web.openapi import build_spec, example_request

    def curl(path: str, method: str, operation: dict[str, Any]) -> str:
        return example_request(path, method, operation, request.host_url)

    return render_template("docs.html", spec=build_spec(), curl=curl, html_lang="en")
