"""What the web app needs from the rest of cortexkit, gathered in one object.

The app never imports the engine or the client itself; `cortexkit.web.backend.engine_backend` wires the
real parts and tests can hand in their own. That keeps the web layer above the engine, as DESIGN.md
wants, and lets the pages be tested against a store the test writes events into.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from cortexkit.web.security import new_session_token
from cortexkit.web.views import JobView, job_view


class JobStoreLike(Protocol):
    def create_job(self, spec: Any, secret: str | None = None, idempotency_key: str | None = None) -> str: ...

    def get_job(self, job_id: str) -> Any: ...

    def list_jobs(self, state: str | None = None) -> Any: ...

    def events_after(self, job_id: str | None, after_id: int, limit: int = 500) -> Any: ...

    def request_cancel(self, job_id: str) -> Any: ...


@dataclass(frozen=True)
class ProfileInfo:
    """A profile as shown on the connection page: never carries the secret key."""

    name: str
    api_url: str
    access_key_id: str
    is_default: bool = False


@dataclass(frozen=True)
class ConnectionReport:
    profile: str
    ok: bool
    api_url: str = ""
    region: str = ""
    tenant: str = ""
    token_refresh: float | None = None
    message: str = ""


@dataclass
class Backend:
    """The engine, client and validation functions the pages call."""

    store: JobStoreLike
    start_job: Callable[[str], None]
    client_factory: Callable[[str | None], Any]
    field_errors: Callable[[dict[str, Any]], dict[str, str]]
    build_spec: Callable[[dict[str, Any]], Any]
    parse_csv: Callable[[str], tuple[list[Any], list[Any]]]
    profiles: Callable[[], list[ProfileInfo]]
    check_profile: Callable[[str], ConnectionReport]
    step_names: Sequence[str] = ()
    step_titles: Mapping[str, str] = field(default_factory=dict)

    def job(self, raw: Any) -> JobView:
        """The page model of a store record, with the engine's step order and titles."""
        return job_view(raw, self.step_names, self.step_titles)


@dataclass
class WebSettings:
    backend: Backend
    session_token: str = field(default_factory=new_session_token, repr=False)
    host: str = "127.0.0.1"
    emulator_url: str | None = None
    default_profile: str | None = None
    poll_interval: float = 0.25
    secure_cookie: bool = False
