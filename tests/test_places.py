"""Place-name search over the shipped districts and GeoNames places."""

from __future__ import annotations

import pytest

from locator.errors import BadQuery
from locator.places import load_gazetteer, normalise, search_places
from tests.conftest import DATA


@pytest.fixture(scope="module")
def gazetteer(regions):
    return load_gazetteer(DATA, regions)


def test_normalise_drops_case_spaces_and_apostrophes():
    assert normalise("Xi’an") == normalise("xi an") == normalise("XI-AN") == "xian"


def test_a_district_is_found_by_its_chinese_name_and_its_english_name(gazetteer):
    (by_chinese,) = search_places(gazetteer, "东城").places
    assert (by_chinese.name, by_chinese.kind) == ("东城区", "district")
    assert search_places(gazetteer, "dongcheng").places[0].name == "东城区"
    assert 116.35 < by_chinese.lon < 116.45 and 39.85 < by_chinese.lat < 39.98  # inside 东城


def test_a_place_is_found_by_its_pinyin_with_its_district(gazetteer):
    found = search_places(gazetteer, "baoji")
    assert [(p.name, p.kind) for p in found.places] == [("Baoji", "place")]
    assert found.places[0].district == "金台区"


def test_names_that_start_with_the_query_come_first(gazetteer):
    found = search_places(gazetteer, "xian", limit=3)
    assert found.places[0].name == "Xi’an"
    assert found.number_matched > 3 and len(found.places) == 3


def test_without_a_places_file_only_districts_are_searched(tmp_path, regions):
    assert search_places(load_gazetteer(tmp_path, regions), "baoji").places == ()
    assert search_places(load_gazetteer(tmp_path, regions), "宝鸡").number_matched == 0


@pytest.mark.parametrize(
    ("query", "limit"), [("", 5), (" - ", 5), ("x" * 41, 5), ("a", 0), ("a", 21)]
)
def test_bad_queries_are_refused(gazetteer, query, limit):
    with pytest.raises(BadQuery):
        search_places(gazetteer, query, limit)
