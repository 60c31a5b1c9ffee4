# Two entry points on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip

.PHONY: install system-deps demo test bench

system-deps:
	@command -v pdfsig >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 || \
	  (apt-get update -qq && apt-get install -y -qq poppler-utils >/dev/null)

# torch must be the CPU build: install it alone first so SDV does not pull CUDA wheels.
install: system-deps
	$(PIP) install -q "torch==2.13.0"
	$(PIP) install -q -e ".[sdv,dask,approx,dev]"

demo: install
	synthcheck demo --out demo-out

test: install
	$(PYTHON) -m pytest -q

bench: install
	$(PIP) install -q -e ".[bench]"
	$(PYTHON) benchmarks/run.py
