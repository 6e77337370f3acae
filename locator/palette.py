"""The colours every map shares: the print maps, the planner's folium map and the pages.

The pages get them as JSON (:func:`page_style`, rendered into each template as
``#locator-style``), so a station kind has one colour wherever it is drawn.
"""

from __future__ import annotations

from typing import Any

STATION_COLOURS = {"warm_heart": "#d94801", "driver_home": "#2171b5"}
SITE_COLOUR = "#6a3d9a"  # proposed new sites
SUGGESTED_COLOUR = "#e7298a"  # workers' "there should be a station here"
COVERED_COLOUR = "#238b45"
SHARE_BINS = (0.2, 0.4, 0.6, 0.8)  # covered share: upper edges of all but the last class
SHARE_COLOURS = ("#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d")  # ColorBrewer PuBu


def page_style() -> dict[str, Any]:
    """The colours as the pages' scripts read them."""
    return {
        "stations": dict(STATION_COLOURS),
        "site": SITE_COLOUR,
        "suggested": SUGGESTED_COLOUR,
        "covered": COVERED_COLOUR,
        "shares": list(SHARE_COLOURS),
        "share_bins": list(SHARE_BINS),
    }
