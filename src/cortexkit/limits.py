"""Documented per-endpoint rate limits of the CSPM API (pan.dev ratelimits.md and each operation's text).

Plain constants shared by the client's rate limiter and the emulator; nothing else is shared between them,
so a logic bug in one cannot hide the same bug in the other.
"""

from __future__ import annotations

from typing import Final, NamedTuple


class Limit(NamedTuple):
    """A documented limit: `rate` requests per second sustained, `burst` at once."""

    method: str
    path: str  # a path template, `{name}` for one segment
    rate: float
    burst: int


DOCUMENTED_LIMITS: Final[tuple[Limit, ...]] = (
    Limit("GET", "/alert", 2, 10),
    Limit("POST", "/alert", 2, 10),
    Limit("GET", "/v2/alert", 2, 10),
    Limit("POST", "/v2/alert", 2, 10),
    Limit("GET", "/alert/count/{status}", 2, 10),
    Limit("POST", "/alert/jobs", 2, 10),
    Limit("GET", "/alert/policy", 1, 5),
    Limit("POST", "/alert/policy", 1, 5),
    Limit("POST", "/alert/policy/jobs", 1, 5),
    Limit("GET", "/alert/{id}", 5, 10),
    Limit("GET", "/cloud/group", 32, 32),
    Limit("GET", "/cloud/group/name", 32, 32),
    Limit("GET", "/cloud/group/name/{cloud_type}", 4, 4),
    Limit("GET", "/cloud/group/{id}", 80, 80),
    Limit("POST", "/audit/api/v1/log", 10, 10),
    Limit("POST", "/audit/api/v1/filter/suggest", 10, 10),
    Limit("GET", "/v1/resource_list", 80, 80),
    Limit("GET", "/v1/resource_list/types", 4, 4),
    Limit("GET", "/v1/resource_list/{id}", 4, 4),
    Limit("GET", "/entitlement/api/v1/collection/{id}", 8, 8),
    Limit("GET", "/entitlement/api/v1/collection", 4, 4),
)

# Routes with no documented figure (login, extend, /search, /cloud, /cas, /policy, ...) get this default.
# It is an assumption, configurable in the emulator (--default-rate) and in the client.
DEFAULT_RATE: Final[float] = 20.0
DEFAULT_BURST: Final[int] = 40


def _segments(path: str) -> list[str]:
    return [s for s in path.split("?", 1)[0].split("/") if s]


def match_limit(method: str, path: str, table: tuple[Limit, ...] = DOCUMENTED_LIMITS) -> Limit | None:
    """The documented limit for a concrete request, literal segments winning over `{param}` ones."""
    want = _segments(path)
    best: Limit | None = None
    best_literals = -1
    for limit in table:
        if limit.method != method.upper():
            continue
        tmpl = _segments(limit.path)
        if len(tmpl) != len(want):
            continue
        literals = 0
        for t, w in zip(tmpl, want, strict=True):
            if t.startswith("{"):
                continue
            if t != w:
                break
            literals += 1
        else:
            if literals > best_literals:
                best, best_literals = limit, literals
    return best
