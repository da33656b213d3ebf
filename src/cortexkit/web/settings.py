"""What the web app needs from the rest of cortexkit, gathered in one object.

The app takes the engine's real store and its typed records (`JobRecord`, `Event`);
`cortexkit.web.backend.Engine.backend` wires the store, runner, client factory and validation. The
engine modules are imported there, lazily, so `cortexkit ui --help` does not load SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cortexkit.web.security import new_session_token

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit.onboarding.context import RunnerSettings
    from cortexkit.onboarding.store import JobStore


@dataclass(frozen=True)
class ProfileInfo:
    """A profile as shown on the connection page: never carries the secret key."""

    name: str
    api_url: str
    access_key_id: str
    """Prisma's access key id, or a Cortex profile's API key id."""
    is_default: bool = False
    key_type: str = ""
    """A Cortex profile's API key type (standard or advanced); empty for Prisma."""


@dataclass(frozen=True)
class ConnectionReport:
    profile: str
    ok: bool
    api_url: str = ""
    region: str = ""
    tenant: str = ""
    token_refresh: float | None = None
    message: str = ""
    dialect: str = "prisma"
    key_id: str = ""
    """The key the check used (Cortex: its API key id; never the key itself)."""
    key_type: str = ""
    role: str = ""


@dataclass
class Backend:
    """The engine, client and validation functions the pages call."""

    store: JobStore
    start_job: Callable[[str], None]
    client_factory: Callable[[str | None], Any]
    field_errors: Callable[[dict[str, Any]], dict[str, str]]
    build_spec: Callable[[dict[str, Any]], Any]
    parse_csv: Callable[[str], tuple[list[Any], list[Any]]]
    profiles: Callable[[], list[ProfileInfo]]
    check_profile: Callable[[str], ConnectionReport]
    holds_job: Callable[[str], bool] = lambda _job_id: False
    """Whether this UI's runner has the job queued or running (see `Runner.holds`)."""
    runner_settings: RunnerSettings | None = None
    """The runner's settings (Azure endpoints, timeouts): the wizard's live preflight uses the ones the
    job's own preflight will."""


@dataclass
class WebSettings:
    backend: Backend
    session_token: str = field(default_factory=new_session_token, repr=False)
    host: str = "127.0.0.1"
    emulator_url: str | None = None
    default_profile: str | None = None
    poll_interval: float = 0.25
    secure_cookie: bool = False
    cortex: bool = False
    """The UI runs on a Cortex connection: Onboard opens the Cortex form (`/onboard/cortex`)."""
