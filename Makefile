# Two entry points: `make run` (the default pipeline) and `make test`.
# Both first build .venv from requirements.lock (exact versions) if it is missing or stale.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= all
# Installed without their declared dependencies: basic-pitch's metadata pins an old
# TensorFlow, and mirlab runs its ONNX model through onnxruntime itself.
NO_DEPS := basic-pitch==0.4.0

.PHONY: run test lint bench lock

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps $(NO_DEPS)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/snakemake --cores $(CORES)
	$(BIN)/snakemake --report reports/report.html

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src scripts tests benchmarks
	$(BIN)/ruff format --check src scripts tests benchmarks
	$(BIN)/snakefmt --check Snakefile rules/*.smk
	$(BIN)/snakemake --lint

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

# Re-pin: write the exact versions installed in .venv to requirements.lock and envs/mirlab.yaml.
lock:
	$(BIN)/python -m pip freeze --exclude-editable --exclude basic-pitch | grep -v "^mirlab" > requirements.lock
	{ printf '%s\n' "# Conda environment for cluster deployment (snakemake --sdm conda)." \
	    "# The pip pins are requirements.lock's, exactly (tests/test_config.py checks it)." \
	    "name: mirlab" "channels: [conda-forge]" "dependencies:" "  - python=3.11" "  - pip" "  - pip:"; \
	  sed 's/^/      - /' requirements.lock; } > envs/mirlab.yaml
