"""Face embeddings as stored and compared (pure: no models).

An embedding is dlib's 128-dimensional face descriptor (ResNet, "dlib face
recognition resnet model v1"), stored as 128 little-endian float32 values
(512 bytes) in the object log's ``embedding`` column. Two faces are compared
by the euclidean distance of their embeddings: below about 0.6 they are
taken for the same person (the model's own rule).

``/api/searchFace`` answers a similarity in percent instead (its
``threshold`` is one): ``similarity = 100 * (1 - distance / 1.2)``, so a
distance of 0 is 100 %, the model's 0.6 is 50 % (the default threshold), and
1.2 or more (unrelated faces lie at 0.8-0.9) is 0 %. See
docs/design/api-decisions.md ("Face search").
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence

#: values in one embedding
DIMENSIONS = 128
#: bytes of one stored embedding
EMBEDDING_BYTES = 4 * DIMENSIONS
#: the distance at which the similarity reaches 0 %
ZERO_AT = 1.2
#: the default ``threshold`` of a face search (distance 0.6)
DEFAULT_THRESHOLD = 50

_FORMAT = f"<{DIMENSIONS}f"


def pack(values: Sequence[float]) -> bytes:
    """An embedding as stored (512 bytes); ValueError unless 128 finite numbers."""
    if len(values) != DIMENSIONS:
        raise ValueError(f"an embedding has {DIMENSIONS} values, not {len(values)}")
    if not all(math.isfinite(v) for v in values):
        raise ValueError("an embedding holds a value that is not a finite number")
    return struct.pack(_FORMAT, *values)


def unpack(data: bytes) -> tuple[float, ...]:
    """The values of a stored embedding; ValueError for anything else."""
    if len(data) != EMBEDDING_BYTES:
        raise ValueError(f"an embedding is {EMBEDDING_BYTES} bytes, not {len(data)}")
    return struct.unpack(_FORMAT, data)


def similarity(distance: float) -> float:
    """The similarity in percent (0..100) of two faces at this euclidean distance."""
    return max(0.0, min(100.0, 100.0 * (1.0 - distance / ZERO_AT)))


def max_distance(threshold: float) -> float:
    """The largest distance whose similarity is at least ``threshold`` percent."""
    return ZERO_AT * (1.0 - threshold / 100.0)
