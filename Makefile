# Everything a fresh machine needs: `make test` and `make lecture` set themselves up.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
FMNIST := /usr/share/datasets/fashion-mnist
OUT    ?= lecture-out
PYTEST_ARGS ?= -n 2

.PHONY: test test-browser browser lecture lecture-quick setup data lint bench clean

setup: $(STAMP) data

# torch first, pinned to the release this machine's wheel store holds (a bare `torch` downloads gigabytes).
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install -q -e '.[dev,all]'   # all: the optional data sources and tensorboard (the lecture and tests use them)
	touch $@

# Debian ships the 70k real Fashion-MNIST images; install them when we may (root) and they are absent.
data:
	@if [ ! -d $(FMNIST) ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's dataset-fashion-mnist"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 || \
	  (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q dataset-fashion-mnist >/dev/null); \
	fi

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lecture: setup
	$(VENV)/bin/genlab lecture --out $(OUT)

lecture-quick: setup
	$(VENV)/bin/genlab lecture --quick --out $(OUT)-quick

# Debian's Chromium for the browser test (Playwright drives the system executable; it downloads nothing).
browser:
	@if ! command -v chromium >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's chromium"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || \
	  (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null); \
	fi

# The quick lecture page in real headless Chromium (a few minutes: it runs the quick lecture first).
test-browser: setup browser
	GENLAB_LECTURE_DIR=$(OUT)-quick $(PY) -m pytest -m browser tests/report/test_lecture_browser.py

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench

bench: setup
	for b in bench/[!_]*.py; do $(PY) $$b; done

clean:
	rm -rf $(VENV) .pytest_cache
