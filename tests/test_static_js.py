"""The page scripts keep their discipline: data reaches the DOM only through
``textContent`` (no HTML sinks), and colours come from the server's palette."""

from __future__ import annotations

from pathlib import Path

import pytest

from locator import palette

JS = Path(__file__).resolve().parents[1] / "static" / "js"
COLOURS = {*palette.STATION_COLOURS.values(), palette.SITE_COLOUR, *palette.SHARE_COLOURS}


@pytest.mark.parametrize("path", sorted(JS.glob("*.js")), ids=lambda p: p.name)
def test_no_inner_html_and_no_copied_colours(path: Path) -> None:
    text = path.read_text(encoding="utf-8").lower()
    for sink in ("innerhtml", "insertadjacenthtml", "document.write"):
        assert sink not in text, sink
    assert not {c.lower() for c in COLOURS if c.lower() in text}, "read colours from #locator-style"


def test_one_decode_and_one_distance_text() -> None:
    texts = {p.name: p.read_text(encoding="utf-8") for p in JS.glob("*.js")}
    assert [n for n, t in texts.items() if "function decode(" in t] == ["common.js"]
    assert [n for n, t in texts.items() if "function distanceText(" in t] == ["common.js"]
