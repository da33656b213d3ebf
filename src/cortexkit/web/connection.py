"""What the connection page reports for a profile: the region and tenant it reaches, and token timing.

Prisma: logging in is the check: a key that works yields a token whose refresh time the client computed
from the JWT. The tenant name comes from the `customerNames` of a token extension, since the client keeps
the login body to itself. Cortex: the key goes with every request (no session), so the check is the
dialect backend's `whoami` (`validate_key`, then the tenant's name, region and the key's role), as
`cortexkit whoami` does it.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from cortexkit.resources.session import Session
from cortexkit.web.settings import ConnectionReport
from cortexkit.web.views import get


def region_of(api_url: str) -> str:
    """The region name for an API URL when the region table knows it, else the host itself."""
    host = urlparse(api_url).hostname or api_url
    try:
        regions: Any = importlib.import_module("cortexkit.regions")
    except ImportError:  # the region table is optional for this page
        regions = None
    for attr in ("region_for_url", "region_name", "name_for_url"):
        lookup = getattr(regions, attr, None)
        if callable(lookup):
            try:
                found = lookup(api_url)
            except Exception:  # an unknown host is not an error on this page
                found = None
            if found:
                return str(found)
    if host in {"127.0.0.1", "localhost", "::1"}:
        return "local emulator"
    return host


def tenant_names(body: Any) -> str:
    names = []
    for item in get(body, "customerNames", []) or []:
        name = item if isinstance(item, str) else get(item, "customerName")
        if name:
            names.append(str(name))
    return ", ".join(names)


def _wall_time(monotonic_at: float | None) -> float | None:
    """The client times tokens on the monotonic clock; the page shows wall-clock time."""
    if monotonic_at is None:
        return None
    return time.time() + (float(monotonic_at) - time.monotonic())


def cortex_check(profile: str, client: Any) -> ConnectionReport:
    """A Cortex connection's report from `CortexBackend.whoami` (the shared client is not closed)."""
    from cortexkit.cortex.backend import CortexBackend

    identity = CortexBackend(client).whoami()
    return ConnectionReport(
        profile=profile,
        ok=True,
        api_url=identity.api_url,
        region=identity.region or region_of(identity.api_url),
        tenant=identity.tenant or "",
        dialect="cortex",
        key_id=identity.key_id,
        key_type=identity.key_type or "",
        role=identity.role or "",
    )


def check(profile: str, client_factory: Callable[[str | None], Any]) -> ConnectionReport:
    with client_factory(profile or None) as client:
        if hasattr(client, "cloud_onboarding"):  # a CortexClient: a Cortex profile or CORTEXCLOUD_*
            return cortex_check(profile, client)
        api_url = str(getattr(client, "api_url", ""))
        token = client.refresh_session()
        body = Session(client).extend()
    return ConnectionReport(
        profile=profile,
        ok=True,
        api_url=api_url,
        region=region_of(api_url),
        tenant=tenant_names(body),
        token_refresh=_wall_time(getattr(token, "refresh_at", None)),
        message="",
    )
