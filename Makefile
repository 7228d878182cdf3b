# The project's interface, for people and for CI alike (.ci/run calls `make test`).
# Every target documents itself: `make help`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Both service packages are importable from the root venv without installing them.
export PYTHONPATH := $(CURDIR):$(CURDIR)/services/backend:$(CURDIR)/services/frontend

PRESET ?= tiny
OUT ?= build/models/$(PRESET)
# The tiny random model every test and local run without network uses.
TINY_MODEL := build/models/tiny
TEST_OUTPUT ?= test-output
PYTEST_ARGS ?=

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z][a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(BIN)/.installed: requirements-dev.txt services/backend/requirements.txt services/backend/requirements-transformers.txt services/frontend/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -r requirements-dev.txt
	touch $@

.PHONY: install
install: $(BIN)/.installed ## Create .venv with everything for development and tests

.PHONY: system-deps
system-deps: ## Install the system packages the full test suite needs (apt-get, when missing)
	bash scripts/system-deps.sh

# The browser tests inject axe-core (accessibility checks) from npm, pinned by its lock file.
BROWSER_TOOLS := services/frontend/tests/web/node
.PHONY: browser-deps
browser-deps: system-deps ## Install the browser tests' npm tools (axe-core) from their lock file
	npm ci --prefix $(BROWSER_TOOLS) --no-audit --no-fund

.PHONY: random-model
random-model: install ## Build a random-weight checkpoint: make random-model PRESET=tiny|opus-mt|summary OUT=DIR
	$(BIN)/python -m backend.tools.random_model --preset $(PRESET) --out $(OUT)

$(TINY_MODEL)/config.json: | $(BIN)/.installed
	$(BIN)/python -m backend.tools.random_model --preset tiny --out $(TINY_MODEL)

.PHONY: run-backend
run-backend: install ## Run the backend alone on 127.0.0.1:8001 (MODEL, ENGINE, ... from the environment)
	$(BIN)/python -m backend --host 127.0.0.1 --port 8001

.PHONY: run-frontend
run-frontend: install ## Run the frontend alone on 127.0.0.1:8002 (BACKEND_URL, DATABASE_URL, ...)
	$(BIN)/python -m frontend --host 127.0.0.1 --port 8002

.PHONY: run
run: install ## Run the whole app (Traefik, backend, frontend, SQLite) on http://127.0.0.1:8080/
	$(BIN)/python scripts/run_local.py

.PHONY: lint
lint: install ## Lint code, types, YAML, Dockerfiles and workflows
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/yamllint --strict .
	bash scripts/lint-dockerfiles.sh $(BIN)
	$(BIN)/actionlint -shellcheck $(BIN)/shellcheck .github/workflows/*.yml
	$(BIN)/zizmor --offline --min-severity medium .github

.PHONY: test
test: install system-deps browser-deps $(TINY_MODEL)/config.json lint ## Run every test (lint, unit, integration, browser, Swarm, cluster)
	mkdir -p $(TEST_OUTPUT)
# Two pytest runs side by side (tests/suites.py says why and how): everything without Docker,
# with branch coverage (fails under [tool.coverage.report] fail_under); beside it the single-node
# Swarm, then the simulated cluster. Each run's log: $(TEST_OUTPUT)/logs/pytest-<run>.log.
	$(BIN)/python -m tests.suites $(PYTEST_ARGS)

.PHONY: test-fast
test-fast: install $(TINY_MODEL)/config.json ## Run the tests that need no browser and no Swarm
	$(BIN)/pytest -m "not browser and not swarm and not cluster" $(PYTEST_ARGS)

.PHONY: test-swarm
test-swarm: install system-deps $(TINY_MODEL)/config.json ## Deploy the real stack on a real single-node Swarm and check it
	$(BIN)/pytest -m swarm tests/swarm $(PYTEST_ARGS)

.PHONY: test-cluster
test-cluster: install system-deps $(TINY_MODEL)/config.json ## Deploy the real stack on a simulated 6-node Swarm (root; namespaces) and check it
	$(BIN)/pytest -m cluster tests/cluster $(PYTEST_ARGS)

.PHONY: bench
bench: install ## Measure engine, service and fairness figures on the random opus-mt-shaped model
	$(BIN)/python services/backend/benchmarks/run.py

.PHONY: bench-first-segment
bench-first-segment: install ## Only make bench's first-segment figures (a 1,000,000-character text's, <= 1 s)
	$(BIN)/python services/backend/benchmarks/first_segment.py

# bench-gpu: CTranslate2's PyPI wheel loads the CUDA 12 cuBLAS/cuDNN that install-cuda puts into
# the venv (nvidia-*-cu12 wheels); ld.so finds them through this path (the GPU image: ldconfig).
CUDA_LIBS = $(shell find $(VENV)/lib -type d -path '*/site-packages/nvidia/*/lib' 2>/dev/null | tr '\n' ':')

.PHONY: install-cuda
install-cuda: install ## On an NVIDIA GPU machine: add the CUDA 12 libraries CTranslate2 loads (for bench-gpu)
	$(BIN)/pip install -r services/backend/requirements-cuda.txt

.PHONY: bench-gpu
bench-gpu: install ## On an NVIDIA GPU: CTranslate2 float16/int8_float16 vs transformers float16, and the service
	LD_LIBRARY_PATH="$(CUDA_LIBS)$${LD_LIBRARY_PATH:-}" $(BIN)/python services/backend/benchmarks/gpu.py

.PHONY: clean
clean: ## Remove build output, test output and caches (keeps .venv and data/)
	rm -rf build $(TEST_OUTPUT) .pytest_cache .ruff_cache .hypothesis
