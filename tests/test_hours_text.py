import pytest

from locator.hours_text import HoursText, describe


@pytest.mark.parametrize(
    ("expression", "en", "zh"),
    [
        ("24/7", "open 24 hours", "24 小时"),
        ("Mo-Su 00:00-24:00", "open 24 hours", "24 小时"),
        ("Mo-Su 08:00-20:00", "daily 08:00–20:00", "每天 08:00–20:00"),
        ("08:00-20:00", "daily 08:00–20:00", "每天 08:00–20:00"),
        ("Mo-Fr 08:00-20:00", "Mon–Fri 08:00–20:00", "周一至周五 08:00–20:00"),
        (
            "Mo-Fr 08:00-12:00,14:00-18:00; Sa 10:00-16:00",
            "Mon–Fri 08:00–12:00, 14:00–18:00; Sat 10:00–16:00",
            "周一至周五 08:00–12:00、14:00–18:00；周六 10:00–16:00",
        ),
        (
            "Mo,We,Fr 08:00-12:00; Sa,Su 09:00-17:00",
            "Mon, Wed, Fri 08:00–12:00; Sat, Sun 09:00–17:00",
            "周一、周三、周五 08:00–12:00；周六、周日 09:00–17:00",
        ),
        (
            "Mo-Fr 00:00-24:00; Sa 08:00-12:00",
            "Mon–Fri 24 hours; Sat 08:00–12:00",
            "周一至周五 24 小时；周六 08:00–12:00",
        ),
        ("Mo-Fr 08:00-24:00", "Mon–Fri 08:00–24:00", "周一至周五 08:00–24:00"),
    ],
)
def test_weekly_hours_in_words(expression, en, zh):
    assert describe(expression) == HoursText(en, zh, True)


@pytest.mark.parametrize(
    "expression",
    [
        "Mo-Su 08:00-20:00; PH off",  # public holidays differ from the week
        "Jul-Aug 08:00-20:00",  # seasons
        "2025 Mo-Fr 08:00-18:00",  # years
        "Mo-Fr 22:00-06:00",  # past midnight
        'Mo-Fr 08:00-20:00 "call first"',  # a comment
        "Mo-Fr 08:00-20:00 || unknown",  # a fallback rule, unknown times
        "sunrise-sunset",  # solar events
        "off",  # never open
        "not an expression",
    ],
)
def test_what_words_cannot_say_stays_as_written(expression):
    assert describe(expression) == HoursText(expression, expression, False)


def test_blank_hours_have_no_text():
    assert describe("") is None
    assert describe("  ") is None


def test_text_in_a_language():
    text = describe("24/7")
    assert text is not None
    assert (text.text("en"), text.text("zh")) == ("open 24 hours", "24 小时")
