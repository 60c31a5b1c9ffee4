# Two entry points on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip

.PHONY: install system-deps demo test bench

system-deps:
	@for tool in pdfsig pdftoppm pdftotext pdfdetach; do command -v $$tool >/dev/null 2>&1 || missing=1; done; \
	[ -z "$$missing" ] || \
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
