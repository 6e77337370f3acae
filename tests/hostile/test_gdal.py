"""GDAL as the process runs it after :func:`configure_gdal`: no VRT driver, no network.

These hand hostile input to GDAL directly, past locator's own sniffing, to show that the
second line of defence holds too.
"""

from __future__ import annotations

from pathlib import Path

import pyogrio
import pytest

from locator.errors import DataError
from locator.stations.gpkg import GDAL_OPTIONS, configure_gdal
from locator.stations.readers import read_raw


def test_the_vrt_drivers_are_gone_and_the_options_set(hostile) -> None:
    configure_gdal()  # idempotent: create_app and the CLI may both call it
    assert not {"VRT", "OGR_VRT"} & set(pyogrio.list_drivers())
    for name in ("CPL_VSIL_CURL_ALLOWED_EXTENSIONS", "GDAL_DISABLE_READDIR_ON_OPEN"):
        assert pyogrio.get_gdal_config_option(name) == GDAL_OPTIONS[name]


@pytest.mark.parametrize("name", ["vrt_passwd.geojson", "vrt_passwd.gpkg", "vrt_passwd.xlsx"])
def test_gdal_itself_no_longer_opens_a_vrt(hostile, name: str) -> None:
    with pytest.raises(Exception) as caught:
        pyogrio.read_dataframe(hostile[name])
    assert "root:" not in str(caught.value)


def test_as_csv_gdal_sees_only_the_vrt_text(hostile) -> None:
    frame = pyogrio.read_dataframe(hostile["vrt_passwd.csv"])  # GDAL's CSV driver: text rows
    assert "root:" not in frame.to_csv()


def test_gdal_makes_no_request_for_a_vsicurl_path(hostile, watcher) -> None:
    urls = [
        f"/vsicurl/http://127.0.0.1:{watcher.port}/x.gpkg",
        f"/vsicurl/http://127.0.0.1:{watcher.port}/x",
        f"http://127.0.0.1:{watcher.port}/stations.geojson",  # pyogrio maps it to /vsicurl/
    ]
    for url in urls:
        with pytest.raises(Exception):  # noqa: B017 - any GDAL error will do; no request is the point
            pyogrio.read_info(url)
    assert watcher.connections == 0


@pytest.mark.parametrize(
    "path", ["/vsicurl/http://127.0.0.1:9/x.csv", "/vsizip/stations.zip/a.csv", "/VSIMEM/x.gpkg"]
)
def test_virtual_paths_are_refused_before_any_reader(path: str) -> None:
    with pytest.raises(DataError, match=r"virtual paths \(/vsi\.\.\.\) are never read"):
        read_raw(Path(path))
