"""The azure-api provisioner's REST caller over an httpx MockTransport: tokens, retries, errors."""

from __future__ import annotations

import httpx
import pytest

from cortexkit.onboarding.context import AzureEndpoints, StepFailedError
from cortexkit.onboarding.provisioners.azure_api import AzureCallError, AzureRest
from cortexkit.onboarding.secrets import Secret
from tests.unit.onboarding_fakes import FakeClock

ENDPOINTS = AzureEndpoints("https://login.test", "https://graph.test", "https://arm.test")


def rest(handler: httpx.MockTransport, clock: FakeClock) -> AzureRest:
    http = httpx.Client(transport=handler)
    return AzureRest(ENDPOINTS, "tenant", "client", Secret("op-secret"), http, clock.sleep, clock.monotonic)


def test_token_is_fetched_once_per_audience_and_sent_as_bearer() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "login.test":
            return httpx.Response(200, json={"access_token": f"tok-{len(seen)}", "expires_in": 3600})
        return httpx.Response(200, json={"value": [], "auth": request.headers["authorization"]})

    clock = FakeClock()
    caller = rest(httpx.MockTransport(handle), clock)
    first = caller.call("GET", ENDPOINTS.graph, "v1.0/applications")
    second = caller.call("GET", ENDPOINTS.graph, "v1.0/applications")
    assert first["auth"] == second["auth"] == "Bearer tok-1"
    form = seen[0].content.decode()
    assert "grant_type=client_credentials" in form and "scope=https%3A%2F%2Fgraph.test%2F.default" in form
    caller.call("GET", ENDPOINTS.arm, "subscriptions")
    assert sum(1 for r in seen if r.url.host == "login.test") == 2
    assert "op-secret" not in repr(caller)


def test_idempotent_calls_retry_429_and_5xx_with_backoff() -> None:
    answers = iter([429, 503, 200])

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.host == "login.test":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        status = next(answers)
        return httpx.Response(status, json={"ok": status == 200})

    clock = FakeClock()
    assert rest(httpx.MockTransport(handle), clock).call("PUT", ENDPOINTS.arm, "x", json={}) == {"ok": True}
    assert clock.slept == [1.0, 2.0]


def test_error_body_becomes_a_coded_error_and_creating_posts_are_not_retried() -> None:
    calls = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.host == "login.test":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        calls.append(request)
        return httpx.Response(503, json={"error": {"code": "ServiceUnavailable", "message": "busy"}})

    caller = rest(httpx.MockTransport(handle), FakeClock())
    with pytest.raises(AzureCallError) as info:
        caller.call("POST", ENDPOINTS.graph, "v1.0/applications", json={}, retry=False)
    assert (info.value.status, info.value.code, len(calls)) == (503, "ServiceUnavailable", 1)


def test_refused_sign_in_names_the_client_not_the_secret() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_client", "error_description": "AADSTS7000215"})

    with pytest.raises(StepFailedError, match="invalid_client") as info:
        rest(httpx.MockTransport(handle), FakeClock()).token(ENDPOINTS.graph)
    assert "op-secret" not in str(info.value)
