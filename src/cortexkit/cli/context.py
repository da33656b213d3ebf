"""Global options and the lazily built Client that every command shares.

The client (and with it httpx and pydantic) is created on the first command that needs the API, so
`--help`, `--version` and local commands never pay for it; it is closed when the root context closes.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer

from cortexkit.cli import output as out
from cortexkit.cli.errors import UsageProblem

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit.client import Client
    from cortexkit.cortex.backend import Backend, Dialect
    from cortexkit.cortex.client import CortexClient
    from cortexkit.credentials import Credentials


@dataclass
class CliState:
    """What the global options said, plus the client built from them on demand."""

    profile: str | None = None
    region: str | None = None
    output: str | None = None
    query: str | None = None
    verbose: int = 0
    debug: bool = False
    backend: str | None = None  # --backend prisma|cortex: which dialect when the credentials do not say
    _client: Client | None = field(default=None, repr=False)
    _cortex: CortexClient | None = field(default=None, repr=False)
    _creds: Credentials | None = field(default=None, repr=False)

    def credentials(self, profile: str | None = None) -> Credentials:
        """Credentials for a profile (or the global one), `--region` overriding its URL.

        An unknown profile name is a typo on the command line (exit 2), caught before the library
        would report it as missing credentials.
        """
        from cortexkit.credentials import ProfileStore, load_credentials

        name = profile or self.profile
        if name:
            store = ProfileStore()
            known = store.names()
            if name not in known:
                listed = ", ".join(known) if known else "none yet"
                raise UsageProblem(
                    f"no profile named {name!r} (profiles: {listed}); "
                    f"add it with `cortexkit profile add {name}`."
                )
            _refuse_cortex_profile(name)
        return load_credentials(
            name, api_url=self.region, interactive=sys.stdin.isatty() and sys.stderr.isatty()
        )

    def client(self) -> Client:
        """The API client for the selected profile/region (args > env > profile > prompt)."""
        if self._client is None:
            from cortexkit.client import Client

            if self.backend is not None and self.backend.strip().lower() == "cortex":
                raise UsageProblem(
                    "this command speaks Prisma Cloud only; drop --backend cortex or use a Prisma profile."
                )

            self._creds = self.credentials()
            # Consecutive commands share one login per profile (session_cache.py; `auth logout` forgets it).
            self._client = Client(self._creds, session_cache=True)
        return self._client

    def dialect(self) -> Dialect:
        """Which API the selected credentials speak; both PRISMA_* and CORTEXCLOUD_* set with nothing to
        say which is a usage error (exit 2), never a guess."""
        from cortexkit.cortex.backend import dialect_for

        return dialect_for(backend=self.backend, profile=self.profile)

    def cortex_client(self) -> CortexClient:
        """The Cortex client of the selected profile (args > CORTEXCLOUD_* > profile); `--region`: its URL."""
        if self._cortex is None:
            from cortexkit.cortex.client import CortexClient

            self._cortex = CortexClient(profile=self.profile, api_url=self.region)
        return self._cortex

    def api_backend(self) -> Backend:
        """The dialect-neutral backend (who am I, cloud accounts, alerts) on the selected credentials."""
        from cortexkit.cortex.backend import CortexBackend, PrismaBackend

        if self.dialect() == "cortex":
            return CortexBackend(self.cortex_client())
        client = self.client()
        assert self._creds is not None  # set by client()
        return PrismaBackend(client, self._creds)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cortex is not None:
            self._cortex.close()
            self._cortex = None

    def emit(self, data: Any, cols: Sequence[out.Column] | None = None) -> None:
        """Write command results in the format and with the query the global options chose."""
        out.emit(data, fmt=self.output, query=self.query, cols=cols)


def _refuse_cortex_profile(name: str) -> None:
    from cortexkit.cortex.profiles import profile_backend

    if profile_backend(name) == "cortex":
        raise UsageProblem(
            f"profile {name!r} is a Cortex Cloud profile and this command speaks Prisma Cloud only; "
            "use a Prisma profile, or a command that works on both (auth status, accounts list, "
            "audit-logs list, api)."
        )


def state(ctx: typer.Context) -> CliState:
    """The CliState of the root context (created when a command is run outside the root, e.g. in tests)."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


def configure_logging(verbose: int, debug: bool) -> None:
    """`-v` shows the library's INFO lines, `--debug` every request and response (the client redacts)."""
    if not verbose and not debug:
        return
    level = logging.DEBUG if debug or verbose > 1 else logging.INFO
    logger = logging.getLogger("cortexkit")
    # One handler however many times a process runs the CLI (tests, the runner, embedding programs).
    for old in [h for h in logger.handlers if getattr(h, "name", None) == _HANDLER_NAME]:
        logger.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)


_HANDLER_NAME = "cortexkit-cli"
