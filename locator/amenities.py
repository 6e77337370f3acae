"""The controlled vocabulary of station amenities, and parsers for spreadsheet cells.

Trade-union spreadsheets list amenities in one of two ways: one column per amenity with
yes/no cells (:func:`header_key` and :func:`parse_flag`), or one free-text column such as
"有淋浴、可洗衣、24小时热水" (:func:`parse_amenity_text`). Every word is matched after
:func:`normalise` (Unicode NFKC, case folding, collapsed whitespace), so full-width letters,
digits and punctuation behave like their ASCII forms.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import product
from types import MappingProxyType

YES = "yes"
NO = "no"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Amenity:
    """One amenity: a snake_case key, display labels, and every spelling that maps to it."""

    key: str
    zh: str
    en: str
    aliases: tuple[str, ...]


def normalise(text: str) -> str:
    """Return ``text`` in NFKC form, case-folded, with runs of whitespace made one space."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _words(text: str) -> list[str]:
    """Split a dense word list written as "a|b|c" (CJK text doubles the width of a literal)."""
    return text.split("|")


def _amenity(key: str, zh: str, en: str, extra: str) -> Amenity:
    """Build an Amenity whose aliases are the key, both labels and the words of ``extra``."""
    seen: dict[str, str] = {}
    for alias in (key, zh, en, *_words(extra)):
        seen.setdefault(normalise(alias), alias)
    return Amenity(key, zh, en, tuple(seen.values()))


# 热水/开水 (hot or boiled water) always mean hot_water_24h: stations advertise hot water as
# its own perk, and it is almost always available round the clock. Plain drinking water
# (饮水, 饮用水, 饮水机, 直饮水, 纯净水) is drinking_water. A bare 充电 or "charging" means
# phone charging; e-bike charging is always spelt out (电动车充电, 换电, 充电柜, 充电桩).
# 停车 means truck parking: only driver's homes list parking as an amenity. "ETC" is the
# toll tag, so an English list ending "etc" without a full stop reads as etc_service.
AMENITIES: tuple[Amenity, ...] = (
    _amenity("rest_area", "休息区", "Rest area",
             "休息|休息室|休息场所|休息座椅|座椅|桌椅|歇脚|等候区|seating|lounge"),
    _amenity("drinking_water", "饮水", "Drinking water",
             "饮用水|饮水机|直饮水|直饮机|纯净水|矿泉水|喝水|茶水|water|water dispenser"),
    _amenity("hot_water_24h", "24小时热水", "24-hour hot water",
             "24小时开水|24h热水|24h开水|热水|开水|热水供应|开水供应|烧水|hot water|"
             "boiled water|24h hot water|24 hour hot water"),
    _amenity("toilet", "卫生间", "Toilet",
             "如厕|厕所|洗手间|公厕|公共厕所|厕位|toilets|restroom|washroom|wc|lavatory"),
    _amenity("shower", "淋浴", "Shower", "洗澡|沐浴|洗浴|淋浴间|浴室|showers|bath"),
    _amenity("laundry", "洗衣", "Laundry", "洗衣机|洗衣服|洗衣房|washing machine|washer"),
    _amenity("dryer", "烘干", "Dryer", "烘干机|干衣机|烘衣|drying|tumble dryer"),
    _amenity("microwave", "微波炉", "Microwave", "热饭|热菜|热饭菜|加热饭菜|microwave oven"),
    _amenity("phone_charging", "手机充电", "Phone charging",
             "充电|充电插座|充电口|插座|usb充电|charging|charger|phone charger"),
    _amenity("power_bank", "充电宝", "Power bank", "共享充电宝|移动电源|powerbank"),
    _amenity("ebike_charging", "电动车充电", "E-bike charging",
             "电瓶车充电|电动自行车充电|电动车换电|换电|换电柜|充换电|充电柜|充电桩|"
             "e-bike charging|ebike charging|battery swap"),
    _amenity("first_aid", "应急药箱", "First aid kit",
             "药箱|医药箱|急救箱|急救包|应急药品|常用药品|常备药品|药品|first aid|medicine"),
    _amenity("lockers", "储物柜", "Lockers",
             "储物|寄存|物品寄存|存包|存包柜|更衣柜|locker|storage"),
    _amenity("vending_24h", "24小时自动售卖", "24-hour vending",
             "24小时自动售货|自动售货机|自动售卖机|售货机|售卖机|自助售货|无人售货|"
             "vending machine|vending"),
    _amenity("convenience_store", "便利店", "Convenience store", "小卖部|超市|商店|shop|store"),
    _amenity("food", "餐饮", "Food", "餐厅|食堂|用餐|就餐|快餐|简餐|爱心餐|餐食|饭菜|"
             "meals|restaurant|canteen|catering"),
    _amenity("air_conditioning", "冷暖空调", "Air conditioning",
             "空调|取暖|暖气|供暖|制冷|电暖气|ac|air con|heating"),
    _amenity("wifi", "无线网络", "Wi-Fi", "wlan|无线|无线网|无线上网|网络|上网|internet"),
    _amenity("repair_tools", "维修工具", "Repair tools",
             "打气筒|打气|充气|工具箱|修车工具|应急工具|补胎|tools|toolkit|pump|bike pump"),
    _amenity("rain_gear", "雨具", "Rain gear",
             "雨衣|雨伞|雨披|借伞|爱心雨伞|umbrella|umbrellas|raincoat"),
    _amenity("books", "图书", "Books", "书籍|阅读|书报|报刊|图书角|书架|读书|reading|library"),
    _amenity("truck_parking", "货车停车", "Truck parking",
             "停车|停车场|停车位|大车停车|货车停车场|parking"),
    _amenity("vehicle_repair", "汽车维修", "Vehicle repair",
             "车辆维修|修车|汽修|车辆保养|维修保养|car repair|auto repair"),
    _amenity("emergency_rescue", "紧急救援", "Emergency rescue",
             "救援|应急救援|道路救援|拖车|rescue|roadside assistance"),
    _amenity("etc_service", "ETC办理", "ETC service", "etc|etc服务|etc充值"),
    _amenity("fuel_discount", "优惠加油", "Fuel discount",
             "加油优惠|加油折扣|油价优惠|discounted fuel"),
    _amenity("smoking_area", "吸烟区", "Smoking area",
             "吸烟室|吸烟点|抽烟区|吸烟|smoking|smoking room"),
    _amenity("sewing_kit", "针线包", "Sewing kit", "针线|sewing"),
    _amenity("reading_glasses", "老花镜", "Reading glasses", "花镜"),
)  # fmt: skip

KEYS: tuple[str, ...] = tuple(a.key for a in AMENITIES)
BY_KEY: Mapping[str, Amenity] = MappingProxyType({a.key: a for a in AMENITIES})
_ALIASES: Mapping[str, str] = MappingProxyType(
    {normalise(alias): a.key for a in AMENITIES for alias in a.aliases}
)

# Words before an amenity in free text: True if they negate it, False if they are filler.
_PREFIX_WORDS: Mapping[str, bool] = MappingProxyType(
    dict.fromkeys(_words("无|没|没有|暂无|不提供|未提供|不设|未设|未配备|不支持|禁止"
                         "|no|not|without"), True)
    | dict.fromkeys(_words("有|可|可以|可供|提供|免费|设有|配备|配有|备有|内设|设置|拥有|具备|支持"
                           "|24小时|全天|free|with|has"), False)
)  # fmt: skip
# Leftover words that say nothing on their own ("淋浴间" is shower + 间, "wifi免费").
_IGNORABLE = frozenset(
    [w for w, negates in _PREFIX_WORDS.items() if not negates]
    + _words("间|室|房|区|服务|设施|设备|齐全|可用|使用|available|service")
)
_LONGEST = max(map(len, [*_ALIASES, *_PREFIX_WORDS]))
_SEPARATORS = re.compile(r"以及|[、,;/|+&()\[\]{}。:!?\n\r\t]|和|及|与|\band\b")
_LIST_END = re.compile(r"(等等|等|etc\.)$")

_FLAGS: Mapping[str, str] = MappingProxyType(
    dict.fromkeys(_words("是|有|提供|支持|√|✓|✔|✅|yes|y|true|1|1.0"), YES)
    | dict.fromkeys(_words("否|无|没有|不提供|不支持|×|✗|✘|❌|x|no|n|false|0|0.0"), NO)
    # "-", "/" and pandas' missing-value spellings say nothing, like a blank cell.
    | dict.fromkeys(_words("|未知|不详|unknown|?|-|--|—|/|nan|<na>|nat"), UNKNOWN)
)  # fmt: skip


def lookup(word: str) -> str | None:
    """Return the amenity key that ``word`` is an alias of, or None (exact match after
    :func:`normalise`; use :func:`parse_amenity_text` for phrases)."""
    return _ALIASES.get(normalise(word))


def label(key: str, lang: str = "zh") -> str:
    """Return the display label of ``key`` in ``lang`` ("zh" or "en").

    Raises KeyError for an unknown key and ValueError for another language.
    """
    amenity = BY_KEY[key]
    if lang not in ("zh", "en"):
        raise ValueError(f"unsupported language {lang!r}; use 'zh' or 'en'")
    return amenity.zh if lang == "zh" else amenity.en


def vocabulary() -> list[dict[str, object]]:
    """Return the vocabulary as JSON-ready dicts with key, zh, en and aliases, in order."""
    return [{"key": a.key, "zh": a.zh, "en": a.en, "aliases": list(a.aliases)} for a in AMENITIES]


def parse_flag(cell: object) -> str | None:
    """Read a yes/no spreadsheet cell as YES, NO or UNKNOWN.

    None, NaN, blank cells, "-", "/", "?" and "未知" are UNKNOWN; numbers equal to 1 or 0
    are YES or NO. Returns None for a cell it does not recognise, for the caller to report.
    """
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return UNKNOWN
    if isinstance(cell, bool):
        return YES if cell else NO
    text = normalise(str(cell))
    if text in _FLAGS:
        return _FLAGS[text]
    try:
        number = float(text)
    except ValueError:
        return None
    return {1.0: YES, 0.0: NO}.get(number)


_HEADER_PREFIXES = ("", "是否有", "是否提供", "是否配备", "是否配有", "是否设有", "是否", "有无",
                    "有没有", "提供", "配备", "设有", "has ", "is ")  # fmt: skip
_HEADER_SUFFIXES = ("", "间", "室", "区", "服务", "设施", "设备", "情况", "功能", " available")


def header_key(header: str) -> str | None:
    """Return the amenity key a column header names, or None.

    Matches an alias exactly after dropping a trailing "(是/否)" or "?", one question
    prefix (是否有, 有无, 提供, ...) and one suffix (间, 室, 服务, 设施, ...). It never
    matches part of a word, so headers such as 名称, 地址 or 电话 give None. A header of
    alternatives ("空调/取暖") matches if every alternative names the same key.
    """
    text = re.sub(r"\s*\(.*\)$|[?:*]+$", "", normalise(header))
    if "/" in text:
        keys = {header_key(part) for part in text.split("/")}
        return keys.pop() if len(keys) == 1 else None
    for candidate in dict.fromkeys((text, text.replace("_", " "))):
        for prefix, suffix in product(_HEADER_PREFIXES, _HEADER_SUFFIXES):
            if candidate.startswith(prefix) and candidate.endswith(suffix):
                core = candidate[len(prefix) : len(candidate) - len(suffix)].strip()
                if core and core in _ALIASES:
                    return _ALIASES[core]
    return None


@dataclass(frozen=True)
class AmenityText:
    """Amenities found in one free-text cell.

    ``values`` maps keys (in vocabulary order) to YES or NO and is read-only; if a key is
    both offered and denied, NO wins. ``unknown_words`` holds, in order and without
    repeats, every word that matched no amenity.
    """

    values: Mapping[str, str]
    unknown_words: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))


def _match(table: Mapping[str, object], text: str, i: int) -> int:
    """Return the length of the longest word of ``table`` at ``text[i:]``, or 0.

    ASCII words match whole words only: "no" does not match inside "notebook".
    """
    for end in range(min(len(text), i + _LONGEST), i, -1):
        word = text[i:end]
        if word in table and not (_glued(text, i - 1, i) or _glued(text, end - 1, end)):
            return end - i
    return 0


def _glued(text: str, left: int, right: int) -> bool:
    """Whether text[left] and text[right] are both ASCII letters or digits."""
    if left < 0 or right >= len(text):
        return False
    return (text[left] + text[right]).isascii() and (text[left] + text[right]).isalnum()


def _alias_after_prefixes(text: str, i: int) -> tuple[int, bool] | None:
    """Skip filler and negation words from ``i``; return (alias start, negated) or None."""
    j, negated = i, False
    while j < len(text):
        if j > i and _match(_ALIASES, text, j):
            return j, negated
        if text[j].isspace():
            j += 1
            continue
        length = _match(_PREFIX_WORDS, text, j)
        if not length:
            return None
        negated = negated or _PREFIX_WORDS[text[j : j + length]]
        j += length
    return None


def _scan(chunk: str, found: dict[str, str], unknown: dict[str, None]) -> None:
    """Add the amenities in one separator-free chunk to ``found``, leftovers to ``unknown``.

    A negation covers the amenities after it up to the next space that follows a match.
    """
    buffer, i, negated, matched = "", 0, False, False
    while i < len(chunk):
        if chunk[i].isspace():
            negated, matched = negated and not matched, False
            # A space inside "massage chair" keeps it one unknown word; "按摩椅 足疗" is two.
            buffer = buffer + " " if _glued(chunk, i - 1, i + 1) else _flush(buffer, unknown)
            i += 1
            continue
        start, length, negate = i, _match(_ALIASES, chunk, i), False
        if not length and (run := _alias_after_prefixes(chunk, i)):
            start, negate = run
            length = _match(_ALIASES, chunk, start)
        if not length:
            buffer, i = buffer + chunk[i], i + 1
            continue
        buffer = _flush(buffer, unknown)
        negated, matched = negated or negate, True
        key = _ALIASES[chunk[start : start + length]]
        found[key] = NO if negated or found.get(key) == NO else YES
        i = start + length
    _flush(buffer, unknown)


def _flush(buffer: str, unknown: dict[str, None]) -> str:
    """Record ``buffer`` as an unknown word unless it is blank or ignorable; return ""."""
    word = buffer.strip()
    if word and word not in _IGNORABLE:
        unknown[word] = None
    return ""


def parse_amenity_text(text: str) -> AmenityText:
    """Parse a free-text amenity cell such as "有淋浴、可洗衣、24小时热水".

    The text is split on Chinese and Western list separators (、，,;；/|+ 和 及 与, newlines);
    trailing 等 or "etc." is dropped. Within each piece, the longest alias wins, so
    "24小时热水" is hot_water_24h and "洗衣烘干" is laundry and dryer. Filler words
    (有, 可, 提供, 免费, ...) are skipped, and negations (无, 没有, 暂无, 不提供, no, ...)
    turn the amenities after them into NO. An empty text gives no values.
    """
    found: dict[str, str] = {}
    unknown: dict[str, None] = {}
    for chunk in _SEPARATORS.split(normalise(text)):
        _scan(_LIST_END.sub("", chunk.strip()), found, unknown)
    values = {key: found[key] for key in KEYS if key in found}
    return AmenityText(values, tuple(unknown))
