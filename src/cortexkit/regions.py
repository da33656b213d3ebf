"""Region names, console URLs and API URLs: everything a user may type where an API URL is expected.

The 16 documented API hosts (api-facts.md section 5) follow one rule: the console host `app*` becomes
`api*`. Users paste console URLs, bare hosts or short names (`eu`, `app2`), and a wrong host (the console)
answers HTML that later fails far from the cause, so the mapping is done once, here, and a bad value is
refused up front with the list of valid names. Loopback URLs (the emulator) pass through untouched.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from cortexkit.errors import ConfigurationError


@dataclass(frozen=True)
class Region:
    """One documented stack: its short name, console host, API host and a human location."""

    name: str
    console: str
    api: str
    location: str

    @property
    def api_url(self) -> str:
        return f"https://{self.api}"

    @property
    def console_url(self) -> str:
        return f"https://{self.console}"


def _r(name: str, suffix: str, location: str, *, app: str = "app", tld: str = "prismacloud.io") -> Region:
    dotted = f".{suffix}" if suffix else ""
    api = "api" + app[3:]
    return Region(name, f"{app}{dotted}.{tld}", f"{api}{dotted}.{tld}", location)


REGIONS: Final[tuple[Region, ...]] = (
    _r("app", "", "United States (app)"),
    _r("app2", "", "United States (app2)", app="app2"),
    _r("app3", "", "United States (app3)", app="app3"),
    _r("app4", "", "United States (app4)", app="app4"),
    _r("anz", "anz", "Australia"),
    _r("eu", "eu", "Germany (EU, Frankfurt)"),
    _r("app2.eu", "eu", "EU (second stack)", app="app2"),
    _r("gov", "gov", "US Government"),
    _r("cn", "", "China", tld="prismacloud.cn"),
    _r("ca", "ca", "Canada"),
    _r("sg", "sg", "Singapore"),
    _r("uk", "uk", "United Kingdom"),
    _r("ind", "ind", "India"),
    _r("jp", "jp", "Japan"),
    _r("fr", "fr", "France"),
    _r("id", "id", "Indonesia (Jakarta)"),
)

# Aliases people actually type: the API host's own short form, and common spellings.
_ALIASES: Final[dict[str, str]] = {
    "us": "app",
    "api": "app",
    "api2": "app2",
    "api3": "app3",
    "api4": "app4",
    "eu2": "app2.eu",
    "api2.eu": "app2.eu",
    "au": "anz",
    "in": "ind",
    "china": "cn",
    "de": "eu",
}

_BY_NAME: Final[dict[str, Region]] = {r.name: r for r in REGIONS}


def _short_hosts() -> dict[str, str]:
    """`app.eu` / `api.eu` / `api2.eu`-style forms (a host without its domain) -> region name."""
    found: dict[str, str] = {}
    for region in REGIONS:
        for host in (region.console, region.api):
            short = host.removesuffix(".prismacloud.io").removesuffix(".prismacloud.cn")
            if short not in _BY_NAME and short not in _ALIASES:
                found.setdefault(short, region.name)
    return found


_SHORT: Final[dict[str, str]] = _short_hosts()
_BY_HOST: Final[dict[str, Region]] = {h: r for r in REGIONS for h in (r.api, r.console)}
DOCUMENTED_SUFFIXES: Final = (".prismacloud.io", ".prismacloud.cn")


def region_names() -> list[str]:
    """The short names, in table order."""
    return [r.name for r in REGIONS]


def regions_table() -> list[dict[str, str]]:
    """Rows for `cortexkit regions`: name, API URL, console URL, location."""
    return [
        {"name": r.name, "api_url": r.api_url, "console_url": r.console_url, "location": r.location}
        for r in REGIONS
    ]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _console_to_api(host: str) -> str:
    """`app*.x.prismacloud.io` -> `api*.x.prismacloud.io`; other hosts unchanged."""
    first, dot, rest = host.partition(".")
    if dot and first.startswith("app") and host.endswith(DOCUMENTED_SUFFIXES):
        return "api" + first[3:] + "." + rest
    return host


def _bad(value: str, why: str) -> ConfigurationError:
    names = ", ".join(region_names())
    return ConfigurationError(
        f"{why} {value!r}: use a region name ({names}), an API URL such as https://api.prismacloud.io, "
        "or a console URL"
    )


def resolve_api_url(value: str) -> str:
    """Turn a region name, host, console URL or API URL into the API base URL (no trailing slash).

    Loopback URLs (emulator, local proxies) keep their scheme and port; any other explicit https URL on a
    non-Prisma host is accepted as given, for private deployments and TLS-terminating proxies, but plain
    http is refused off loopback because it would send the secret key in clear text.
    """
    raw = value.strip()
    if not raw:
        raise _bad(value, "empty API URL")
    key = raw.lower().rstrip("/")
    name = _ALIASES.get(key) or _SHORT.get(key) or key
    if name in _BY_NAME:
        return _BY_NAME[name].api_url
    text = raw if "://" in raw else "https://" + raw
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise _bad(value, "malformed API URL") from exc
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host:
        raise _bad(value, "unknown region or malformed API URL")
    if _is_loopback(host):
        netloc = parts.netloc.rsplit("@", 1)[-1]
        return f"{scheme}://{netloc}{parts.path.rstrip('/')}"
    if host.endswith(DOCUMENTED_SUFFIXES):
        api_host = _console_to_api(host)
        if api_host not in _BY_HOST:
            raise _bad(value, "unknown Prisma Cloud host")
        # The documented API has no path prefix: drop console paths such as /#/alerts.
        return f"https://{api_host}" + (f":{port}" if port else "")
    if scheme == "http":
        raise _bad(value, "plain http to a non-loopback host would expose the secret key; refused")
    if "." not in host:
        raise _bad(value, "unknown region")
    return f"https://{host}" + (f":{port}" if port else "") + parts.path.rstrip("/")


def region_for(api_url: str) -> Region | None:
    """The documented region of an API URL, or None for the emulator and other hosts."""
    host = (urlsplit(api_url if "://" in api_url else "https://" + api_url).hostname or "").lower()
    return _BY_HOST.get(host)


def region_name(api_url: str) -> str | None:
    """The short region name of an API URL (`eu`, `app2`), or None when it is not a documented host."""
    region = region_for(api_url)
    return region.name if region else None


__all__ = [
    "REGIONS",
    "Region",
    "region_for",
    "region_name",
    "region_names",
    "regions_table",
    "resolve_api_url",
]
