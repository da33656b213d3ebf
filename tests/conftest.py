"""Shared fixtures: real emulators over HTTP on 127.0.0.1, on a port the OS picks.

- `emulator` (session): default config, seed 42, rate limits off, no faults. Shared by many tests, so a test
  that mutates data or time must `POST /_emulator/reset` (or use `make_emulator`).
- `make_emulator(**overrides)` (function): a fresh emulator per call, stopped at teardown.
- `client_env(running)`: the PRISMA_* environment for a client pointed at an emulator.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from cortexkit.emulator.server import RunningEmulator, run_emulator

# No per-example deadline: Hypothesis's default 200 ms is a timing assertion (speed lives in `make bench`).
# A property test of auth failed once in a suite run at load 7-15 and passes 20,000 examples on its own.
settings.register_profile("cortexkit", deadline=None)
settings.load_profile("cortexkit")

SHARED_EMULATOR_CONFIG: dict[str, Any] = {"seed": 42, "rate_limits": "off", "fault_rate": 0.0}


def client_env(running: RunningEmulator) -> dict[str, str]:
    """PRISMA_API_URL / PRISMA_ACCESS_KEY_ID / PRISMA_SECRET_KEY (plus the CA bundle under --tls)."""
    return running.client_env()


def pytest_addoption(parser: pytest.Parser) -> None:
    # Here, not in tests/reliability/conftest.py: a nested conftest's options are only known when pytest is
    # given that directory, so `pytest --soak` from the project root would be refused as unknown.
    parser.addoption("--soak", action="store_true", default=False, help="run the long soak suites")


@pytest.hookimpl(trylast=True)  # after xdist's own, which marks a grouped test's id with `@group`
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _check_groups_kept(config, items)
    _skip_soak_without_option(config, items)


def _skip_soak_without_option(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A `soak` test (the long soaks, the full trial counts of tests/trials.py) is skipped without `--soak`,
    rather than deselected, so the skip reason tells a reader how to run it. Here, not in a nested
    conftest: `pytest tests/integration/...` never loads tests/reliability/conftest.py."""
    if config.getoption("--soak"):
        return
    skip = pytest.mark.skip(reason="long soak: run with --soak (make soak)")
    for item in items:
        if "soak" in item.keywords:
            item.add_marker(skip)


_UNGROUPED: set[str] = set()
"""Ids of `xdist_group` tests that `--dist loadgroup` failed to group (see `_check_groups_kept`)."""


def _check_groups_kept(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under `--dist loadgroup` (an xdist worker) an `xdist_group` test's id ends in `@group`. With a pytest
    and xdist pair that lose the group (pytest 9.2 did, silently: grouped, timing-sensitive tests then ran
    at once on both workers), each such test fails with one sentence instead of running ungrouped."""
    if getattr(config.option, "loadgroup", False):
        grouped = [item.nodeid for item in items if item.get_closest_marker("xdist_group")]
        _UNGROUPED.update(nodeid for nodeid in grouped if "@" not in nodeid)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.nodeid in _UNGROUPED:
        pytest.fail(
            "--dist loadgroup did not group this xdist_group test: this pytest and pytest-xdist do not work "
            "together; run `make venv` to install the pinned pytest.",
            pytrace=False,
        )


@pytest.fixture(scope="session", autouse=True)
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Token cache and rate governor state go to a temp dir, never the user's real cache (child processes
    inherit it). A test that wants its own sets CORTEXKIT_CACHE_DIR itself."""
    # XDG_CACHE_HOME too: the CLI tests scrub CORTEXKIT_* from their children's environment.
    names = [n for n in ("CORTEXKIT_CACHE_DIR", "XDG_CACHE_HOME") if n not in os.environ]
    where = tmp_path_factory.mktemp("cortexkit-cache")
    for name in names:
        os.environ[name] = str(where)
    try:
        yield
    finally:
        for name in names:
            os.environ.pop(name, None)


@pytest.fixture(scope="session")
def emulator() -> Iterator[RunningEmulator]:
    with run_emulator(**SHARED_EMULATOR_CONFIG) as running:
        yield running


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., RunningEmulator]]:
    """A factory: `make_emulator(token_ttl=5, rate_limits="documented")`; defaults as `emulator`."""
    with contextlib.ExitStack() as stack:

        def factory(**overrides: Any) -> RunningEmulator:
            return stack.enter_context(run_emulator(**{**SHARED_EMULATOR_CONFIG, **overrides}))

        yield factory


@pytest.fixture(name="client_env")
def client_env_fixture() -> Callable[[RunningEmulator], dict[str, str]]:
    """The `client_env` helper as a fixture, for tests that prefer injection to an import."""
    return client_env


@pytest.fixture
def emulator_env(emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Sets the PRISMA_* variables for the shared emulator in os.environ for this test."""
    env = client_env(emulator)
    for name in (
        "PC_URL",
        "PC_IDENTITY",
        "PC_SECRET",
        "PRISMA_PCPI_URL",
        "PRISMA_PCPI_ID",
        "PRISMA_PCPI_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server (Debian package; `make test` installs it) on a free loopback port, in a temp
    dir, no persistence; stopped at the end of the session."""
    from bench.redis_server import find_binary, redis_server

    if find_binary() is None:
        pytest.skip("redis-server is not installed (make test installs it: apt-get install redis-server)")
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A throwaway PostgreSQL cluster (Debian's `postgresql`; `make test` installs it) for this session,
    run unprivileged on a free loopback port in a temporary directory, stopped at the end."""
    from tests import pg_cluster

    if not pg_cluster.available():
        pytest.skip("PostgreSQL is not installed (make test installs it: apt-get install postgresql)")
    with pg_cluster.throwaway_cluster() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> str:
    """A fresh, empty database on the session's PostgreSQL cluster."""
    from tests import pg_cluster

    return pg_cluster.fresh_database(postgres_admin_url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The job store's URL on each database the engine supports: a SQLite file, a PostgreSQL database.

    A PostgreSQL store needs a key every host shares: the test's key goes in CORTEXKIT_STORE_KEY, as a
    team's secret manager would put it (child processes inherit it)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.db'}"
    from cryptography.fernet import Fernet

    monkeypatch.setenv("CORTEXKIT_STORE_KEY", Fernet.generate_key().decode())
    return str(request.getfixturevalue("postgres_url"))
