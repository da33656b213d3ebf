"""A minimal Compute (CWP) API under `/compute`: authenticate, version, paged image and host lists.

`POST /compute/api/v1/authenticate` takes `{username, password}` (the access key pair) or `{token}` (a
CSPM JWT, as the Compute spec's `api.AuthenticationRequest` allows) and answers `{token}` for
`Authorization: Bearer`. Lists page with `offset` and `limit` (at most 50, 400 above) and report the
full size in `Total-Count`, which is how prismacloud-api drives its loop.
"""

from __future__ import annotations

import functools
import hashlib
import random
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from cortexkit.emulator import errors
from cortexkit.emulator.core import Emulator, compute_authenticated, enforce_rate_limit, get_emulator
from cortexkit.emulator.routeutil import json_object
from cortexkit.emulator.tokens import Principal, TokenError

COMPUTE_PREFIX = "/compute"
MAX_LIMIT = 50
IMAGE_COUNT = 137
HOST_COUNT = 64
COMPUTE_VERSION = "34.01.126"

router = APIRouter(prefix=COMPUTE_PREFIX, tags=["Compute"])
Emu = Annotated[Emulator, Depends(get_emulator)]
ComputeAuth = Annotated[Principal, Depends(compute_authenticated)]

_REPOS = ("library/nginx", "library/redis", "payments/api", "identity/web", "data/etl", "edge/proxy")
_DISTROS = ("alpine", "debian", "ubuntu", "rhel")


@functools.lru_cache(maxsize=8)
def images(seed: int) -> tuple[dict[str, Any], ...]:
    """The seed's image scan results (small, so kept whole and cached per seed)."""
    rng = random.Random(f"{seed}:images")
    out = []
    for i in range(IMAGE_COUNT):
        digest = hashlib.sha256(f"{seed}:{i}".encode()).hexdigest()
        critical, high, medium, low = (rng.randrange(0, n) for n in (3, 8, 20, 30))
        repo = _REPOS[i % len(_REPOS)]
        out.append(
            {
                "_id": f"sha256:{digest}",
                "id": f"sha256:{digest}",
                "repoTag": {"registry": "registry.example.com", "repo": repo, "tag": f"1.{i % 20}.{i % 7}"},
                "osDistro": rng.choice(_DISTROS),
                "scanTime": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T0{i % 10}:00:00Z",
                "vulnerabilitiesCount": critical + high + medium + low,
                "complianceIssuesCount": rng.randrange(0, 12),
                "vulnerabilityDistribution": {
                    "critical": critical,
                    "high": high,
                    "medium": medium,
                    "low": low,
                    "total": critical + high + medium + low,
                },
            }
        )
    return tuple(out)


@functools.lru_cache(maxsize=8)
def hosts(seed: int) -> tuple[dict[str, Any], ...]:
    """The seed's host scan results."""
    rng = random.Random(f"{seed}:hosts")
    out = []
    for i in range(HOST_COUNT):
        cloud = ("azure", "aws", "gcp")[i % 3]
        out.append(
            {
                "_id": f"{cloud}-node-{i:03d}.internal",
                "hostname": f"{cloud}-node-{i:03d}.internal",
                "osDistro": rng.choice(_DISTROS),
                "cloudMetadata": {
                    "provider": cloud,
                    "region": ("westeurope", "us-east-1", "europe-west1")[i % 3],
                },
                "vulnerabilitiesCount": rng.randrange(0, 60),
                "complianceIssuesCount": rng.randrange(0, 15),
                "scanTime": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T1{i % 10}:00:00Z",
            }
        )
    return tuple(out)


@router.post("/api/v1/authenticate")
async def authenticate(request: Request, emu: Emu) -> dict[str, str]:
    body = await json_object(request)
    cspm_token = body.get("token")
    if isinstance(cspm_token, str) and cspm_token:
        try:
            subject = emu.principal(cspm_token).access_key_id
        except TokenError:
            raise errors.ComputeError(401, "invalid credentials") from None
    else:
        username, password = body.get("username"), body.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            raise errors.ComputeError(400, "username and password, or token, are required")
        enforce_rate_limit(request, emu, f"login:{username}", "/login")
        if not emu.check_credentials(username, password):
            raise errors.ComputeError(401, "invalid credentials")
        subject = username
    token, _ = emu.tokens.issue(subject)
    return {"token": token}


@router.get("/api/v1/version")
def version(_: ComputeAuth) -> str:
    return COMPUTE_VERSION


def _int_param(value: str | None, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise errors.ComputeError(400, f"{name} must be an integer") from None
    if number < 0:
        raise errors.ComputeError(400, f"{name} must not be negative")
    return number


def _page(
    everything: tuple[dict[str, Any], ...], response: Response, limit: str | None, offset: str | None
) -> list[dict[str, Any]]:
    size = _int_param(limit, "limit", MAX_LIMIT)
    if size > MAX_LIMIT:
        raise errors.ComputeError(400, f"limit must be at most {MAX_LIMIT}")
    start = _int_param(offset, "offset", 0)
    response.headers["Total-Count"] = str(len(everything))
    return list(everything[start : start + (size or MAX_LIMIT)])


@router.get("/api/v1/images")
def list_images(
    response: Response, _: ComputeAuth, emu: Emu, limit: str | None = None, offset: str | None = None
) -> list[dict[str, Any]]:
    return _page(images(emu.config.seed), response, limit, offset)


@router.get("/api/v1/hosts")
def list_hosts(
    response: Response, _: ComputeAuth, emu: Emu, limit: str | None = None, offset: str | None = None
) -> list[dict[str, Any]]:
    return _page(hosts(emu.config.seed), response, limit, offset)
