"""The language of the request being served, and the interface text shared by pages.

:func:`select_locale` is Flask-Babel's locale selector (``?lang=`` wins over
Accept-Language; default zh); :func:`language_context` gives every template ``lang``
and a link to the same page in the other language. The language rules themselves are
Flask-free, in :mod:`locator.web.i18n`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from flask import has_request_context, request
from flask_babel import get_locale
from flask_babel import gettext as _

from locator.web import i18n


def select_locale() -> str:
    """Flask-Babel's locale selector: ``?lang=`` wins over Accept-Language; default zh."""
    if not has_request_context():
        return i18n.DEFAULT
    return i18n.choose(request.args.get("lang"), request.accept_languages)


def current_lang() -> str:
    """The language of the page being rendered ("zh" or "en")."""
    return i18n.normalise(str(get_locale())) or i18n.DEFAULT


def language_context() -> dict[str, Any]:
    """``lang``, ``html_lang`` and a link to this page in the other language."""
    lang = current_lang()
    other = "en" if lang == "zh" else "zh"
    query = urlencode({**request.args.to_dict(), "lang": other})
    return {
        "lang": lang,
        "html_lang": i18n.HTML_LANG[lang],
        "other_lang": other,
        "other_html_lang": i18n.HTML_LANG[other],
        "switch_url": f"{quote(request.path)}?{query}",
        "lang_arg": i18n.normalise(request.args.get("lang")),
    }


def finder_text() -> dict[str, str]:
    """Interface text the finder's script shows; ``{name}`` marks a value it fills in."""
    return {
        "choose": _("Use your location, tap the map or pick a district to find stations."),
        "searching": _("Searching…"),
        "count": _("{matched} matched, {shown} shown"),
        "none": _("No station matches these filters. Try turning one off."),
        "error": _("The search failed. Please try again."),
        "map_error": _("The station map could not be loaded."),
        "locating": _("Finding your location…"),
        "geo_denied": _("Location access was refused. Tap the map or pick a district."),
        "geo_unavailable": _("Your location is not available. Tap the map or pick a district."),
        "open_yes": _("Open now"),
        "open_no": _("Closed now"),
        "open_unknown": _("Hours unknown"),
        "ebike": _("about {min} min by e-bike (estimate)"),
        "truck": _("about {min} min by truck (estimate)"),
        "walk_min": _("about {min} min on foot"),
        "ebike_min": _("about {min} min by e-bike"),
        "truck_min": _("about {min} min by truck"),
        "hours": _("Opening hours"),
        "metres": _("{n} m"),
        "kilometres": _("{n} km"),
        "details": _("Details"),
        "show_on_map": _("Show on map"),
        "navigate": _("Navigate with"),
        "amenities": _("Amenities"),
        "more_amenities": _("+{n} more"),
        "you_are_here": _("Your position"),
    }
