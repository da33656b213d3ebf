"""regions.py: the 16 documented hosts, console -> API mapping, loopback pass-through, clear refusals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cortexkit import regions
from cortexkit.errors import ConfigurationError

DOCUMENTED_API_HOSTS = {
    "api.prismacloud.io",
    "api2.prismacloud.io",
    "api3.prismacloud.io",
    "api4.prismacloud.io",
    "api.anz.prismacloud.io",
    "api.eu.prismacloud.io",
    "api2.eu.prismacloud.io",
    "api.gov.prismacloud.io",
    "api.prismacloud.cn",
    "api.ca.prismacloud.io",
    "api.sg.prismacloud.io",
    "api.uk.prismacloud.io",
    "api.ind.prismacloud.io",
    "api.jp.prismacloud.io",
    "api.fr.prismacloud.io",
    "api.id.prismacloud.io",
}


def test_all_sixteen_documented_hosts() -> None:
    assert {r.api for r in regions.REGIONS} == DOCUMENTED_API_HOSTS
    assert len(regions.REGIONS) == 16
    for region in regions.REGIONS:
        assert region.console == "app" + region.api[3:]  # the documented rule: app* -> api*


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("app", "https://api.prismacloud.io"),
        ("eu", "https://api.eu.prismacloud.io"),
        ("EU", "https://api.eu.prismacloud.io"),
        ("app2.eu", "https://api2.eu.prismacloud.io"),
        ("eu2", "https://api2.eu.prismacloud.io"),
        ("app.eu", "https://api.eu.prismacloud.io"),
        ("api.anz", "https://api.anz.prismacloud.io"),
        ("api2.eu", "https://api2.eu.prismacloud.io"),
        ("anz", "https://api.anz.prismacloud.io"),
        ("gov", "https://api.gov.prismacloud.io"),
        ("cn", "https://api.prismacloud.cn"),
        ("id", "https://api.id.prismacloud.io"),
        ("api2.prismacloud.io", "https://api2.prismacloud.io"),
        ("https://app2.prismacloud.io/#/alerts/overview", "https://api2.prismacloud.io"),
        ("app.eu.prismacloud.io", "https://api.eu.prismacloud.io"),
        ("https://app.prismacloud.cn", "https://api.prismacloud.cn"),
        ("https://api.ind.prismacloud.io/", "https://api.ind.prismacloud.io"),
        ("  https://API.JP.prismacloud.io  ", "https://api.jp.prismacloud.io"),
        ("http://127.0.0.1:8188", "http://127.0.0.1:8188"),
        ("http://127.0.0.1:8188/", "http://127.0.0.1:8188"),
        ("https://localhost:9443", "https://localhost:9443"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("https://prisma-proxy.corp.example/api", "https://prisma-proxy.corp.example/api"),
    ],
)
def test_resolve(value: str, expected: str) -> None:
    assert regions.resolve_api_url(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "mars",
        "api5.prismacloud.io",  # a Prisma host that is not documented
        "http://api.example.com",  # clear text off loopback
        "ftp://api.prismacloud.io",
        "https://127.0.0.1:notaport",
    ],
)
def test_bad_values_list_the_valid_names(value: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        regions.resolve_api_url(value)
    message = str(info.value)
    assert "app2.eu" in message and "anz" in message and "https://api.prismacloud.io" in message


def test_region_lookup_and_table() -> None:
    assert regions.region_name("https://api2.eu.prismacloud.io") == "app2.eu"
    assert regions.region_name("http://127.0.0.1:8188") is None
    region = regions.region_for("app.sg.prismacloud.io")
    assert region is not None and region.location == "Singapore"
    table = regions.regions_table()
    assert len(table) == 16
    assert table[0] == {
        "name": "app",
        "api_url": "https://api.prismacloud.io",
        "console_url": "https://app.prismacloud.io",
        "location": "United States (app)",
    }
    assert regions.region_names()[:2] == ["app", "app2"]


@given(st.text(max_size=60))
def test_resolve_either_answers_https_or_loopback_or_refuses(value: str) -> None:
    try:
        url = regions.resolve_api_url(value)
    except ConfigurationError:
        return
    assert url.startswith(("https://", "http://127.", "http://localhost", "http://[::1]"))


@given(st.sampled_from(regions.REGIONS))
def test_console_and_api_urls_resolve_to_the_same_api(region: regions.Region) -> None:
    assert regions.resolve_api_url(region.console_url) == region.api_url
    assert regions.resolve_api_url(region.name) == region.api_url
    assert regions.resolve_api_url(region.api) == region.api_url
