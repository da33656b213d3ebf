"""Helpers for the emulator route tests: a logged-in httpx client and x-redlock-status parsing."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from cortexkit.emulator.server import RunningEmulator, run_emulator

ROUTES_CONFIG: dict[str, Any] = {"seed": 42, "rate_limits": "off", "fault_rate": 0.0, "token_ttl": 10**7}


def logged_in(running: RunningEmulator) -> httpx.Client:
    """A client for `running` carrying a fresh `x-redlock-auth` token (the caller closes it)."""
    verify: ssl.SSLContext | bool = True
    if running.ca_file is not None:
        verify = ssl.create_default_context(cafile=str(running.ca_file))
    client = httpx.Client(base_url=running.url, timeout=30.0, verify=verify)
    response = client.post("/login", json={"username": running.access_key_id, "password": running.secret_key})
    response.raise_for_status()
    client.headers["x-redlock-auth"] = response.json()["token"]
    return client


@contextmanager
def private_emulator(**overrides: Any) -> Iterator[tuple[RunningEmulator, httpx.Client]]:
    """An emulator of its own (long token TTL so clock jumps keep the session) and a logged-in client."""
    with run_emulator(**{**ROUTES_CONFIG, **overrides}) as running:
        client = logged_in(running)
        try:
            yield running, client
        finally:
            client.close()


def redlock_keys(response: httpx.Response) -> list[str]:
    return [s["i18nKey"] for s in json.loads(response.headers["x-redlock-status"])]


def redlock_subject(response: httpx.Response) -> str:
    return str(json.loads(response.headers["x-redlock-status"])[0]["subject"])
