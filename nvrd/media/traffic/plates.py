"""Rendered licence plates and vehicles: the demo's traffic and the recogniser's test media.

:func:`random_plate` draws a plate text for a format; :func:`render_plate`
draws it in one of several styles (US, EU with the blue strip, UK white or
yellow, Korean) with a chosen font; :func:`render_vehicle` puts the plate on
the lower part of a simple car body. Pillow only; fonts come from Debian
packages (fonts-dejavu-core, fonts-dejavu-extra, fonts-liberation,
fonts-freefont-ttf, fonts-noto-cjk).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from nvrd.core.plates import BUILTIN, DIGIT, HANGUL, KR_SYLLABLES, LETTER, SEPARATORS

FONT_DIR = Path("/usr/share/fonts")
LATIN_FONTS = (
    "truetype/dejavu/DejaVuSans-Bold.ttf",
    "truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
    "truetype/dejavu/DejaVuSansMono-Bold.ttf",
    "truetype/liberation/LiberationSans-Bold.ttf",
    "truetype/liberation/LiberationSansNarrow-Bold.ttf",
    "truetype/freefont/FreeSansBold.ttf",
)
HANGUL_FONT = "opentype/noto/NotoSansCJK-Bold.ttc"
#: Index of the Korean face inside the Noto CJK collection.
HANGUL_FONT_INDEX = 1
#: Letters as plates use them (no I, O, Q on most series, so the test truth is unambiguous).
PLATE_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
EU_COUNTRIES = {"LL-NNN-LL": "F", "NNNN LLL": "E", "NN-LLL-N": "NL", "LL NNNNN": "PL"}
US_STATES = ("CALIFORNIA", "TEXAS", "NEW YORK", "FLORIDA", "OHIO", "GEORGIA")


@dataclass(frozen=True)
class PlateSpec:
    """What to draw: the plate ``text`` as written (with separators), its ``region``
    (US, EU, UK, KR), the pattern it was drawn from, and the look."""

    text: str
    region: str
    pattern: str
    font: str
    yellow: bool = False

    @property
    def truth(self) -> str:
        """The compact text the recogniser should report."""
        return "".join(c for c in self.text if c not in SEPARATORS)


def available_fonts() -> list[str]:
    return [f for f in LATIN_FONTS if (FONT_DIR / f).is_file()]


def random_plate(region: str, rng: random.Random, pattern: str | None = None) -> PlateSpec:
    """A plate of ``region`` with a random pattern of its built-in set (or ``pattern``)."""
    if pattern is None:
        choices = BUILTIN[region]
        if region == "EU":
            choices = tuple(p for p in choices if p in EU_COUNTRIES)
        pattern = rng.choice(choices)
    out = []
    for cls in pattern:
        if cls == LETTER:
            out.append(rng.choice(PLATE_LETTERS))
        elif cls == DIGIT:
            out.append(rng.choice("0123456789"))
        elif cls == HANGUL:
            out.append(rng.choice(KR_SYLLABLES))
        else:
            out.append(cls)
    fonts = available_fonts()
    font = HANGUL_FONT if region == "KR" else rng.choice(fonts)
    yellow = region == "UK" and rng.random() < 0.5
    return PlateSpec("".join(out), region, pattern, font, yellow)


@cache
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    index = HANGUL_FONT_INDEX if name == HANGUL_FONT else 0
    return ImageFont.truetype(str(FONT_DIR / name), size, index=index)


def _fit_text(
    draw: ImageDraw.ImageDraw, text: str, font: str, box_w: int, box_h: int
) -> tuple[ImageFont.FreeTypeFont, tuple[float, float, float, float]]:
    size = box_h
    while size > 6:
        f = _font(font, size)
        bbox = draw.textbbox((0, 0), text, font=f)
        if bbox[2] - bbox[0] <= box_w and bbox[3] - bbox[1] <= box_h:
            return f, bbox
        size -= 2
    f = _font(font, 6)
    return f, draw.textbbox((0, 0), text, font=f)


def _centre_text(
    draw: ImageDraw.ImageDraw,
    text: str,
    font: str,
    area: tuple[int, int, int, int],
    fill: tuple[int, int, int],
) -> None:
    x0, y0, x1, y1 = area
    f, bbox = _fit_text(draw, text, font, x1 - x0, y1 - y0)
    w, h = bbox[2] - bbox[0], bbox[3] - bbox[1]
    x = x0 + (x1 - x0 - w) / 2 - bbox[0]
    y = y0 + (y1 - y0 - h) / 2 - bbox[1]
    draw.text((x, y), text, font=f, fill=fill)


def render_plate(spec: PlateSpec, width: int, rng: random.Random) -> Image.Image:
    """The plate ``width`` pixels wide (US plates 2:1, the others about 4.7:1)."""
    us = spec.region == "US"
    height = width // 2 if us else max(8, round(width / 4.7))
    bg = (250, 214, 40) if spec.yellow else (245, 245, 240)
    img = Image.new("RGB", (width, height), bg)
    draw = ImageDraw.Draw(img)
    border = max(1, width // 90)
    draw.rounded_rectangle(
        (0, 0, width - 1, height - 1), radius=border * 3, outline=(20, 20, 20), width=border
    )
    ink = (25, 40, 110) if us else (15, 15, 15)
    pad = border * 3
    if us:
        state = rng.choice(US_STATES)
        _centre_text(
            draw, state, LATIN_FONTS[0], (pad, pad, width - pad, height // 4), (160, 20, 30)
        )
        _centre_text(
            draw, spec.text, spec.font, (pad, height // 4 + pad, width - pad, height - pad * 2), ink
        )
        return img
    left = pad
    country = EU_COUNTRIES.get(spec.pattern) if spec.region == "EU" else None
    if spec.region == "UK" and rng.random() < 0.4:
        country = "UK"
    if country:
        strip = max(6, width // 11)
        draw.rectangle((border, border, strip, height - border - 1), fill=(20, 60, 160))
        _centre_text(
            draw,
            country,
            LATIN_FONTS[0],
            (border, height // 2, strip, height - pad),
            (255, 255, 255),
        )
        left = strip + pad
    _centre_text(draw, spec.text, spec.font, (left, pad, width - pad, height - pad), ink)
    return img


def render_vehicle(
    plate: Image.Image, body_width: int, colour: tuple[int, int, int], rng: random.Random
) -> tuple[Image.Image, tuple[int, int]]:
    """A car seen from the front or back (RGBA, transparent around it) with ``plate`` on
    its lower part; returns the image and the plate's top-left corner inside it."""
    w = body_width
    h = int(w * 0.8)
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    shade = tuple(max(0, c - 40) for c in colour)
    draw.rounded_rectangle((0, h // 5, w - 1, h - 1), radius=w // 10, fill=(*colour, 255))
    draw.rounded_rectangle((w // 8, 0, w - w // 8, h // 2), radius=w // 12, fill=(*shade, 255))
    draw.rounded_rectangle(
        (w // 5, h // 14, w - w // 5, h // 2 - h // 14), radius=w // 20, fill=(60, 80, 100, 255)
    )
    lamp = w // 9
    for x in (w // 16, w - w // 16 - lamp):
        draw.ellipse((x, h // 2, x + lamp, h // 2 + lamp // 2), fill=(230, 230, 200, 255))
    px = (w - plate.width) // 2 + rng.randint(-w // 30, w // 30)
    py = h - plate.height - h // 10
    img.paste(plate, (px, py))
    return img, (px, py)


def distort(img: Image.Image, angle: float, blur: float) -> Image.Image:
    """Rotate by ``angle`` degrees (transparent corners) and blur by ``blur`` pixels."""
    out = img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    if blur > 0:
        out = out.filter(ImageFilter.GaussianBlur(blur))
    return out
