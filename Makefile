# make demo  — set up and run the platform on the embedded store with demo data (http://127.0.0.1:8000)
# make test  — set up everything the tests need (Debian packages included), lint, type-check the kernel (mypy) and run the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RUNTIME_STAMP := $(VENV)/.installed-runtime
NODE_STAMP := node_modules/.installed
# the portal's files from npm (map, API docs, charts, fonts) and its compiled catalogues, built from node_modules and locale/
PORTAL_ASSETS := src/vkc/portal/static/vendor/manifest.json
DEMO_DB ?= demo.gpkg
APT    := apt-get -o DPkg::Lock::Timeout=300
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test venv system-deps bench lock clean

# The demo needs the package and its runtime dependencies only; the tests add the test extra.
$(RUNTIME_STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -e .
	touch $(RUNTIME_STAMP)

$(STAMP): $(RUNTIME_STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

# The npm packages of package-lock.json (the portal's map, API docs, charts and fonts; the tests' OpenID Connect provider), with the machine's Node.js (Debian's if it has none).
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "installing Node.js and npm from Debian"; $(SUDO) $(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) $(APT) install -y -qq --no-install-recommends nodejs npm; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error  # no install scripts: swagger-ui-dist pulls in a telemetry one
	touch $(NODE_STAMP)

$(PORTAL_ASSETS): $(NODE_STAMP) $(RUNTIME_STAMP) tools/portal_assets.py $(wildcard src/vkc/portal/locale/*/LC_MESSAGES/messages.po)
	$(BIN)/python tools/portal_assets.py

# Installs the pinned Debian packages that are missing (needs root or sudo).
system-deps:
	@missing=""; for spec in $$(grep -v '^#' deps/debian-packages.txt); do \
	  pkg=$${spec%%=*}; ver=$${spec#*=}; \
	  [ "$$(dpkg-query -W -f='$${Version}' $$pkg 2>/dev/null)" = "$$ver" ] || missing="$$missing $$spec"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) $(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) $(APT) install -y -qq --no-install-recommends $$missing; \
	fi

demo: $(RUNTIME_STAMP) $(PORTAL_ASSETS)
	@[ ! -f $(DEMO_DB) ] || $(BIN)/vkc db upgrade --db $(DEMO_DB)  # a demo store of an older vkc
	$(BIN)/vkc demo --db $(DEMO_DB)

test: $(STAMP) system-deps $(NODE_STAMP) $(PORTAL_ASSETS)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP) system-deps
	$(BIN)/python bench/run_import.py --repeat 3

# Re-resolve the pins from pyproject.toml (run by hand, then commit requirements.lock).
lock:
	rm -rf /tmp/vkc-lock && $(PYTHON) -m venv /tmp/vkc-lock
	/tmp/vkc-lock/bin/pip install --quiet -e '.[test]'
	(echo "# Pinned versions used by make (pip install -c requirements.lock). Regenerate with: make lock"; \
	 /tmp/vkc-lock/bin/pip freeze --exclude-editable | grep -v '^-e') > requirements.lock

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache node_modules src/vkc/portal/static/vendor src/vkc/portal/locale/*/LC_MESSAGES/*.mo
