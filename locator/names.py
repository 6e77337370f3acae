"""English forms of Chinese place names: Hanyu Pinyin without tones, capitalised.

``english("朝阳区")`` is ``"Chaoyang District"``, ``english("西安市", level="city")`` is
``"Xi'an"``. The administrative suffix (区, 县, 市, 旗, ...) becomes an English word after the
name; the name itself is romanised by pypinyin, with its syllables written together and an
apostrophe before a syllable that starts with a, o or e (GB/T 16159: 西安 Xi'an, 延安 Yan'an).

pypinyin reads some characters with their everyday sound where a place name has another
(朝阳 zhaoyang, 长武 zhangwu); :data:`READINGS` gives those names their official spelling, as
in the national list of administrative divisions, and keeps Shaanxi apart from Shanxi.
A name with no Chinese characters is returned as it is.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

Level = Literal["province", "city", "district"]

# Names whose official romanisation differs from pypinyin's default reading.
READINGS: dict[str, str] = {
    "朝阳": "Chaoyang",
    "佛坪": "Foping",
    "子长": "Zichang",
    "长武": "Changwu",
    "秦都": "Qindu",
    "陕西": "Shaanxi",
}

# Suffixes, longest first, and their English word at each level ("" = dropped).
# A prefecture-level city or a province is known by its name alone (Xi'an, Shaanxi);
# a county-level city keeps "City" to tell it from the prefecture around it.
_SUFFIXES: tuple[tuple[str, dict[str, str]], ...] = (
    ("自治县", {"district": "Autonomous County"}),
    ("自治旗", {"district": "Autonomous Banner"}),
    ("自治州", {"city": "Autonomous Prefecture"}),
    ("自治区", {"province": "", "district": "Autonomous Region"}),
    ("新区", {"district": "New Area", "city": "New Area"}),
    ("林区", {"district": "Forestry District"}),
    ("特区", {"district": "Special District"}),
    ("区", {"district": "District"}),
    ("县", {"district": "County"}),
    ("旗", {"district": "Banner"}),
    ("市", {"district": "City", "city": "", "province": ""}),
    ("省", {"province": ""}),
    ("地区", {"city": "Prefecture"}),
    ("盟", {"city": "League"}),
)
_VOWEL_START = ("a", "o", "e")


def _is_han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def romanise(stem: str) -> str:
    """Tone-less pinyin of a name without its suffix, syllables joined, first letter capital.

    An apostrophe separates a syllable starting with a, o or e from the one before it.
    Characters pypinyin does not know (Latin letters, digits) are kept.
    """
    if stem in READINGS:
        return READINGS[stem]
    # Imported here, on first use: pypinyin's dictionaries take about 55 MB, paid by a
    # process once it shows an English name or a station's ``name_pinyin``.
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(stem, style=Style.NORMAL, v_to_u=True)
    text = ""
    for syllable in syllables:
        if text and syllable[:1] in _VOWEL_START:
            text += "'"
        text += syllable
    return text[:1].upper() + text[1:]


def split_suffix(name: str, level: Level = "district") -> tuple[str, str]:
    """(stem, English suffix word) of ``name``; the word is "" when the level drops it.

    A one-character stem keeps its suffix whole (洋县 is Yang County, not "Y County"), and
    a suffix unknown at ``level`` stays part of the stem.
    """
    for suffix, words in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) and level in words:
            return name[: -len(suffix)], words[level]
    return name, ""


@lru_cache(maxsize=4096)
def english(name: str, level: Level = "district") -> str:
    """The English form of a Chinese place name: "榆阳区" -> "Yuyang District".

    ``level`` says what the name is: a province (陕西省 -> "Shaanxi"), a prefecture-level
    city (西安市 -> "Xi'an") or a district or county (神木市 -> "Shenmu City"). Empty or
    non-Chinese names come back unchanged.
    """
    name = name.strip()
    if not _is_han(name):
        return name
    stem, word = split_suffix(name, level)
    return f"{romanise(stem)} {word}".strip()


def pinyin_line(name: str) -> str:
    """How a station name is read: pinyin with tone marks, one syllable a word.

    Shown under a Chinese station name on English pages, so a reader can say it aloud or
    ask for it; "" when the name has no Chinese characters. Other characters (digits,
    Latin letters) are kept, and full-width brackets become ASCII ones.
    """
    if not _is_han(name):
        return ""
    from pypinyin import Style, lazy_pinyin

    parts = lazy_pinyin(name, style=Style.TONE, errors="default")
    text = " ".join(p.strip() for p in parts if p.strip())
    text = re.sub(r"\s*[（(]\s*", " (", text)
    text = re.sub(r"\s*[）)]", ")", text)
    return text.strip()
