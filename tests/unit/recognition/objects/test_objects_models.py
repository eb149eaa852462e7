"""Where converted models are found, and the error when the install step has not run."""

from __future__ import annotations

import json
from pathlib import Path

import onnxruntime
import pytest

from nvrd.config import ObjectSettings
from nvrd.recognition.objects.models import (
    FACE_MASK,
    MANIFEST,
    MOVENET,
    NANODET,
    ModelMissing,
    ModelNotPrepared,
    prepared_file,
)
from tests.support.models import MODELS_DIR, prepared


def test_missing_directory_names_the_install_step(tmp_path: Path) -> None:
    with pytest.raises(ModelNotPrepared) as caught:
        prepared_file(tmp_path / "nowhere", NANODET)
    assert "make models" in str(caught.value)
    assert str(tmp_path / "nowhere") in str(caught.value)
    assert isinstance(caught.value, ModelMissing)


def test_a_file_without_the_manifest_is_not_taken(tmp_path: Path) -> None:
    (tmp_path / NANODET).write_bytes(b"half-written")  # an interrupted install
    with pytest.raises(ModelNotPrepared):
        prepared_file(tmp_path, NANODET)
    (tmp_path / MANIFEST).write_text("{}")
    assert prepared_file(tmp_path, NANODET) == tmp_path / NANODET
    with pytest.raises(ModelNotPrepared):
        prepared_file(tmp_path, MOVENET)


def test_models_dir_is_made_absolute() -> None:
    assert ObjectSettings().models_dir.is_absolute()
    assert ObjectSettings(models_dir=Path("m")).models_dir == Path.cwd() / "m"


def test_the_install_step_converted_every_model() -> None:
    manifest = json.loads((MODELS_DIR / MANIFEST).read_text())
    assert set(manifest["files"]) == {NANODET, MOVENET, FACE_MASK}
    assert manifest["files"][FACE_MASK]["maxDifference"] < 1e-3
    for name in (NANODET, MOVENET, FACE_MASK):
        session = onnxruntime.InferenceSession(
            str(prepared(name)), providers=["CPUExecutionProvider"]
        )
        assert session.get_inputs() and session.get_outputs()
