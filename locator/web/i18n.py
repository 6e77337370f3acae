"""Languages of the pages: which one a request gets, and the labels that come from data.

The pages speak Chinese (``zh``, the default) and English (``en``). Interface text is
translated with gettext catalogs in ``locator/translations/<lang>/LC_MESSAGES``
(Flask-Babel, wired up in :mod:`locator.web.pages`); the names of amenities and station
kinds are part of the vocabulary and come from :mod:`locator.amenities` and
:data:`locator.schema.KINDS`. Nothing here needs a request, so it is testable alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from flask_babel import gettext as _

from locator import amenities, names, schema

LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT = "zh"
# The value of <html lang>: BCP 47 tags screen readers and browsers act on.
HTML_LANG = {"zh": "zh-CN", "en": "en"}

# The amenities a courier or a truck driver asks about first; the finder shows these as
# chips and hides the rest behind "more".
SHORTLIST: tuple[str, ...] = (
    "shower",
    "hot_water_24h",
    "toilet",
    "microwave",
    "phone_charging",
    "ebike_charging",
    "laundry",
    "truck_parking",
    "food",
    "lockers",
)


def normalise(tag: str | None) -> str | None:
    """The supported language a tag names ("en-US" -> "en", "zh_Hans_CN" -> "zh"), or None."""
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def choose(query: str | None, accepted: Iterable[tuple[str, float]] = ()) -> str:
    """The language of a page.

    ``query`` (the ``?lang=`` parameter) wins when it names a supported language;
    otherwise the first supported tag of ``accepted`` (Accept-Language as
    (tag, quality) pairs, best first; quality 0 means "not this one"); otherwise
    :data:`DEFAULT`.
    """
    chosen = normalise(query)
    if chosen:
        return chosen
    for tag, quality in accepted:
        chosen = normalise(tag)
        if chosen and quality > 0:
            return chosen
    return DEFAULT


def kind_label(kind: str, lang: str) -> str:
    """The display name of a station kind; an unknown kind is shown as it is."""
    zh, en = schema.KINDS.get(kind, (kind, kind))
    return en if lang == "en" else zh


def kind_labels(lang: str) -> dict[str, str]:
    """Every station kind and its display name, in schema order."""
    return {kind: kind_label(kind, lang) for kind in schema.KINDS}


def amenity_labels(lang: str) -> dict[str, str]:
    """Every amenity key and its label, the shortlist first, then vocabulary order."""
    rest = [k for k in amenities.KEYS if k not in SHORTLIST]
    return {key: amenities.label(key, lang) for key in (*SHORTLIST, *rest)}


def place_name(name: str, lang: str, level: names.Level = "district") -> str:
    """A district, city or province name in the page's language (pinyin in English)."""
    return names.english(name, level) if lang == "en" else name


PLACE_LEVELS: dict[str, names.Level] = {
    "province_name": "province",
    "city_name": "city",
    "district_name": "district",
}


def place_line(record: Mapping[Any, Any], lang: str) -> str:
    """Province, city and district of a station, each once, in ``lang``.

    "北京市 朝阳区" or "Beijing Chaoyang District" (Beijing is both province and city);
    missing parts (None, NaN, "") are left out, so a station with none gives "".
    """
    parts = (
        place_name(value, lang, level)
        for column, level in PLACE_LEVELS.items()
        if isinstance(value := record.get(column), str)
    )
    return " ".join(dict.fromkeys(p for p in parts if p))


def with_place_names(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``frame`` with its ``district_name``/``city_name``/``province_name`` columns in ``lang``.

    The frame itself is not changed; in Chinese it is returned as it is.
    """
    present = [c for c in PLACE_LEVELS if c in frame.columns]
    if lang != "en" or not present:
        return frame
    out = frame.copy()
    for column in present:
        level = PLACE_LEVELS[column]
        out[column] = [names.english(v, level) if isinstance(v, str) else v for v in out[column]]
    return out


def report_kind_labels() -> dict[str, str]:
    """What a station report says (:data:`locator.db.reports.KINDS`), in the page's
    language (Flask-Babel: call inside a request)."""
    return {
        "open_as_listed": _("Open, as listed"),
        "closed_for_good": _("Closed for good"),
        "closed_when_open": _("Closed when it should be open"),
        "moved": _("Moved somewhere else"),
        "amenity_missing": _("Something is missing or broken"),
        "amenity_present": _("It has something not listed"),
        "crowded": _("Crowded"),
        "great": _("Great"),
    }
