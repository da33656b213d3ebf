"""Helpers for the Cortex integration tests: a client for a running emulator and a recording transport."""

from __future__ import annotations

from typing import Any

import httpx

from cortexkit.cortex.client import AsyncCortexClient, CortexClient
from cortexkit.emulator.server import RunningEmulator


def cortex_client(running: RunningEmulator, **kwargs: Any) -> CortexClient:
    env = running.cortex_env()
    kwargs.setdefault("api_key_type", env["CORTEXCLOUD_API_KEY_TYPE"])
    kwargs.setdefault("rate_limit", False)
    return CortexClient(
        api_url=env["CORTEXCLOUD_API_URL"],
        api_key_id=env["CORTEXCLOUD_API_KEY_ID"],
        api_key=env["CORTEXCLOUD_API_KEY"],
        **kwargs,
    )


def async_cortex_client(running: RunningEmulator, **kwargs: Any) -> AsyncCortexClient:
    env = running.cortex_env()
    kwargs.setdefault("rate_limit", False)
    return AsyncCortexClient(
        api_url=env["CORTEXCLOUD_API_URL"],
        api_key_id=env["CORTEXCLOUD_API_KEY_ID"],
        api_key=env["CORTEXCLOUD_API_KEY"],
        api_key_type=env["CORTEXCLOUD_API_KEY_TYPE"],
        **kwargs,
    )


class RecordingTransport(httpx.HTTPTransport):
    """The real httpx transport, keeping the URL and headers of every request it sends (what went out)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[httpx.Headers] = []
        self.urls: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request.headers.copy())
        self.urls.append(str(request.url))
        return super().handle_request(request)
