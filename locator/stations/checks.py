"""Row checks used by :func:`locator.stations.validation.parse_stations`: ids, amenities,
opening hours and probable duplicates. Each takes the shared ``Report``."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from locator import amenities, coords

if TYPE_CHECKING:
    from locator.stations.validation import Report

DUPLICATE_RADIUS_M = 50.0


def fill_ids(report: Report, out: pd.DataFrame, id_col: str | None) -> None:
    """Give blank ids a stable one and report ids used twice.

    A generated id hashes kind, name and coordinates, so re-importing the same
    row gives the same id.
    """
    blank = (out["id"] == "").to_numpy()
    if blank.any():
        rows = out.loc[blank]
        keys = (
            rows["kind"]
            + "|"
            + rows["name"]
            + "|"
            + rows["lon"].round(6).astype(str).fillna("nan")  # a rejected row has no place
            + "|"
            + rows["lat"].round(6).astype(str).fillna("nan")
        )
        out.loc[blank, "id"] = ["s-" + hashlib.sha1(k.encode()).hexdigest()[:12] for k in keys]
    dup = out["id"].duplicated(keep="first").to_numpy()
    if dup.any():
        first_row = dict(zip(out["id"][~dup], report.raw.row_numbers[~dup], strict=True))
        for i in np.flatnonzero(dup):
            first = first_row[out["id"][i]]
            report.add(
                [i],
                id_col or "id",
                out["id"],
                "duplicate_id",
                f"id {{value!r}} is also used in row {first}; give every station its own id.",
            )


def check_amenities(
    report: Report,
    out: pd.DataFrame,
    cells: pd.DataFrame,
    amenity_cols: dict[str, str],
    text_col: str | None,
) -> None:
    """Fill one tri-state column per amenity key from flag columns and a free-text column.

    A flag column wins over the free text; free text fills only unknown cells.
    """
    for key in amenities.KEYS:
        if key not in amenity_cols:
            out[key] = amenities.UNKNOWN
    for key, col in amenity_cols.items():
        codes, uniques = pd.factorize(cells[col])  # each distinct cell is read once
        parsed = np.array([amenities.parse_flag(u) for u in uniques], dtype=object)[codes]
        bad = pd.isna(parsed)
        report.add(
            bad,
            col,
            cells[col],
            "bad_amenity_value",
            "{value!r} is not a yes/no value; use 是/否, 有/无, √/×, yes/no or 1/0 "
            "(blank means unknown).",
        )
        parsed[bad] = amenities.UNKNOWN
        out[key] = parsed
    if text_col is None:
        return
    text = cells[text_col].str.strip()
    codes, uniques = pd.factorize(text)  # each distinct text is parsed once
    texts = [amenities.parse_amenity_text(u) if u else None for u in uniques]
    column = {key: j for j, key in enumerate(amenities.KEYS)}
    per_text = np.full((len(texts), len(column)), amenities.UNKNOWN, dtype=object)
    for i, found in enumerate(texts):
        for key, flag in found.values.items() if found else ():
            per_text[i, column[key]] = flag
    for key, j in column.items():
        value = per_text[codes, j]
        target = (out[key] == amenities.UNKNOWN).to_numpy() & (value != amenities.UNKNOWN)
        if target.any():
            out.loc[target, key] = value[target]
    with_unknown = [i for i, p in enumerate(texts) if p is not None and p.unknown_words]
    if not with_unknown:
        return
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], with_unknown)
    ends = np.searchsorted(codes[order], with_unknown, side="right")
    for i, lo, hi in zip(with_unknown, starts, ends, strict=True):
        for word in texts[i].unknown_words:  # type: ignore[union-attr]
            report.add(
                order[lo:hi],
                text_col,
                text,
                "unknown_amenity",
                f"{word!r} matches no amenity in the vocabulary and was not imported; "
                "use a word from GET /api/v1/amenities or ask for it to be added.",
                "warning",
            )


@lru_cache(maxsize=4096)
def _hours_error(value: str) -> str | None:
    import opening_hours

    try:
        opening_hours.OpeningHours(value)
    except Exception as exc:  # the parser raises ParserError and a few others
        return str(exc).splitlines()[0]
    return None


def check_opening_hours(report: Report, out: pd.DataFrame, col: str | None) -> None:
    """Report opening hours that are not OpenStreetMap ``opening_hours`` syntax."""
    hours = out["opening_hours"]
    errors = {v: _hours_error(v) for v in pd.unique(hours) if v}
    bad = hours.map(lambda v: errors.get(v) is not None).to_numpy()
    report.add(
        bad,
        col or "opening_hours",
        hours,
        "bad_opening_hours",
        "{value!r} is not OpenStreetMap opening_hours syntax; write e.g. '24/7' or "
        "'Mo-Fr 08:00-20:00; Sa,Su 09:00-17:00'.",
    )


def check_duplicates(report: Report, out: pd.DataFrame, name_col: str) -> None:
    """Warn about stations with the same name within 50 m of each other (geodesic)."""
    lon, lat = out["lon"].to_numpy(dtype=float), out["lat"].to_numpy(dtype=float)
    ok = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    if len(ok) < 2:
        return
    x, y = coords.to_metric(lon[ok], lat[ok])
    # Albers distorts scale by well under 2 % in China; the margin keeps every true pair.
    pairs = cKDTree(np.column_stack([x, y])).query_pairs(
        DUPLICATE_RADIUS_M * 1.05, output_type="ndarray"
    )
    if len(pairs) == 0:
        return
    a, b = ok[pairs[:, 0]], ok[pairs[:, 1]]
    names = out["name"].to_numpy()
    same = names[a] == names[b]
    a, b = a[same], b[same]
    dist = coords.geodesic_distance_m(lon[a], lat[a], lon[b], lat[b])
    for i, j, d in zip(a, b, dist, strict=True):
        if d <= DUPLICATE_RADIUS_M:
            first, second = sorted((int(i), int(j)))
            report.add(
                [second],
                name_col,
                out["name"],
                "probable_duplicate",
                f"same name as row {report.raw.row_numbers[first]}, {d:.0f} m away; "
                "remove one of them if they are the same station.",
                "warning",
            )
