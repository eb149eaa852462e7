"""Object types, their attributes, and the real-time event topics (pure catalogues)."""

from __future__ import annotations

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
