# One-command entry points. `make demo` and `make test` set everything up from nothing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

CRATE := crates/inferrer-core
CARGO ?= cargo
# Build caches shared by every checkout on this machine (a fresh clone reuses what another
# built; cargo and npm keep them correct): cargo's build directory, so the core's crates.io
# dependencies are compiled once (the core itself is rebuilt per checkout), and npm's
# packages (tools/npm-install.sh). The Kafka jars and the registry's build live there too.
INFERRER_CACHE ?= $(HOME)/.cache/inferrer
export INFERRER_CACHE
export CARGO_TARGET_DIR ?= $(INFERRER_CACHE)/cargo-target
# cargo is run by a make of -j3 (make checks) that gives it no jobserver; without this it
# warns that it cannot reach one.
RUN_CARGO := env -u MAKEFLAGS -u MFLAGS -u CARGO_MAKEFLAGS $(CARGO)

.PHONY: setup setup-parts venv jars registry npm checks lint typecheck core-test fuzz fuzz-core fuzz-framed test pytest unit demo golden kafka-start kafka-stop registry-start registry-stop bench clean clean-cache

# The venv (with the core's build) and npm's packages are fetched side by side: one is
# mostly compiling, the other mostly downloading. The jars and the registry wait for the venv.
setup:
	@$(MAKE) --no-print-directory -j3 --output-sync=target setup-parts

setup-parts: $(STAMP) npm jars registry

# The packages are installed by uv (from PyPI, into the venv; a fresh clone's hundred
# packages take seconds from uv's cache where pip takes most of a minute); maturin builds
# the compiled core (crates/inferrer-core) with cargo. The build runs in the venv itself
# (maturin first, the one pyproject.toml names), with the interpreter's name that
# `python3 -m pip wheel .` uses too: cargo then reuses one build for both.
MATURIN = $(shell $(PY) -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['build-system']['requires'][0])")
$(STAMP): pyproject.toml $(CRATE)/Cargo.toml $(wildcard $(CRATE)/src/*.rs) inferrer/inference/grammar.json
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python3 -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install -q --python $(BIN)/python3 '$(MATURIN)'
	$(BIN)/uv pip install -q --python $(BIN)/python3 --no-build-isolation -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# node_modules is a link into the cache (installed there once per package-lock.json).
npm:
	tools/npm-install.sh

jars: $(STAMP)
	$(BIN)/python -m tools.devkafka jars

# The local Schema Registry (Apicurio, tools/registry/), built with Maven into
# ~/.cache/inferrer/registry/; rebuilt only when tools/registry/ changes.
registry: $(STAMP) jars
	$(BIN)/python -m tools.devregistry build

lint: $(STAMP)
	$(BIN)/ruff check inferrer tools tests benchmarks
	$(BIN)/ruff format --check inferrer tools tests benchmarks
	cd $(CRATE) && $(RUN_CARGO) fmt --check
	cd $(CRATE) && $(RUN_CARGO) clippy --quiet --all-targets -- -D warnings

# The core's own unit tests (pure Rust: no Python needed).
core-test:
	cd $(CRATE) && $(RUN_CARGO) test --quiet

typecheck: $(STAMP)
	$(BIN)/mypy --strict inferrer tools

# The quality gates side by side (the two cargo commands take turns on the crate's build
# directory; mypy runs beside them).
checks: $(STAMP)
	@$(MAKE) --no-print-directory -j3 --output-sync=target lint typecheck core-test

# The suite in layers (tests/layers.py), in parallel (pytest-xdist, a file per worker at a
# time; the workers share one broker and one registry, kept by xdist's controller:
# tests/servers.py).
# tests/unit needs only the venv; integration and acceptance need the jars and npm.
# Two workers per core: many tests spend their time waiting on a broker, a registry or a
# child process (on 2 cores, 4 workers take the suite from 215 s to 175 s; 6 no further).
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc) * 2 )))
# Bytecode is written even where PYTHONDONTWRITEBYTECODE is set: without it every worker
# compiles the package and re-writes every test module's assertions on every run.
# Files are handed out in the order tests/layers.py gives them (those that wait on servers
# first), not xdist's largest-first.
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -W error -n $(PYTEST_WORKERS) --dist loadfile \
	--no-loadscope-reorder

pytest: setup
	$(PYTEST)

# Pure, in-memory tests: no broker, no JVM, no node. A quick loop: property tests draw a
# tenth of their examples (tests/properties.py); `make test` draws them all. Its temporary
# directories live in a basetemp of this checkout's own (emptied as each run starts; outside
# the checkout, where pytester's inner runs would find its pyproject.toml): under the shared
# /tmp/pytest-of-$USER a run ends by deleting the oldest runs' directories, whichever
# checkout made them, which took a minute here when another suite's run was among them.
UNIT_BASETEMP := /tmp/inferrer-unit-$(shell id -u)$(subst /,-,$(CURDIR))
unit: $(STAMP)
	INFERRER_QUICK_PROPERTIES=1 $(PYTEST) --basetemp=$(UNIT_BASETEMP) tests/unit

# The fuzz targets: tests/fuzz/fuzz_core.py (the core's byte inputs against the Python
# reference) and tests/fuzz/fuzz_framed.py (framed bodies through the registry decoders).
# 20 seconds each in `make test`, the two side by side (one core each);
# `make fuzz FUZZ_SECONDS=600` for longer.
FUZZ_SECONDS ?= 20
fuzz: setup
	@$(MAKE) --no-print-directory -j2 --output-sync=target fuzz-core fuzz-framed

fuzz-core: $(STAMP)
	rm -rf .fuzz-corpus && mkdir -p .fuzz-corpus && cp tests/fuzz/corpus/* .fuzz-corpus/
	$(BIN)/python tests/fuzz/fuzz_core.py -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix=.fuzz-corpus/ .fuzz-corpus

fuzz-framed: $(STAMP)
	rm -rf .fuzz-framed && mkdir -p .fuzz-framed && cp tests/fuzz/corpus_framed/* .fuzz-framed/
	$(BIN)/python tests/fuzz/fuzz_framed.py -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix=.fuzz-framed/ .fuzz-framed

test: setup checks pytest fuzz

demo: setup
	$(BIN)/python -m tools.demo

# Rewrite the expected outputs of the golden cases (tests/acceptance/cases; the golden
# document from the v1 bank fixtures is fixtures/golden), on purpose, after a change to
# inference, the document writer or a report; review `git diff` before committing.
golden: $(STAMP)
	INFERRER_REGENERATE_CASES=1 $(BIN)/pytest -q tests/acceptance/test_cases.py::test_case

kafka-start: setup
	$(BIN)/python -m tools.devkafka start --sasl --authorizer

kafka-stop:
	$(BIN)/python -m tools.devkafka stop

registry-start: setup
	$(BIN)/python -m tools.devregistry start

registry-stop:
	$(BIN)/python -m tools.devregistry stop

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache .pytest_cache $(CRATE)/target

# The shared caches too (every checkout's: cargo's build directory, npm's packages, the
# Kafka jars, the registry's build): the next setup rebuilds them from the registries.
# A local broker or registry started by `make kafka-start`/`registry-start` is stopped
# first: its state file lives in the cache.
clean-cache:
	if test -x $(BIN)/python; then $(BIN)/python -m tools.devkafka stop; $(BIN)/python -m tools.devregistry stop; fi
	$(MAKE) --no-print-directory clean
	rm -rf $(INFERRER_CACHE)
