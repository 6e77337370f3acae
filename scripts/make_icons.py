"""Draw the finder's app icons (static/icons/icon-192.png, icon-512.png) with Pillow.

A white map pin with a cup in it on the finder's blue, drawn inside the middle 80 % of the
square so that a launcher may cut it to a circle ("maskable"). Run from the project root:
``python scripts/make_icons.py``.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

BLUE = (11, 79, 108)
WHITE = (255, 255, 255)
OUT = Path(__file__).resolve().parents[1] / "static" / "icons"


def icon(size: int) -> Image.Image:
    """The icon at ``size`` pixels, drawn at 4x and scaled down for smooth edges."""
    s = size * 4
    img = Image.new("RGB", (s, s), BLUE)
    d = ImageDraw.Draw(img)
    cx, head_y, r = s / 2, s * 0.40, s * 0.22  # the pin's round head
    d.ellipse((cx - r, head_y - r, cx + r, head_y + r), fill=WHITE)
    d.polygon(
        [(cx - r * 0.8, head_y + r * 0.6), (cx + r * 0.8, head_y + r * 0.6), (cx, s * 0.86)],
        fill=WHITE,
    )
    # a cup in the head: body, handle, and a saucer line
    w, h = r * 0.9, r * 0.7
    top = head_y - h * 0.55
    d.rounded_rectangle(
        (cx - w / 2 - r * 0.1, top, cx + w / 2 - r * 0.1, top + h), radius=r * 0.18, fill=BLUE
    )
    d.ellipse(
        (cx + w / 2 - r * 0.3, top + h * 0.15, cx + w / 2 + r * 0.25, top + h * 0.7),
        outline=BLUE,
        width=int(r * 0.12),
    )
    d.rectangle((cx - w * 0.7, top + h + r * 0.08, cx + w * 0.6, top + h + r * 0.2), fill=BLUE)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size).save(OUT / f"icon-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
