"""Wiring the real engine, client and profiles into the web app's `Backend`.

Imports happen inside the functions: `cortexkit ui --help` must not load SQLAlchemy or httpx.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cortexkit.web.connection import check
from cortexkit.web.settings import Backend, ProfileInfo

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit.onboarding.runner import Runner
    from cortexkit.onboarding.store import JobStore

ClientFactory = Callable[[str | None], Any]


def _profile_of(arg: Any) -> str | None:
    """The runner may hand the factory a profile name or the job's spec; both name a profile."""
    if arg is None or isinstance(arg, str):
        return arg or None
    value = getattr(arg, "profile", None)
    return str(value) if value else None


def speaks_cortex(profile: str | None) -> bool:
    """Whether a profile (or, with none, CORTEXCLOUD_* / the default profile) is a Cortex connection, as
    `cortexkit onboard` decides it; an ambiguous environment stays Prisma, the UI's behaviour before."""
    from cortexkit.cortex.backend import dialect_for

    try:
        return dialect_for(profile=profile) == "cortex"
    except Exception:  # both PRISMA_* and CORTEXCLOUD_* set, or an unreadable profiles file
        return False


def profile_client_factory(default_profile: str | None = None, api_url: str | None = None) -> ClientFactory:
    """Clients from the user's profiles (args > env > profile file/keyring), never prompting: a
    `CortexClient` for a Cortex profile or CORTEXCLOUD_*, so Cortex jobs resume and cancel from the UI."""

    def factory(arg: Any = None) -> Any:
        profile = _profile_of(arg) or default_profile
        if speaks_cortex(profile):
            from cortexkit.cortex.client import CortexClient

            return CortexClient(profile=profile, api_url=api_url)
        from cortexkit.client import Client

        return Client(profile=profile, api_url=api_url)

    return factory


def fixed_client_factory(api_url: str, access_key_id: str, secret_key: str) -> ClientFactory:
    """Every job and page uses one set of keys: the embedded emulator's, for `cortexkit demo`."""

    def factory(arg: Any = None) -> Any:
        from cortexkit.client import Client

        return Client(api_url=api_url, access_key_id=access_key_id, secret_key=secret_key)

    return factory


class SharedClients:
    """One client per profile for the pages, so viewing a page does not cost a login.

    `Client` is thread-safe and refreshes its own token, so the request threads and the UI's jobs share
    it (entering yields the shared client; leaving does not close it).
    """

    def __init__(self, factory: ClientFactory) -> None:
        self._factory = factory
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def __call__(self, arg: Any = None) -> Iterator[Any]:
        key = _profile_of(arg) or ""
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._factory(arg)
                self._clients[key] = client
        yield client

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()


def list_profiles(default_profile: str | None = None) -> list[ProfileInfo]:
    """The saved profiles (a Cortex one with its API key id and type, as `cortexkit profile list` shows
    it) plus the PRISMA_* or CORTEXCLOUD_* environment, which works like an unnamed profile."""
    from cortexkit.cortex.credentials import ENV_KEY_ID, ENV_KEY_TYPE, ENV_URL
    from cortexkit.cortex.profiles import cortex_key

    found: list[ProfileInfo] = []
    try:
        credentials: Any = importlib.import_module("cortexkit.credentials")
        store = credentials.ProfileStore()
        entries = store.list() if hasattr(store, "list") else store.profiles()
        default = default_profile or getattr(store, "default", None)
        for entry in entries:
            name = str(getattr(entry, "name", entry))
            cortex = cortex_key(name, store=store)
            found.append(
                ProfileInfo(
                    name=name,
                    api_url=str(getattr(entry, "api_url", "") or ""),
                    access_key_id=str(cortex[0])
                    if cortex
                    else str(getattr(entry, "access_key_id", "") or ""),
                    is_default=name == default,
                    key_type=cortex[1] if cortex else "",
                )
            )
    except (ImportError, AttributeError):
        pass
    if os.environ.get(ENV_URL) and os.environ.get(ENV_KEY_ID):
        found.append(
            ProfileInfo(
                name="",
                api_url=os.environ[ENV_URL],
                access_key_id=os.environ[ENV_KEY_ID],
                is_default=not found,
                key_type=os.environ.get(ENV_KEY_TYPE, "advanced"),
            )
        )
    if os.environ.get("PRISMA_API_URL") and os.environ.get("PRISMA_ACCESS_KEY_ID"):
        found.append(
            ProfileInfo(
                name="",
                api_url=os.environ["PRISMA_API_URL"],
                access_key_id=os.environ["PRISMA_ACCESS_KEY_ID"],
                is_default=not found,
            )
        )
    return found


def default_store_url() -> str:
    """The SQLite file in the user's data dir."""
    from cortexkit.onboarding.store import default_url

    return default_url()


@dataclass
class Engine:
    """The engine objects a running UI holds: the store and the runner that executes its jobs."""

    store: JobStore
    runner: Runner
    client_factory: ClientFactory
    profiles: Callable[[], list[ProfileInfo]] = field(default=list)
    page_clients: SharedClients | None = None

    def backend(self) -> Backend:
        from cortexkit.onboarding import bulk, model

        if self.page_clients is None:
            self.page_clients = SharedClients(self.client_factory)
        factory = self.page_clients
        return Backend(
            store=self.store,
            start_job=self.runner.start,
            holds_job=self.runner.holds,
            client_factory=factory,
            field_errors=model.field_errors,
            build_spec=model.JobSpec.model_validate,
            parse_csv=bulk.parse_csv,
            profiles=self.profiles,
            check_profile=lambda name: check(name, factory),
            runner_settings=self.runner.settings,
        )


def close_engine(engine: Engine) -> None:
    """Close the pages' shared clients and the store (jobs still running are daemon threads)."""
    if engine.page_clients is not None:
        engine.page_clients.close()
    engine.store.close()


def build_engine(
    client_factory: ClientFactory,
    store_url: str | None = None,
    profiles: Callable[[], list[ProfileInfo]] = list,
    runner_settings: Any = None,
    *,
    max_workers: int | None = None,
    default_profile: str | None = None,
) -> Engine:
    """The store and runner for a UI; `runner_settings` is a `RunnerSettings` (defaults: a real tenant)."""
    from cortexkit.onboarding.store import JobStore

    return engine_for(
        JobStore(store_url or default_store_url()),
        client_factory,
        profiles=profiles,
        runner_settings=runner_settings,
        max_workers=max_workers,
        default_profile=default_profile,
    )


def engine_for(
    store: JobStore,
    client_factory: ClientFactory,
    *,
    profiles: Callable[[], list[ProfileInfo]] = list,
    runner_settings: Any = None,
    max_workers: int | None = None,
    default_profile: str | None = None,
) -> Engine:
    """A UI's engine on `store`: jobs run in the runner's bounded pool (a 200-row bulk is 4 threads, not
    200) and share the pages' one client per profile (one login, one rate limiter, not one per row); a
    job that names no profile uses `default_profile`, as the pages do."""
    from cortexkit.onboarding.runner import DEFAULT_WORKERS, Runner

    clients = SharedClients(client_factory)

    def jobs_client(profile: Any = None) -> Any:
        return clients(profile or default_profile)

    workers = max_workers or DEFAULT_WORKERS
    runner = Runner(store, jobs_client, settings=runner_settings, max_workers=workers)
    return Engine(
        store=store, runner=runner, client_factory=client_factory, profiles=profiles, page_clients=clients
    )
