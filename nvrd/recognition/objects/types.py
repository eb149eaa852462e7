"""What the object detectors find in one picture (pure data, no models)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from nvrd.recognition.geometry import Box, to_logical

#: ``human``, ``vehicle`` and ``face`` are the guide's object types; a ``bag`` is not an
#: object of its own but the ``bag`` attribute of the person carrying it.
Kind = Literal["human", "vehicle", "face", "bag"]
VehicleType = Literal["car", "truck", "bus", "bicycle", "motorcycle", "train"]

#: COCO-80 class index -> (kind, vehicle type) of the classes nvrd reports.
COCO_CLASSES: dict[int, tuple[Kind, VehicleType | None]] = {
    0: ("human", None),  # person
    1: ("vehicle", "bicycle"),
    2: ("vehicle", "car"),
    3: ("vehicle", "motorcycle"),
    5: ("vehicle", "bus"),
    6: ("vehicle", "train"),
    7: ("vehicle", "truck"),
    24: ("bag", None),  # backpack
    26: ("bag", None),  # handbag
    28: ("bag", None),  # suitcase
}


@dataclass(frozen=True)
class Detection:
    kind: Kind
    #: the frame pixels (x0, y0, x1, y1), x1 and y1 exclusive, within the picture
    box: Box
    #: 0..1
    score: float
    #: for a ``vehicle``: its type
    vehicle_type: VehicleType | None = None

    @property
    def width(self) -> int:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]

    def logical_box(self, width: int, height: int) -> Box:
        """The box in the guide's 7680x4320 coordinates, for a picture of that size."""
        return to_logical(self.box, width, height)
