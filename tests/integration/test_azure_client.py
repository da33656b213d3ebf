"""`cortexkit.azure.client.AzureClient` against the emulator's Entra, Graph and ARM over loopback HTTP:
tokens per audience, the shared retry policy (jitter, Retry-After, deadline), no blind resend of a
creating POST, errors that name the call but never the secret, and `verify` as a CA bundle over TLS."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cortexkit.azure import graph
from cortexkit.azure.client import DEFAULT_RETRY, AzureCallError, AzureClient, AzureConnectionError
from cortexkit.azure.endpoints import AzureEndpoints
from cortexkit.emulator.routes.azure_identity import identity_state
from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.secrets import Secret
from cortexkit.retry import RetryConfig, RetryPolicy

Make = Callable[..., RunningEmulator]
TOKEN_ROUTE = "POST /_azure/login/{tenant}/oauth2/v2.0/token"


class Clock:
    """Virtual time: `sleep` records the wait and advances `monotonic`, so retries cost no real time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def fault(running: RunningEmulator, route: str, statuses: list[int], **extra: Any) -> None:
    plan = {"route": route, "statuses": statuses, "count": len(statuses), **extra}
    httpx.post(f"{running.url}/_emulator/faults", json=plan, timeout=10).raise_for_status()


def route_counts(running: RunningEmulator, route: str) -> dict[str, int]:
    stats = httpx.get(f"{running.url}/_emulator/stats", timeout=10).json()
    return dict(stats["requests"].get(route, {}))


def azure_client(
    running: RunningEmulator,
    clock: Clock,
    *,
    secret: str | None = None,
    verify: bool | str = True,
    retry: RetryConfig | RetryPolicy | None = None,
) -> AzureClient:
    return AzureClient(
        AzureEndpoints.for_emulator(running.url, verify),
        str(uuid.uuid4()),
        running.access_key_id,
        Secret(secret if secret is not None else running.secret_key),
        retry=retry,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )


def test_token_is_fetched_once_per_audience(make_emulator: Make) -> None:
    running = make_emulator()
    clock = Clock()
    with azure_client(running, clock) as azure:
        azure.send(graph.find_applications("nothing-here"))
        azure.send(graph.find_applications("nothing-here"))
        assert route_counts(running, TOKEN_ROUTE) == {"200": 1}
        arm_token = azure.token(azure.endpoints.arm)
        assert arm_token != azure.token(azure.endpoints.graph)
        assert route_counts(running, TOKEN_ROUTE) == {"200": 2}
        assert running.secret_key not in repr(azure)


def test_retry_after_is_honoured_and_other_waits_are_jittered(make_emulator: Make) -> None:
    running = make_emulator()
    fault(running, "GET /_azure/graph/v1.0/applications", [503], retry_after=3)
    fault(running, "GET /_azure/graph/v1.0/applications", [500, 502])
    clock = Clock()
    half = RetryPolicy(DEFAULT_RETRY, rng=lambda: 0.5)  # the jitter draw, fixed to check the ceilings
    with azure_client(running, clock, retry=half) as azure:
        assert azure.send(graph.find_applications("x")) == {"value": []}
    assert clock.slept == [3.0, 1.0, 2.0]  # Retry-After as asked, then half of 2 s and of 4 s ceilings


def test_deadline_bounds_the_retries(make_emulator: Make) -> None:
    running = make_emulator()
    fault(running, "GET /_azure/graph/v1.0/applications", [503] * 10, retry_after=5)
    clock = Clock()
    retry = RetryConfig(max_attempts=10, deadline=12.0, base=1.0, cap=4.0)
    with azure_client(running, clock, retry=retry) as azure, pytest.raises(AzureCallError) as info:
        azure.send(graph.find_applications("x"))
    assert info.value.status == 503 and sum(clock.slept) <= 12.0
    assert (info.value.method, info.value.path) == ("GET", "v1.0/applications")


def test_a_creating_post_is_not_resent_after_an_ambiguous_answer(make_emulator: Make) -> None:
    running = make_emulator()
    fault(running, "POST /_azure/graph/v1.0/applications", [504], when="after")
    clock = Clock()
    with azure_client(running, clock) as azure, pytest.raises(AzureCallError) as info:
        azure.send(graph.create_application("made-once"))
    assert info.value.outcome_unknown and info.value.status == 504
    assert route_counts(running, "POST /_azure/graph/v1.0/applications") == {"504": 1}
    names = [a["displayName"] for a in identity_state(running.emulator).applications.values()]
    assert names == ["made-once"]  # it was made, and only once: the caller looks it up next


def test_refused_sign_in_names_the_code_and_never_the_secret(make_emulator: Make) -> None:
    running = make_emulator()
    azure = azure_client(running, Clock(), secret="wrong-operator-secret")
    with azure, pytest.raises(AzureCallError) as info:
        azure.send(graph.find_applications("x"))
    assert (info.value.status, info.value.code) == (401, "invalid_client")
    assert info.value.path.endswith("oauth2/v2.0/token")
    assert "wrong-operator-secret" not in f"{info.value} {info.value!r}"


def test_verify_takes_a_ca_bundle_path_over_tls(make_emulator: Make) -> None:
    running = make_emulator(tls=True)
    assert running.ca_file is not None
    with azure_client(running, Clock(), verify=str(running.ca_file)) as azure:
        assert azure.send(graph.find_applications("x")) == {"value": []}
    clock = Clock()
    with azure_client(running, clock, verify=True) as azure, pytest.raises(AzureConnectionError):
        azure.send(graph.find_applications("x"))
    assert clock.slept == []  # an untrusted certificate is not retried: waiting cannot fix it
