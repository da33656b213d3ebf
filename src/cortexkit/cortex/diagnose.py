"""Why a Cortex key does not work, and what to do about it (`cortexkit auth status`).

Cortex answers the same `401 Public API request unauthorized` to a wrong key, a wrong key ID, a key of
the other type and a clock outside the skew window, so the only way to tell them apart is to ask again
differently: with the other key type, and with the server's `Date` header against the local clock. 402
(licence), 403 (role) and 404 (a host that is not the API) need no guessing. The verdict is a pure
function of what was observed (`verdict`), so each case is tested without a server.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from email.utils import parsedate_to_datetime
from typing import Any, Literal

from cortexkit import errors
from cortexkit.cortex.auth import KeyType
from cortexkit.cortex.backend import CortexBackend, Identity
from cortexkit.cortex.credentials import ENV_KEY_TYPE, CortexCredentials

Problem = Literal[
    "wrong_key_type", "clock_skew", "bad_key", "licence", "role", "wrong_url", "unreachable", "server"
]

SKEW_SUSPECT = 60.0
"""Seconds of difference with the server's clock that make a refused advanced key a clock problem. The
real window is not documented (reference §2); the emulator's default is 300 s, and a well-synchronised
host is within a second, so a minute is a safe line between noise and a clock that needs fixing."""


@dataclass(frozen=True)
class Observation:
    """What the probes saw: the status of the key check with the configured type and with the other one."""

    key_type: str
    status: int | None  # None: the key check passed; else its HTTP status (0: no answer at all)
    other_type_status: int | None = None  # the same with the other key type (None: not tried or passed)
    other_type_tried: bool = False
    skew: float | None = None  # local clock minus the server's Date, seconds
    html: bool = False  # the host answered a web page, not the API
    read_status: int | None = None  # a licensed read after a good key check (None: passed or not tried)


@dataclass(frozen=True)
class Diagnosis:
    ok: bool
    problem: Problem | None
    message: str
    fix: str | None
    exit_code: int
    identity: Identity | None = None
    skew_seconds: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["identity"] = self.identity.as_dict() if self.identity else None
        return out


def _other(key_type: str) -> KeyType:
    return "standard" if key_type == "advanced" else "advanced"


def verdict(obs: Observation) -> Diagnosis:
    """The diagnosis for what the probes observed (pure)."""
    skew = obs.skew
    if obs.html or obs.status == 404:
        return Diagnosis(
            False,
            "wrong_url",
            "the URL is not the Cortex API (it answered 404 or a web page)",
            "use the API URL from Settings > Configurations > API Keys > Copy API URL "
            "(https://api-<tenant fqdn>) in CORTEXCLOUD_API_URL or the profile",
            4,
            skew_seconds=skew,
        )
    if obs.status == 0:
        return Diagnosis(
            False, "unreachable", "the API did not answer", "check the URL, the network and any proxy", 1
        )
    if obs.status == 401:
        if obs.other_type_tried and obs.other_type_status is None:
            other = _other(obs.key_type)
            return Diagnosis(
                False,
                "wrong_key_type",
                f"the key is {_article(other)} {other} key but is used as {obs.key_type}",
                f"set {ENV_KEY_TYPE}={other} (or re-add the profile with --api-key-type {other})",
                4,
                skew_seconds=skew,
            )
        if obs.key_type == "advanced" and skew is not None and abs(skew) >= SKEW_SUSPECT:
            ahead = "ahead of" if skew > 0 else "behind"
            return Diagnosis(
                False,
                "clock_skew",
                f"the local clock is {abs(skew):.0f} s {ahead} the server's, so signed requests are refused",
                "synchronise the clock (e.g. `timedatectl set-ntp true` or `chronyc makestep`) and retry",
                4,
                skew_seconds=skew,
            )
        return Diagnosis(
            False,
            "bad_key",
            "the API key or its ID was refused",
            "check CORTEXCLOUD_API_KEY_ID (the ID column) and CORTEXCLOUD_API_KEY, and that the key is not "
            "expired or revoked in Settings > Configurations > API Keys",
            4,
            skew_seconds=skew,
        )
    status = obs.status if obs.status is not None else obs.read_status
    if status == 402:
        return Diagnosis(
            False,
            "licence",
            "the key works but the tenant's licence does not include the Cortex Cloud APIs (402)",
            "ask your administrator or PANW to license Cortex Cloud Posture Management",
            4,
            skew_seconds=skew,
        )
    if status == 403:
        return Diagnosis(
            False,
            "role",
            "the key works but its role may not read cloud onboarding (403)",
            "give the key a role with Cloud Onboarding view (or Instance Administrator) in the console",
            4,
            skew_seconds=skew,
        )
    if status is not None:
        return Diagnosis(
            False, "server", f"the API failed with status {status}", "try again later", 1, skew_seconds=skew
        )
    return Diagnosis(True, None, "the key works", None, 0, skew_seconds=skew)


def skew_from(date_header: str | None, local: float) -> float | None:
    """Local clock minus the server's `Date` (HTTP dates have 1 s resolution), or None without one."""
    if not date_header:
        return None
    try:
        return local - parsedate_to_datetime(date_header).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def _status(exc: BaseException) -> int:
    if isinstance(exc, errors.APIError):
        return exc.status
    return 0


def diagnose(
    credentials: CortexCredentials,
    *,
    make_client: Callable[..., Any] | None = None,
    wall_clock: Callable[[], float] = time.time,
) -> Diagnosis:
    """Probe the key (a few requests) and say whether it works and, if not, why and how to fix it."""
    if make_client is None:
        from cortexkit.cortex.client import CortexClient

        make_client = CortexClient
    key_type = credentials.api_key_type
    obs = Observation(key_type, None)
    identity: Identity | None = None
    client = make_client(credentials=credentials, wall_clock=wall_clock)
    try:
        try:
            client.system.validate_key()
        except errors.UnexpectedResponseError:
            obs = replace(obs, html=True)
        except (errors.APIError, errors.APIConnectionError) as exc:
            obs = replace(obs, status=_status(exc))
        obs = replace(obs, skew=skew_from(client.last_server_date, wall_clock()))
        if obs.status is None and not obs.html:
            backend = CortexBackend(client)
            try:
                identity = backend.whoami()
                next(iter(client.cloud_onboarding.instances(max_items=1)), None)
            except errors.APIError as exc:
                obs = replace(obs, read_status=exc.status)
    finally:
        client.close()
    if obs.status == 401:
        other = replace(credentials, api_key_type=_other(key_type))
        probe = make_client(credentials=other, wall_clock=wall_clock)
        try:
            probe.system.validate_key()
            obs = replace(obs, other_type_tried=True)
        except (errors.APIError, errors.APIConnectionError, errors.UnexpectedResponseError) as exc:
            obs = replace(obs, other_type_tried=True, other_type_status=_status(exc) or 0)
        finally:
            probe.close()
    found = verdict(obs)
    return replace(found, identity=identity, details={"key_type": key_type, "api_url": credentials.api_url})


def _article(word: str) -> str:
    """'an advanced', 'a standard': the message is read by people."""
    return "an" if word[:1].lower() in "aeiou" else "a"
