# labchat: `make lab` opens the lab, `make test` runs every test.
# Both create .venv with the Python found as $(PYTHON) (3.11 or newer) on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# JupyterLab refuses to run as root unless told; add the flag only then.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab app test test-quick lint browser-deps tshark-deps bench pot mo soak screenshots

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "labchat needs Python 3.11 or newer: run make PYTHON=python3.11 ..."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files re-run the install whenever pyproject.toml changes.
$(VENV)/.installed-lab: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# The language labchat speaks: `make lab LABCHAT_LANG=fa` (or `LANG=fa`) for
# Persian; the Persian handouts are in notebooks/fa. A LANG that names a locale
# (en_US.UTF-8) is left alone; LANG=fa is not a locale, so the servers get C.UTF-8.
LABCHAT_LANG ?= $(if $(filter fa fa_IR,$(LANG)),fa,en)
SERVE_ENV := LABCHAT_LANG=$(LABCHAT_LANG) $(if $(filter fa fa_IR,$(LANG)),LANG=C.UTF-8,)
APP_NOTEBOOK := $(if $(filter fa,$(LABCHAT_LANG)),notebooks/fa/app.ipynb,notebooks/app.ipynb)

lab: $(VENV)/.installed-lab
	$(SERVE_ENV) $(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG)

# The lab as an app for a classroom projector: open the URL it prints
# (port 8866, or the next free one).
APP_PORT ?= 8866
app: $(VENV)/.installed-lab
	$(SERVE_ENV) $(BIN)/voila $(APP_NOTEBOOK) --no-browser --Voila.ip=127.0.0.1 --port=$(APP_PORT)

# The browser tests drive Debian's Chromium through Playwright (never
# `playwright install`: it downloads a browser). Installed here when it is
# missing and we are root, as in CI.
CHROMIUM := /usr/bin/chromium
browser-deps:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core; \
	  else \
	    echo "The browser tests need Chromium at $(CHROMIUM): run 'sudo apt-get install chromium' (or 'make test-quick' without them)"; \
	    exit 1; \
	  fi; }

# The Wireshark tests decode labchat captures with Debian's tshark. Installed
# here when it is missing and we are root, as in CI; the one debconf question
# (may non-root users capture?) is answered "no" beforehand, so nothing asks.
tshark-deps:
	@command -v tshark >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections \
	    && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tshark; \
	  else \
	    echo "The Wireshark tests need tshark: run 'sudo apt-get install tshark'"; \
	    exit 1; \
	  fi; }

lint: $(VENV)/.installed-test
	$(BIN)/ruff check labchat tests benchmarks notebooks
	$(BIN)/mypy

# Everything: lint, types, unit and protocol tests, every notebook under
# nbval, and the browser tests.
test: lint browser-deps tshark-deps
	$(BIN)/python -m pytest

# Everything but the browser tests (no Chromium needed; tshark is).
test-quick: lint tshark-deps
	$(BIN)/python -m pytest -m "not browser"

# The README's pictures, taken again by the browser tests (which otherwise write
# their screenshots to a temporary directory).
screenshots: $(VENV)/.installed-test browser-deps
	LABCHAT_SCREENSHOTS=docs/images $(BIN)/python -m pytest -m browser

# Every figure of the speed table (simulator, real UDP peers, the chat lab), as
# ratios to baselines measured in the same run; writes benchmarks/RESULTS.md.
# A few minutes: kept out of `make test`, which only smoke-tests the scripts.
bench: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks.run --results benchmarks/RESULTS.md

# The catalogue template a translation starts from: every string marked in
# labchat/voice.py (GNU gettext's xgettext; tests/test_voice.py checks it is current).
pot:
	xgettext --language=Python --from-code=UTF-8 --keyword=_ --keyword=N_ \
	  --keyword=ngettext:1,2 --add-comments --package-name=labchat \
	  --output=labchat/locale/labchat.pot labchat/voice.py

# Long runs over real UDP (minutes): 20,000 messages each way through a bad
# relay, and 20-second garbage floods at a chat and at a chat lab; prints the
# README's figures.
soak: $(VENV)/.installed-test
	$(BIN)/python -m tests.soak

# The compiled catalogues labchat reads at run time (committed: the standard
# library reads .mo files but cannot compile .po; tests/test_voice.py checks
# each .mo is current). `make pot` first when voice.py changed.
mo:
	for po in labchat/locale/*/LC_MESSAGES/labchat.po; do \
	  msgmerge --quiet --update --backup=none --no-fuzzy-matching $$po labchat/locale/labchat.pot \
	  && msgfmt --check --output-file=$${po%.po}.mo $$po || exit 1; done
