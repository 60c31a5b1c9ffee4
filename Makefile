# Two entry points on a fresh machine: `make demo` and `make test`.
#
# Everything runs in a project virtual environment, .venv, made from the first Python >= 3.10
# that scripts/find-python.sh finds ($PYTHON if given, else python3 on PATH: an active venv, a
# pyenv shim or the distribution's own externally-managed Python). Nothing is pip-installed
# outside .venv, and every tool is called through it, so `synthcheck` need not be on PATH.
VENV ?= .venv
VENV_PYTHON := $(VENV)/bin/python
# Recipes find the venv's tools first (tests start `synthcheck` and `python` as subprocesses).
export PATH := $(abspath $(VENV))/bin:$(PATH)
export VIRTUAL_ENV := $(abspath $(VENV))

.PHONY: install system-deps demo test bench clean-venv

system-deps:
	@sh scripts/system-deps.sh

$(VENV_PYTHON):
	@base=$$(sh scripts/find-python.sh) || exit 1; \
	echo "making $(VENV) with $$base"; \
	"$$base" -m venv "$(VENV)" || { rm -rf "$(VENV)"; exit 1; }
	$(VENV_PYTHON) -m pip install -q --upgrade pip

# torch must be the CPU build: install it alone first so SDV does not pull CUDA wheels.
# The stamp re-runs the install only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(VENV_PYTHON)
	$(VENV_PYTHON) -m pip install -q "torch==2.13.0"
	$(VENV_PYTHON) -m pip install -q -e ".[sdv,dask,approx,dev]"
	@echo "compiling the exact search's scan (numba; once per machine)"
	$(VENV_PYTHON) -c "from synthcheck.distance.scan import warm; warm()"
	@touch $@

install: system-deps $(VENV)/.installed

demo: install
	$(VENV)/bin/synthcheck demo --out demo-out

# Two pytest workers (pytest-xdist; `make test TEST_WORKERS=8` on a bigger machine). Not
# `-n auto`: in a container with a CPU quota it counts the host's cores. Tests of one module
# share a worker, so a module's fixtures are built once. `pytest -m "not slow"` is the quick loop.
TEST_WORKERS ?= 2
test: install
	$(VENV_PYTHON) -m pytest -q -n $(TEST_WORKERS) --dist loadscope

bench: install
	$(VENV_PYTHON) -m pip install -q -e ".[bench]"
	$(VENV_PYTHON) benchmarks/run.py

clean-venv:
	rm -rf $(VENV)
