"""The models converted once by the install step (``make models``, part of ``make
install``) into ``.cache/models`` of the checkout (not in git). Nothing is converted or
downloaded here: a missing model fails with what to run."""

from __future__ import annotations

from pathlib import Path

from nvrd.recognition.objects.models import prepared_file

MODELS_DIR = Path(__file__).resolve().parents[2] / ".cache" / "models"


def prepared(name: str) -> Path:
    """The converted model ``name`` (:mod:`nvrd.recognition.objects.models`)."""
    return prepared_file(MODELS_DIR, name)
