"""The station schema: canonical fields, station kinds and the headers real files use.

A station row has the fields in :data:`FIELDS` plus one tri-state column per
amenity key (``"yes"``, ``"no"`` or ``"unknown"``; see :mod:`locator.amenities`).
Coordinates are WGS84 longitude and latitude in degrees.
"""

from __future__ import annotations

import unicodedata

FIELDS: tuple[str, ...] = (
    "id",
    "name",
    "name_en",
    "kind",
    "lon",
    "lat",
    "address",
    "province_adcode",
    "province_name",
    "city_adcode",
    "city_name",
    "district_adcode",
    "district_name",
    "opening_hours",
    "host_type",
    "phone",
    "source",
    "updated",
)
ADMIN_FIELDS: tuple[str, ...] = FIELDS[7:13]
# Not a file's column: the day the database says a station was last confirmed (an import
# listed it, or an admin confirmed a report on it), as an ISO day or "" when unknown; a
# version loaded from the database has it (locator.db.datasets).
CONFIRMED = "last_confirmed"
REQUIRED: tuple[str, ...] = ("name", "lon", "lat")

KINDS: dict[str, tuple[str, str]] = {
    "warm_heart": ("户外劳动者暖心驿站", "Warm-heart station"),
    "driver_home": ("司机之家", "Driver's home"),
}

# Extra input-only columns: a free-text amenity list and a per-row datum.
AMENITY_TEXT = "amenities"
ROW_CRS = "crs"

_HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "编号", "站点编号", "驿站编号", "序号编号"),
    "name": ("name", "名称", "站点名称", "驿站名称", "站名"),
    "name_en": ("name_en", "英文名称", "english name"),
    "kind": ("kind", "类型", "站点类型", "驿站类型"),
    "lon": ("lon", "lng", "long", "longitude", "x", "经度"),
    "lat": ("lat", "latitude", "y", "纬度"),
    "address": ("address", "地址", "详细地址", "站点地址"),
    "province_adcode": ("province_adcode", "省级代码"),
    "province_name": ("province_name", "province", "省", "省份"),
    "city_adcode": ("city_adcode", "市级代码"),
    "city_name": ("city_name", "city", "市", "城市"),
    "district_adcode": ("district_adcode", "adcode", "区县代码", "行政区划代码"),
    "district_name": ("district_name", "district", "区", "区县", "所在区"),
    "opening_hours": ("opening_hours", "开放时间", "营业时间", "服务时间", "hours"),
    "host_type": ("host_type", "所属单位", "依托单位", "依托单位类型", "载体类型"),
    "phone": ("phone", "电话", "联系电话", "telephone", "tel"),
    "source": ("source", "来源", "数据来源"),
    "updated": ("updated", "更新时间", "更新日期"),
    AMENITY_TEXT: (
        "amenities",
        "设施",
        "服务项目",
        "设施/服务项目",
        "服务设施",
        "配套设施",
        "设施服务",
        "服务内容",
        "facilities",
        "services",
    ),
    ROW_CRS: ("crs", "坐标系", "datum", "coord_type"),
}


def normalise_header(header: object) -> str:
    """Fold width and case and trim, so that "经度 " and "ＬＯＮ" match their aliases."""
    return unicodedata.normalize("NFKC", str(header)).strip().lower()


_HEADER_LOOKUP = {
    normalise_header(a): field for field, aliases in _HEADER_ALIASES.items() for a in aliases
}


def header_field(header: object) -> str | None:
    """The schema field a column header names, or None."""
    return _HEADER_LOOKUP.get(normalise_header(header))


_KIND_ALIASES = {
    "warm_heart": "warm_heart",
    "warm-heart": "warm_heart",
    "暖心驿站": "warm_heart",
    "户外劳动者暖心驿站": "warm_heart",
    "驿站": "warm_heart",
    "driver_home": "driver_home",
    "driver-home": "driver_home",
    "司机之家": "driver_home",
    "driver's home": "driver_home",
}


def parse_kind(value: object) -> str | None:
    """The canonical kind for a cell ("司机之家" -> "driver_home"), or None if unknown."""
    return _KIND_ALIASES.get(normalise_header(value))
