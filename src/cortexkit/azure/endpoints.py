"""Base URLs of the Azure clouds, or of the emulator that stands in for all three services."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class AzureEndpoints:
    """Base URLs of the Azure side; the emulator serves all three under one host for tests.

    `verify` is True, False or a CA bundle path (turned into an SSL context by `_http`)."""

    login: str = "https://login.microsoftonline.com"
    graph: str = "https://graph.microsoft.com"
    arm: str = "https://management.azure.com"
    verify: bool | str = True

    @classmethod
    def for_environment(cls, environment: str) -> AzureEndpoints:
        if environment == "azure_gov":
            return cls(
                "https://login.microsoftonline.us",
                "https://graph.microsoft.us",
                "https://management.usgovcloudapi.net",
            )
        if environment == "azure_china":
            return cls(
                "https://login.chinacloudapi.cn",
                "https://microsoftgraph.chinacloudapi.cn",
                "https://management.chinacloudapi.cn",
            )
        return cls()

    @classmethod
    def for_emulator(cls, url: str, verify: bool | str = True) -> AzureEndpoints:
        base = url.rstrip("/")
        return cls(f"{base}/_azure/login", f"{base}/_azure/graph", f"{base}/_azure/arm", verify)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AzureEndpoints | None:
        """`CORTEXKIT_AZURE_{LOGIN,GRAPH,ARM}_URL` and `CORTEXKIT_AZURE_CA_BUNDLE` (the emulator's, in
        tests), or None when no login URL is set (the job's own cloud is used)."""
        env = os.environ if environ is None else environ
        login = env.get("CORTEXKIT_AZURE_LOGIN_URL")
        if not login:
            return None
        return cls(
            login,
            env.get("CORTEXKIT_AZURE_GRAPH_URL", ""),
            env.get("CORTEXKIT_AZURE_ARM_URL", ""),
            env.get("CORTEXKIT_AZURE_CA_BUNDLE") or True,
        )

    def base(self, api: str) -> str:
        return {"login": self.login, "graph": self.graph, "arm": self.arm}[api].rstrip("/")
