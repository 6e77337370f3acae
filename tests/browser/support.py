"""What the browser fixtures and tests share: the dataset, the page log, paths."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
OSM_TILES = "https://tile.openstreetmap.org/"

XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_ADDRESS = "<script>window.__xss=1</script>"

# Five Beijing stations a few km apart, so each marker can be clicked on its own;
# b3 and b4 carry markup in the fields that popups and tooltips show.
STATIONS_CSV = f"""\
id,name,kind,lon,lat,address,opening_hours,host_type,phone,source,updated,shower,toilet,amenities
b1,东单驿站,warm_heart,116.418,39.913,东城区东单北大街,24/7,工会服务站,,test,2024-01-01,是,是,
b2,国贸驿站,warm_heart,116.461,39.909,朝阳区建国门外大街,Mo-Fr 08:00-20:00,银行网点,,test,2024-01-01,否,有,"24小时热水、微波炉"
b3,{XSS_NAME},warm_heart,116.300,39.980,海淀区中关村大街,24/7,工会服务站,,test,2024-01-01,是,是,
b4,西站司机之家,driver_home,116.322,39.895,"{XSS_ADDRESS}",24/7,物流园区,,test,2024-01-01,是,,货车停车
b5,望京驿站,warm_heart,116.480,40.000,朝阳区望京街,24/7,社区服务中心,,test,2024-01-01,,是,
"""
STATION_COUNT = 5


@dataclass
class PageLog:
    """What a page did that a test should never see, and every URL it asked for.

    Requests off the test server are always aborted; a test that expects some (map
    tiles) lists their URL prefixes in ``allowed_external``.
    """

    allowed_external: tuple[str, ...] = ()
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
