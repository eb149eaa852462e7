"""Colours painted on synthetic vehicles and clothes (BGR) and the guide's colour name each
must get (``nvrd.core.objects.COLORS``)."""

from __future__ import annotations

#: BGR paints and the name each must get
PAINTS: dict[str, tuple[int, int, int]] = {
    "red": (30, 20, 200),
    "orange": (0, 140, 255),
    "yellow": (20, 220, 240),
    "green": (40, 150, 20),
    "cyan": (220, 210, 40),
    "blue": (170, 60, 10),
    "purple": (120, 20, 110),
    "magenta": (230, 40, 220),
    "pink": (200, 180, 250),
    "brown": (30, 70, 130),
    "beige": (170, 210, 230),
    "white": (245, 245, 245),
    "gray": (150, 150, 150),
    "black": (25, 25, 25),
}
