"""Parent-side handle on an emulator: start one per run, read its counters, condense them for a table.

A fresh emulator per tool run keeps the counters, the rate-limit buckets (full at the start, as the
floor formula assumes) and the state independent between tools. The emulator runs in a thread of the
parent, which does nothing else while a child runs.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Emu:
    """A running emulator as the bench sees it."""

    url: str
    access_key_id: str
    secret_key: str = field(repr=False)
    ca_file: str | None

    def child_env(self, params: dict[str, Any]) -> dict[str, str]:
        """What a worker needs in its environment (keys stay out of argv and files)."""
        import json

        return {
            "BENCH_URL": self.url,
            "BENCH_ACCESS_KEY_ID": self.access_key_id,
            "BENCH_SECRET_KEY": self.secret_key,
            "BENCH_CA_FILE": self.ca_file or "",
            "BENCH_PARAMS": json.dumps(params),
        }

    def _client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=self.ca_file or False, timeout=30.0)

    def stats(self) -> dict[str, Any]:
        with self._client() as c:
            resp = c.get("/_emulator/stats")
            resp.raise_for_status()
            data: dict[str, Any] = resp.json()
            return data

    def api(self, method: str, path: str, json: Any = None) -> Any:
        """One authenticated API call from the parent, for inspecting end state after a run."""
        with self._client() as c:
            login = c.post("/login", json={"username": self.access_key_id, "password": self.secret_key})
            login.raise_for_status()
            resp = c.request(method, path, json=json, headers={"x-redlock-auth": login.json()["token"]})
            resp.raise_for_status()
            return resp.json()

    def set_fault_rate(self, fault_rate: float) -> None:
        with self._client() as c:
            c.put("/_emulator/faults/rate", json={"fault_rate": fault_rate}).raise_for_status()

    def reset_stats(self) -> None:
        with self._client() as c:
            c.post("/_emulator/reset").raise_for_status()


@contextmanager
def emulator(**config: Any) -> Iterator[Emu]:
    """Starts an emulator with these EmulatorConfig overrides and fresh random keys."""
    from cortexkit.emulator.server import run_emulator

    config.setdefault("access_key_id", str(uuid.uuid4()))
    config.setdefault("secret_key", secrets.token_urlsafe(24))
    with run_emulator(**config) as running:
        ca = getattr(running, "ca_file", None)
        yield Emu(
            str(running.url).rstrip("/"), running.access_key_id, running.secret_key, str(ca) if ca else None
        )


def condense(stats: dict[str, Any]) -> dict[str, int]:
    """The table's counters from `/_emulator/stats`: control-plane calls are not the tool's requests."""
    by_route: dict[str, dict[str, int]] = stats.get("requests", {})
    total = 0
    ok = 0
    for route, statuses in by_route.items():
        if "/_emulator" in route:
            continue
        for status, n in statuses.items():
            total += n
            if str(status).startswith("2"):
                ok += n
    return {
        "requests": total,
        "ok": ok,
        "r429": int(stats.get("throttled", 0)),
        "r401": int(stats.get("unauthorized", 0)),
        "logins": int(stats.get("logins", 0)),
        "extends": int(stats.get("extends", 0)),
    }


NOT_NEEDED = frozenset({"401", "429"})
"""Answers that are not a call the work needed: a 401 is replayed after a refresh, a 429 was not served."""


def needed_by_route(stats: dict[str, Any]) -> dict[str, int]:
    """Answers per route template that the work needed: 2xx, and the 4xx a look-up that finds nothing
    is (a by-id read's 404 before an add); never a 401 or 429, nor a 5xx or dropped connection (faults)."""
    out: dict[str, int] = {}
    for route, statuses in stats.get("requests", {}).items():
        n = sum(v for s, v in statuses.items() if str(s)[:1] in ("2", "4") and str(s) not in NOT_NEEDED)
        if n and "/_emulator" not in route:
            out[route] = n
    return out


def ok_by_route(stats: dict[str, Any]) -> dict[str, int]:
    """2xx answers per route template, for floors computed from the calls a job really needed."""
    out: dict[str, int] = {}
    for route, statuses in stats.get("requests", {}).items():
        n = sum(v for s, v in statuses.items() if str(s).startswith("2"))
        if n and "/_emulator" not in route:
            out[route] = n
    return out
