"""Object types, their attributes, and the real-time event topics (pure catalogues)."""

from __future__ import annotations

import re
from typing import Any

OBJECT_TYPES: tuple[str, ...] = ("face", "human", "vehicle")

COLORS: tuple[str, ...] = (
    "brown",
    "black",
    "red",
    "orange",
    "yellow",
    "green",
    "cyan",
    "blue",
    "purple",
    "magenta",
    "gray",
    "pink",
    "beige",
    "white",
    "other",
)

OBJECT_ATTRIBUTES: dict[str, dict[str, Any]] = {
    "face": {
        "age": ["young", "adult", "middle", "senior"],
        "gender": ["female", "male"],
        "glasses": [True, False],
        "hat": [True, False],
        "mask": [True, False],
    },
    "human": {
        "bag": [True, False],
        "clothes": {
            "type": ["tops", "bottoms"],
            "length": ["short", "long"],
            "colors": list(COLORS),
        },
        "gender": ["female", "male"],
        "hat": [True, False],
    },
    "vehicle": {
        "vehicleType": ["car", "truck", "bus", "bicycle", "motorcycle", "train"],
        "colors": list(COLORS),
    },
}

REALTIME_TOPICS: tuple[str, ...] = (
    "channelStatus",
    "emergencyCall",
    "LPR",
    "systemEvent",
    "motionChanges",
    "recordingStatus",
    "parkingCount",
    "packing",
    "object",
    "bodyTemperature",
)

#: What this server's own recognisers can report (``/api/enum?what=objectAttr``): the
#: guide's catalogue without what no model here gives (docs/design/objects.md, "What is
#: not reported"): glasses and hats (no offline model exists in any package) and the
#: length of clothes (body keypoints show where the limbs are, not where the cloth ends);
#: ``name.part`` is one part of a compound attribute. A person's gender is its face's.
#: Pushed objects may still carry them all (``OBJECT_ATTRIBUTES``).
UNDETECTED: dict[str, frozenset[str]] = {
    "face": frozenset({"glasses", "hat"}),
    "human": frozenset({"hat", "clothes.length"}),
    "vehicle": frozenset(),
}


def _detected(attrs: dict[str, Any], undetected: frozenset[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, values in attrs.items():
        if name in undetected:
            continue
        if isinstance(values, dict):
            values = {k: v for k, v in values.items() if f"{name}.{k}" not in undetected}
        out[name] = values
    return out


DETECTED_ATTRIBUTES: dict[str, dict[str, Any]] = {
    otype: _detected(attrs, UNDETECTED[otype]) for otype, attrs in OBJECT_ATTRIBUTES.items()
}

#: Clothes ``type`` -> the short name used in search tags (``human.top.color=red``).
CLOTHES_PART = {"tops": "top", "bottoms": "bottom"}

#: Scalar attributes that become search tags, per type (the values of the catalogue only).
_SCALARS: dict[str, tuple[str, ...]] = {
    "face": ("gender", "age", "glasses", "hat", "mask"),
    "human": ("gender", "hat", "bag"),
    "vehicle": ("vehicleType",),
}


def tag(otype: str, name: str, value: object) -> str:
    """The search tag of one attribute value: ``face.gender=male``, ``human.bag=true``."""
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return f"{otype}.{name}={text}"


def object_tags(otype: str, attributes: dict[str, Any]) -> list[str]:
    """The search tags of an object's attributes; values outside the catalogue give none."""
    catalogue = OBJECT_ATTRIBUTES.get(otype)
    if catalogue is None:
        return []
    out: list[str] = []
    for name in _SCALARS[otype]:
        value = attributes.get(name)
        allowed = catalogue[name]
        if isinstance(value, bool | str) and any(
            value == a and type(value) is type(a) for a in allowed
        ):
            out.append(tag(otype, name, value))
    colours = attributes.get("colors")
    if otype == "vehicle" and isinstance(colours, list):
        out += [tag(otype, "color", c) for c in colours if isinstance(c, str) and c in COLORS]
    clothes = attributes.get("clothes")
    if otype == "human" and isinstance(clothes, list):
        out += _clothes_tags(clothes)
    return sorted(set(out))


def _clothes_tags(clothes: list[Any]) -> list[str]:
    out: list[str] = []
    for item in clothes:
        if not isinstance(item, dict):
            continue
        part = CLOTHES_PART.get(item.get("type"))  # type: ignore[arg-type]
        if part is None:
            continue
        length = item.get("length")
        if isinstance(length, str) and length in ("short", "long"):
            out.append(tag("human", f"{part}.length", length))
        colours = item.get("colors")
        if isinstance(colours, list):
            named = [c for c in colours if isinstance(c, str) and c in COLORS]
            out += [tag("human", f"{part}.color", c) for c in named]
    return out


#: A crop written by the detection: ``<chid>/<YYYY-MM-DD UTC>/<at_ms>-<objId>.jpg`` under
#: the objects folder; the log stores it as ``objects/`` + that path.
CROP = re.compile(r"^[1-9]\d{0,8}/\d{4}-\d{2}-\d{2}/\d{1,16}-\d{1,20}\.jpg$")
CROP_PREFIX = "objects/"


def crop_path(image: str | None) -> str | None:
    """The path under the objects folder of a stored image reference, when it is a crop."""
    if image is None or not image.startswith(CROP_PREFIX):
        return None
    rel = image[len(CROP_PREFIX) :]
    return rel if CROP.match(rel) else None
