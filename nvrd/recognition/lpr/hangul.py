"""Korean plates' Hangul syllable: Tesseract's ``kor`` model (Debian ``tesseract-ocr-kor``).

PP-OCRv4's recognition model in the rapidocr wheel has no Hangul, so a
line that looks like a Korean plate is read again here: grey, scaled to
64 px high, one text line (``--psm 7``). Tesseract runs as a subprocess
(through ``pytesseract``) with a time limit. Hangul is the weak point of
the recogniser: see docs/design/lpr.md for the measured accuracy.
"""

from __future__ import annotations

import logging
import shutil

import cv2
import numpy as np

log = logging.getLogger("nvrd.lpr")


class HangulReader:
    def __init__(self, tesseract: str = "tesseract", timeout: float = 3.0) -> None:
        self.tesseract = tesseract
        self.timeout = timeout
        self.available = shutil.which(tesseract) is not None
        if not self.available:
            log.warning(
                "tesseract not found: Korean plates cannot be read (apt install tesseract-ocr-kor)"
            )

    def read(self, line: np.ndarray) -> str:
        """The text of one line picture (BGR), or "" when Tesseract is missing or fails."""
        if not self.available or line.size == 0:
            return ""
        import pytesseract

        pytesseract.pytesseract.tesseract_cmd = self.tesseract
        grey = cv2.cvtColor(line, cv2.COLOR_BGR2GRAY)
        f = 64.0 / grey.shape[0]
        grey = cv2.resize(grey, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC)
        try:
            text = pytesseract.image_to_string(
                grey, lang="kor", config="--psm 7", timeout=self.timeout
            )
        except (RuntimeError, OSError, pytesseract.TesseractError) as exc:
            log.warning("tesseract failed: %s", exc)
            return ""
        return str(text).strip()
