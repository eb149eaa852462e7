"""Reading plates in one picture of a zone: text detection, recognition, format repair.

The models are PP-OCRv4 (detection and recognition) inside the
``rapidocr-onnxruntime`` wheel, run by onnxruntime; nothing is downloaded.
Detection runs on the zone scaled so that its longer side is ``det_max_side``
(the wheel's default scales the *short* side up to 736 px, which costs
seconds on a crop); each text line found is cut again from the full-size
picture with a margin (a line that fills its image comes back in pieces)
and read at full resolution. A line whose text fits one of the site's plate
formats (:mod:`nvrd.core.plates`) is a plate read. When the formats include
Hangul ones and a line looks like a Korean plate without its syllable (the
recognition model has no Hangul), the line is read again with Tesseract's
Korean model (Debian ``tesseract-ocr-kor``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from nvrd.core.plates import PlateFormat, needs_hangul, read_plate
from nvrd.recognition.geometry import Box, expand
from nvrd.recognition.lpr.hangul import HangulReader
from nvrd.recognition.lpr.settings import ReaderSettings

log = logging.getLogger("nvrd.lpr")


@dataclass(frozen=True)
class PlateRead:
    text: str
    #: 0..1
    score: float
    #: The text line in frame pixels (x0, y0, x1, y1).
    box: Box
    #: The plate picture (BGR) cut from the frame with a margin.
    crop: np.ndarray
    raw: str = ""


def _engine(settings: ReaderSettings) -> Any:
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR(
        det_limit_side_len=settings.det_max_side,
        det_limit_type="max",
        intra_op_num_threads=settings.threads,
        inter_op_num_threads=1,
        use_cls=False,
    )


def _stacked(a: Box, b: Box) -> bool:
    """Two lines one above the other on the same plate (a state name over the number)."""
    overlap = min(a[2], b[2]) - max(a[0], b[0])
    gap = max(a[1], b[1]) - min(a[3], b[3])
    height = max(a[3] - a[1], b[3] - b[1])
    return overlap > 0.3 * min(a[2] - a[0], b[2] - b[0]) and gap < 1.5 * height


def tallest_per_plate(reads: list[PlateRead]) -> list[PlateRead]:
    """Of lines stacked on one plate, only the tallest (the number) is a plate read."""
    out: list[PlateRead] = []
    for read in sorted(reads, key=lambda r: -(r.box[3] - r.box[1])):
        if not any(_stacked(read.box, kept.box) for kept in out):
            out.append(read)
    return out


class PlateReader:
    """Reads plates in the ``zone`` (frame pixels) of BGR pictures."""

    def __init__(
        self,
        formats: Sequence[PlateFormat],
        settings: ReaderSettings | None = None,
        hangul: HangulReader | None = None,
    ) -> None:
        self.formats = tuple(formats)
        self.settings = settings = settings or ReaderSettings()
        self._ocr = _engine(settings)
        self._hangul = hangul if any(f.has_hangul for f in self.formats) else None

    def detect(self, zone_img: np.ndarray) -> list[Box]:
        """Text lines in the zone picture, in its pixels."""
        boxes, _ = self._ocr.text_det(zone_img)
        out: list[Box] = []
        if boxes is None:
            return out
        for quad in boxes:
            xs, ys = quad[:, 0], quad[:, 1]
            box = (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))
            w, h = box[2] - box[0], box[3] - box[1]
            if w >= self.settings.min_width and h > 4 and w >= 1.2 * h:
                out.append(box)
        return out

    def read(self, frame: np.ndarray, zone: Box) -> list[PlateRead]:
        zx0, zy0, zx1, zy1 = zone
        lines = self.detect(frame[zy0:zy1, zx0:zx1])
        if not lines:
            return []
        height, width = frame.shape[:2]
        boxes = [(b[0] + zx0, b[1] + zy0, b[2] + zx0, b[3] + zy0) for b in lines]
        crops = [self._line(frame, b) for b in boxes]
        results, _ = self._ocr.text_rec(crops)
        reads: list[PlateRead] = []
        for box, line, (raw, score) in zip(boxes, crops, results, strict=True):
            score = float(score)
            if score < self.settings.min_score:
                continue
            fit = read_plate(str(raw), self.formats)
            if self._hangul is not None and needs_hangul(str(raw), self.formats):
                kor = self._hangul.read(line)
                kfit = read_plate(kor, self.formats) if kor else None
                if kfit is not None and kfit.format.has_hangul:
                    fit, score = kfit, score * 0.9
            if fit is None:
                continue
            plate_box = expand(box, 0.12, 0.45, width, height)
            crop = frame[plate_box[1] : plate_box[3], plate_box[0] : plate_box[2]].copy()
            reads.append(PlateRead(fit.text, score, box, crop, str(raw)))
        return tallest_per_plate(reads)

    def _line(self, frame: np.ndarray, box: Box) -> np.ndarray:
        height, width = frame.shape[:2]
        x0, y0, x1, y1 = expand(box, 0.06, 0.3, width, height)
        line = frame[y0:y1, x0:x1]
        if line.shape[0] < 32:
            f = 32 / line.shape[0]
            line = cv2.resize(line, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC)
        return np.ascontiguousarray(line)
