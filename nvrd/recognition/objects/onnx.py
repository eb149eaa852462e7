"""onnxruntime sessions of the models the object worker runs (NanoDet, the mask
classifier, MoveNet): on the CPU, ``threads`` intra-op threads (the worker runs niced next
to the server: one by default), one inter-op thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def cpu_session(model: Path, threads: int = 1) -> Any:
    """An onnxruntime CPU session of the ONNX file ``model``."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
