"""Traffic through a recognition zone: a plan of passages, its frames, and the truth.

A :class:`TrafficPlan` is a road seen from above the lane, vehicles driving
down the picture (towards the camera: ``entry``) or up it (``exit``), one
after the other, each with its plate drawn in its own font, size, angle,
blur and noise. :meth:`TrafficPlan.truth` says, for every passage, the
plate text and when the plate is wholly inside the zone: what a recogniser
watching the zone should report.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from nvrd.media.traffic.plates import PlateSpec, distort, random_plate, render_plate, render_vehicle

ZONE_W, ZONE_H = 7680, 4320
COLOURS = (
    (180, 30, 30),
    (30, 60, 150),
    (200, 200, 205),
    (40, 40, 45),
    (20, 110, 60),
    (220, 150, 20),
)


@dataclass(frozen=True)
class Look:
    """How one passage looks: vehicle and plate size in pixels, tilt, blur, noise."""

    body_width: int = 360
    plate_width: int = 190
    angle: float = 0.0
    blur: float = 0.0
    noise: float = 0.0
    colour: tuple[int, int, int] = (180, 30, 30)


@dataclass(frozen=True)
class Passage:
    plate: PlateSpec
    start: float
    duration: float
    direction: str  # "entry": down the picture; "exit": up it
    centre_x: int
    look: Look = field(default_factory=Look)


@dataclass
class TrafficPlan:
    width: int
    height: int
    fps: int
    seconds: float
    #: The recognition zone in the 7680x4320 logical coordinates.
    zone: tuple[int, int, int, int]
    passages: list[Passage] = field(default_factory=list)
    seed: int = 0

    def zone_px(self) -> tuple[int, int, int, int]:
        x0, y0, x1, y1 = self.zone
        sx, sy = self.width / ZONE_W, self.height / ZONE_H
        return round(x0 * sx), round(y0 * sy), round(x1 * sx), round(y1 * sy)

    def truth(self) -> list[dict[str, Any]]:
        """Per passage: ``plateNo``, ``direction``, ``region``, ``inZone`` [begin, end]
        in seconds of video time (the plate wholly inside the zone), and the look."""
        out = []
        for p in self.passages:
            span = self._in_zone(p)
            out.append(
                {
                    "plateNo": p.plate.truth,
                    "text": p.plate.text,
                    "region": p.plate.region,
                    "direction": p.direction,
                    "inZone": [round(span[0], 3), round(span[1], 3)] if span else None,
                    "look": {
                        "font": p.plate.font,
                        "plateWidth": p.look.plate_width,
                        "angle": p.look.angle,
                        "blur": p.look.blur,
                        "noise": p.look.noise,
                    },
                }
            )
        return out

    def _in_zone(self, p: Passage) -> tuple[float, float] | None:
        zx0, zy0, zx1, zy1 = self.zone_px()
        sprite = _Sprite.build(p, random.Random(0))
        inside = []
        step = 1.0 / self.fps
        t = p.start
        while t <= p.start + p.duration:
            x, y = _position(p, sprite, self.height, t)
            px0, py0 = x + sprite.plate_box[0], y + sprite.plate_box[1]
            px1, py1 = x + sprite.plate_box[2], y + sprite.plate_box[3]
            if zx0 <= px0 and px1 <= zx1 and zy0 <= py0 and py1 <= zy1:
                inside.append(t)
            t += step
        return (inside[0], inside[-1]) if inside else None

    def frames(self) -> Iterator[np.ndarray]:
        """RGB frames (height x width x 3, uint8) at ``fps`` for ``seconds``."""
        rng = random.Random(self.seed)
        background = _road(self.width, self.height)
        sprites = [_Sprite.build(p, rng) for p in self.passages]
        noise_rng = np.random.default_rng(self.seed)
        count = round(self.seconds * self.fps)
        for n in range(count):
            t = n / self.fps
            frame = background.copy()
            for p, sprite in zip(self.passages, sprites, strict=True):
                if p.start <= t <= p.start + p.duration:
                    x, y = _position(p, sprite, self.height, t)
                    sprite.paste(frame, x, y, p.look.noise, noise_rng)
            yield frame


@dataclass
class _Sprite:
    rgb: np.ndarray
    alpha: np.ndarray
    #: The plate's bounding box inside the sprite (x0, y0, x1, y1).
    plate_box: tuple[int, int, int, int]

    @classmethod
    def build(cls, p: Passage, rng: random.Random) -> _Sprite:
        look = p.look
        plate = render_plate(p.plate, look.plate_width, random.Random(p.plate.text))
        body, (px, py) = render_vehicle(
            plate, look.body_width, look.colour, random.Random(p.plate.text)
        )
        marker = Image.new("L", body.size, 0)
        ImageDraw.Draw(marker).rectangle(
            (px, py, px + plate.width - 1, py + plate.height - 1), fill=255
        )
        img = distort(body, look.angle, look.blur)
        marker = marker.rotate(look.angle, expand=True)
        box = marker.getbbox() or (0, 0, img.width, img.height)
        arr = np.asarray(img.convert("RGBA"), dtype=np.uint8)
        return cls(arr[:, :, :3].astype(np.float32), arr[:, :, 3:4].astype(np.float32) / 255.0, box)

    def paste(
        self, frame: np.ndarray, x: int, y: int, noise: float, rng: np.random.Generator
    ) -> None:
        """Blend the sprite into ``frame`` at (x, y), with sensor noise over the vehicle."""
        h, w = self.rgb.shape[:2]
        fh, fw = frame.shape[:2]
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + w, fw), min(y + h, fh)
        if x0 >= x1 or y0 >= y1:
            return
        sx0, sy0 = x0 - x, y0 - y
        sx1, sy1 = sx0 + (x1 - x0), sy0 + (y1 - y0)
        a = self.alpha[sy0:sy1, sx0:sx1]
        region = frame[y0:y1, x0:x1].astype(np.float32)
        blended = region * (1.0 - a) + self.rgb[sy0:sy1, sx0:sx1] * a
        if noise > 0:
            blended += rng.normal(0.0, noise, blended.shape).astype(np.float32)
        frame[y0:y1, x0:x1] = np.clip(blended, 0, 255).astype(np.uint8)


def _position(p: Passage, sprite: _Sprite, height: int, t: float) -> tuple[int, int]:
    """Top-left corner of the sprite at video time ``t``: it crosses the whole picture."""
    h, w = sprite.rgb.shape[:2]
    progress = (t - p.start) / p.duration
    if p.direction == "exit":
        progress = 1.0 - progress
    y = -h + progress * (height + h)
    return p.centre_x - w // 2, round(y)


def _road(width: int, height: int) -> np.ndarray:
    img = Image.new("RGB", (width, height), (92, 94, 96))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, width // 12, height), fill=(70, 110, 60))
    draw.rectangle((width - width // 12, 0, width, height), fill=(70, 110, 60))
    for y in range(0, height, height // 6):
        draw.rectangle((width // 2 - 4, y, width // 2 + 4, y + height // 12), fill=(230, 230, 230))
    return np.asarray(img, dtype=np.uint8).copy()


def plan_traffic(
    regions: Sequence[str],
    count: int,
    *,
    seed: int = 1,
    size: tuple[int, int] = (1280, 720),
    fps: int = 10,
    crossing_seconds: float = 5.0,
    gap_seconds: float = 1.5,
    lead_seconds: float = 1.0,
    zone: tuple[int, int, int, int] = (960, 1080, 6720, 4320),
    hard: bool = False,
) -> TrafficPlan:
    """``count`` passages, one vehicle at a time, plates from ``regions`` in turn.

    ``hard`` varies the look widely (plates 110-200 px wide, tilt up to 8°,
    blur up to 1.6 px, noise up to 10 levels); otherwise plates are 150-200 px,
    tilt up to 4°, blur up to 0.8 px, noise up to 5.
    """
    rng = random.Random(seed)
    width, height = size
    passages = []
    t = lead_seconds
    for n in range(count):
        region = regions[n % len(regions)]
        plate = random_plate(region, rng)
        pw = round((rng.randint(110, 200) if hard else rng.randint(150, 200)) * width / 1280)
        look = Look(
            body_width=round(pw * rng.uniform(1.8, 2.1)),
            plate_width=pw,
            angle=rng.uniform(-8, 8) if hard else rng.uniform(-4, 4),
            blur=rng.uniform(0, 1.6) if hard else rng.uniform(0, 0.8),
            noise=rng.uniform(0, 10) if hard else rng.uniform(0, 5),
            colour=rng.choice(COLOURS),
        )
        direction = "entry" if rng.random() < 0.5 else "exit"
        centre = width // 2 + rng.randint(-width // 10, width // 10)
        passages.append(Passage(plate, t, crossing_seconds, direction, centre, look))
        t += crossing_seconds + gap_seconds
    return TrafficPlan(width, height, fps, t + lead_seconds, zone, passages, seed)
