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
# (name, version, license) of the OS packages each distro's images carry, and the language packages by
# repository: what `packages` lists (pkgsType `package`, `python`, `nodejs`), as image scans show them.
_OS_PACKAGES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "alpine": (
        ("busybox", "1.36.1-r15", "GPL-2.0-only"),
        ("musl", "1.2.4-r2", "MIT"),
        ("openssl", "3.1.4-r5", "Apache-2.0"),
        ("zlib", "1.3.1-r0", "Zlib"),
        ("apk-tools", "2.14.0-r5", "GPL-2.0-only"),
        ("ca-certificates", "20240226-r0", "MPL-2.0"),
    ),
    "debian": (
        ("bash", "5.2.15-2+b7", "GPL-3+"),
        ("libc6", "2.36-9+deb12u7", "LGPL-2.1"),
        ("openssl", "3.0.14-1~deb12u1", "Apache-2.0"),
        ("zlib1g", "1:1.2.13.dfsg-1", "Zlib"),
        ("coreutils", "9.1-1", "GPL-3+"),
        ("tar", "1.34+dfsg-1.2+deb12u1", "GPL-3"),
    ),
    "ubuntu": (
        ("bash", "5.1-6ubuntu1.1", "GPL-3+"),
        ("libc6", "2.35-0ubuntu3.8", "LGPL-2.1"),
        ("openssl", "3.0.2-0ubuntu1.18", "Apache-2.0"),
        ("libssl3", "3.0.2-0ubuntu1.18", "Apache-2.0"),
        ("gzip", "1.10-4ubuntu4.1", "GPL-3+"),
        ("perl-base", "5.34.0-3ubuntu1.3", "GPL-1+"),
    ),
    "rhel": (
        ("bash", "5.1.8-9.el9", "GPLv3+"),
        ("glibc", "2.34-100.el9", "LGPLv2+"),
        ("openssl-libs", "3.0.7-27.el9", "ASL 2.0"),
        ("zlib", "1.2.11-40.el9", "zlib"),
        ("rpm", "4.16.1.3-29.el9", "GPLv2+"),
        ("curl", "7.76.1-29.el9", "MIT"),
    ),
}
_LANGUAGE_PACKAGES: dict[str, tuple[str, tuple[tuple[str, str, str], ...]]] = {
    "payments/api": ("python", (("requests", "2.31.0", "Apache-2.0"), ("urllib3", "1.26.18", "MIT"))),
    "data/etl": ("python", (("pandas", "2.2.2", "BSD-3-Clause"), ("numpy", "1.26.4", "BSD-3-Clause"))),
    "identity/web": ("nodejs", (("express", "4.18.2", "MIT"), ("jsonwebtoken", "9.0.0", "MIT"))),
}


def _packages(seed: int, i: int, distro: str, repo: str, vulnerabilities: int) -> list[dict[str, Any]]:
    """`packages` of image `i`: its distro's OS packages (the image's vulnerabilities spread over them)
    and its repository's language packages; an RNG of its own, so the other fields did not change."""
    rng = random.Random(f"{seed}:packages:{i}")
    chosen = rng.sample(_OS_PACKAGES[distro], k=rng.randrange(3, len(_OS_PACKAGES[distro]) + 1))
    counts = [0] * len(chosen)
    for _ in range(vulnerabilities):
        counts[rng.randrange(len(chosen))] += 1
    layer_time = 1_700_000_000 + rng.randrange(0, 60_000_000)
    groups = [
        {
            "pkgsType": "package",
            "pkgs": [
                {"name": n, "version": v, "license": lic, "cveCount": c, "layerTime": layer_time}
                for (n, v, lic), c in zip(chosen, counts, strict=True)
            ],
        }
    ]
    if repo in _LANGUAGE_PACKAGES:
        kind, pkgs = _LANGUAGE_PACKAGES[repo]
        groups.append(
            {
                "pkgsType": kind,
                "pkgs": [
                    {"name": n, "version": v, "license": lic, "cveCount": 0, "layerTime": layer_time}
                    for n, v, lic in pkgs
                ],
            }
        )
    return groups


@functools.lru_cache(maxsize=8)
def images(seed: int) -> tuple[dict[str, Any], ...]:
    """The seed's image scan results (small, so kept whole and cached per seed)."""
    rng = random.Random(f"{seed}:images")
    out = []
    for i in range(IMAGE_COUNT):
        digest = hashlib.sha256(f"{seed}:{i}".encode()).hexdigest()
        critical, high, medium, low = (rng.randrange(0, n) for n in (3, 8, 20, 30))
        repo = _REPOS[i % len(_REPOS)]
        distro = rng.choice(_DISTROS)
        total = critical + high + medium + low
        out.append(
            {
                "_id": f"sha256:{digest}",
                "id": f"sha256:{digest}",
                "repoTag": {"registry": "registry.example.com", "repo": repo, "tag": f"1.{i % 20}.{i % 7}"},
                "osDistro": distro,
                "scanTime": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T0{i % 10}:00:00Z",
                "vulnerabilitiesCount": total,
                "complianceIssuesCount": rng.randrange(0, 12),
                "vulnerabilityDistribution": {
                    "critical": critical,
                    "high": high,
                    "medium": medium,
                    "low": low,
                    "total": total,
                },
                "packages": _packages(seed, i, distro, repo, total),
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
