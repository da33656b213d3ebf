"""The data routes' templates meet the documented rate-limit table (a renamed path parameter or a
convertor must not silently drop a route to the default figure)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cortexkit import limits
from tests.integration.routes_support import private_emulator


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    """One emulator with the documented table; each route is called once, well inside its burst."""
    with private_emulator(rate_limits="documented") as (_, logged_in):
        yield logged_in


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/alert/P-100001", None),
        ("GET", "/alert/count/open", None),
        ("POST", "/v2/alert", {"limit": 1}),
        ("GET", "/v2/alert?timeType=relative&timeAmount=1&timeUnit=day&detailed=false", None),
        ("POST", "/alert", {"limit": 1}),
        ("GET", "/cloud/group", None),
        ("GET", "/cloud/group/name", None),
        ("GET", "/cloud/group/name/azure", None),
        ("POST", "/audit/api/v1/log", {"timeRange": {"type": "to_now", "value": "epoch"}, "limit": 1}),
        ("GET", "/cloud", None),
        ("POST", "/search/config", {"query": "config where cloud.type = 'aws'", "limit": 1}),
    ],
)
def test_documented_figures_reach_the_data_routes(
    client: httpx.Client, method: str, path: str, body: object
) -> None:
    response = client.request(method, path, json=body)
    assert response.status_code == 200
    expected = limits.match_limit(method, path)
    rate = float(response.headers["X-RateLimit-Replenish-Rate"])
    burst = int(response.headers["X-RateLimit-Burst-Capacity"])
    if expected is None:
        assert (rate, burst) == (limits.DEFAULT_RATE, limits.DEFAULT_BURST)
    else:
        assert (rate, burst) == (expected.rate, expected.burst)


def test_group_by_id_gets_its_own_figure(client: httpx.Client) -> None:
    group = client.get("/cloud/group").json()[0]["id"]
    response = client.get(f"/cloud/group/{group}")
    assert float(response.headers["X-RateLimit-Replenish-Rate"]) == 80
