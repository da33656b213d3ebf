# The two commands a newcomer needs: `make demo` and `make test`. Every target makes or reuses .venv itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The stamp changes whenever pyproject.toml changes, so a changed dependency list reinstalls.
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PORT   ?= 8765
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: venv demo test lint bench soak chromium wrk redis postgres clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

venv: $(STAMP)

demo: venv
	$(BIN)/cortexkit demo --port $(PORT)

# Playwright cannot download a browser here; the browser tests drive Debian's Chromium.
chromium:
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || \
	  ( $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium )

# The Redis governor tests start Debian's redis-server on a free loopback port.
redis:
	@command -v redis-server >/dev/null 2>&1 || test -x /usr/bin/redis-server || \
	  ( $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q redis-server )

# The job store's tests also run on a throwaway PostgreSQL cluster started from Debian's binaries.
postgres:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  ( $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q postgresql )

test: venv chromium redis postgres
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

# wrk (Debian) is the cheapest load generator for the emulator-capacity workload.
wrk:
	@command -v wrk >/dev/null 2>&1 || \
	  ( $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q wrk ) || \
	  echo "wrk could not be installed: the capacity workload uses its Python load generators only"

bench: venv wrk
	$(BIN)/python -m bench $(if $(QUICK),--quick)

# The long proofs: the 20,000-request fault soak and the full trial counts of the race proofs
# (300 claim races per database, 20 simultaneous resumes), the 50,000-alert export and the onboarding
# jobs killed at every point (Prisma 13 and 14, Cortex 16); `make test` runs a few trials (a smaller
# size) of each.
soak: venv
	$(BIN)/python -m pytest tests -m soak --soak

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
