"""The fault-soak workload: mixed reads and reconciled creates, sync and async, against one emulator.

Kept apart from the test module so the short and the long soak share one definition and the test file
states only what must hold. Reads must never fail (the client retries them); a create whose outcome is
unknown is reconciled by reading the accounts, never blindly resent, so no subscription is ever added
twice. Anything else that surfaces is recorded with its type and message for the test to judge.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from cortexkit.client import AsyncClient, Client
from cortexkit.emulator.server import RunningEmulator
from cortexkit.errors import OutcomeUnknownError
from cortexkit.retry import RetryConfig

# Enough attempts that a 10 % fault rate never exhausts them (0.1**12), backoff short enough for tests.
SOAK_RETRY = RetryConfig(max_attempts=12, base=0.01, cap=0.05, deadline=None)
ALERT_QUERY: dict[str, Any] = {
    "filters": [{"name": "alert.status", "operator": "=", "value": "open"}],
    "timeRange": {"type": "to_now", "value": "epoch"},
    "limit": 20,
}
# (method, path, body): reads whose answers never change while accounts are being added.
STABLE_READS: tuple[tuple[str, str, Any], ...] = (
    ("GET", "/cloud/group", None),
    ("GET", "/v2/policy", None),
    ("POST", "/v2/alert", ALERT_QUERY),
)
GROWING_READS: tuple[tuple[str, str, Any], ...] = (("GET", "/cloud", None), ("GET", "/cloud/name", None))
READS = STABLE_READS + GROWING_READS
STABLE_PATHS = frozenset(path for _, path, _ in STABLE_READS)
CREATE_EVERY = 10
"""One create per this many operations: creates are the rare, precious calls."""


@dataclass
class Outcome:
    """What one run saw; merged across workers."""

    reads: int = 0
    creates: int = 0
    reconciled: int = 0
    resent_after_reconcile: int = 0
    failed_reads: list[str] = field(default_factory=list)
    surfaced: list[BaseException] = field(default_factory=list)
    subscriptions: list[str] = field(default_factory=list)
    answers: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def merge(self, other: Outcome) -> None:
        self.reads += other.reads
        self.creates += other.creates
        self.reconciled += other.reconciled
        self.resent_after_reconcile += other.resent_after_reconcile
        self.failed_reads += other.failed_reads
        self.surfaced += other.surfaced
        self.subscriptions += other.subscriptions
        for key, values in other.answers.items():
            self.answers.setdefault(key, []).extend(values)


def account_body(subscription: str) -> dict[str, Any]:
    return {
        "cloudAccount": {
            "accountId": subscription,
            "accountType": "account",
            "name": f"soak-{subscription}",
            "enabled": True,
            # No groupIds: the account lands in the Default Account Group (an empty list is refused).
        },
        "clientId": str(uuid.uuid4()),
        "key": "soak-azure-client-secret",
        "servicePrincipalId": str(uuid.uuid4()),
        "tenantId": str(uuid.uuid4()),
        "environmentType": "azure",
        "monitorFlowLogs": False,
        "features": [],
    }


def fingerprint(path: str, answer: Any) -> str | None:
    """A comparable summary of a stable read's answer; None when the answer is not what the API sends."""
    if path == "/v2/alert":
        if not isinstance(answer, dict) or not isinstance(answer.get("items"), list):
            return None
        return f"{answer.get('totalRows')}:{[a.get('id') for a in answer['items']]}"
    if not isinstance(answer, list):
        return None
    return str(len(answer)) if path != "/cloud/group" else str(sorted(g.get("id") for g in answer))


def plan(operations: int) -> Iterator[tuple[str, str, Any] | None]:
    """The operation sequence: None is a create, anything else a read."""
    for index in range(operations):
        yield None if index % CREATE_EVERY == CREATE_EVERY - 1 else READS[index % len(READS)]


def _record_read(outcome: Outcome, method: str, path: str, answer: Any) -> None:
    outcome.reads += 1
    summary = fingerprint(path, answer)
    if summary is None:
        outcome.failed_reads.append(f"{method} {path}: unexpected answer {str(answer)[:80]!r}")
    elif path in STABLE_PATHS:
        outcome.answers.setdefault((method, path), []).append(summary)


def run_sync(client: Client, operations: int) -> Outcome:
    outcome = Outcome()
    for op in plan(operations):
        try:
            if op is None:
                create_sync(client, outcome)
            else:
                _record_read(outcome, op[0], op[1], client.request(op[0], op[1], json=op[2]))
        except Exception as exc:  # judged by the test: every surfaced error must be typed and explained
            outcome.surfaced.append(exc)
            if op is not None:
                outcome.failed_reads.append(f"{op[0]} {op[1]}: {type(exc).__name__}: {exc}")
    return outcome


def create_sync(client: Client, outcome: Outcome) -> None:
    subscription = str(uuid.uuid4())
    outcome.creates += 1
    outcome.subscriptions.append(subscription)
    try:
        client.azure.add_account(account_body(subscription), skip_status_checks=True)
    except OutcomeUnknownError as exc:
        outcome.surfaced.append(exc)
        outcome.reconciled += 1
        if client.azure.find_by_subscription(subscription) is None:
            outcome.resent_after_reconcile += 1
            create_sync_again(client, outcome, subscription)


def create_sync_again(client: Client, outcome: Outcome, subscription: str) -> None:
    """The documented reconcile loop: resend only what surely was not created, and check again."""
    for _ in range(10):
        try:
            client.azure.add_account(account_body(subscription), skip_status_checks=True)
            return
        except OutcomeUnknownError as exc:
            outcome.surfaced.append(exc)
            if client.azure.find_by_subscription(subscription) is not None:
                return


async def run_async(client: AsyncClient, operations: int, concurrency: int) -> Outcome:
    outcome = Outcome()
    gate = asyncio.Semaphore(concurrency)

    async def one(op: tuple[str, str, Any] | None) -> None:
        async with gate:
            try:
                if op is None:
                    await create_async(client, outcome)
                else:
                    answer = await client.request(op[0], op[1], json=op[2])
                    _record_read(outcome, op[0], op[1], answer)
            except Exception as exc:  # judged by the test
                outcome.surfaced.append(exc)
                if op is not None:
                    outcome.failed_reads.append(f"{op[0]} {op[1]}: {type(exc).__name__}: {exc}")

    await asyncio.gather(*(one(op) for op in plan(operations)))
    return outcome


async def create_async(client: AsyncClient, outcome: Outcome) -> None:
    subscription = str(uuid.uuid4())
    outcome.creates += 1
    outcome.subscriptions.append(subscription)
    for attempt in range(10):
        try:
            await client.azure.add_account(account_body(subscription), skip_status_checks=True)
            return
        except OutcomeUnknownError as exc:
            outcome.surfaced.append(exc)
            if attempt == 0:
                outcome.reconciled += 1
            if await client.azure.find_by_subscription(subscription) is not None:
                return
            outcome.resent_after_reconcile += 1


def advance_clock(running: RunningEmulator, seconds: float) -> None:
    httpx.post(f"{running.url}/_emulator/clock", json={"advance": seconds}, timeout=10).raise_for_status()


def soak(
    running: RunningEmulator,
    *,
    requests: int,
    batches: int,
    emulated_seconds: float,
    threads: int = 8,
    concurrency: int = 16,
) -> Outcome:
    """Half the operations through sync clients in threads, half through one async client.

    Between batches the emulator clock jumps ahead, expiring every token it issued, so each batch starts
    with 401s that the clients must turn into one refresh and a replay (tokens live a few seconds).
    """
    total = Outcome()
    per_batch = max(1, requests // batches)
    step = emulated_seconds / batches
    kwargs: dict[str, Any] = {
        "api_url": running.url,
        "access_key_id": running.access_key_id,
        "secret_key": running.secret_key,
        "retry": SOAK_RETRY,
        "rate_limit": False,
    }
    with Client(**kwargs) as sync_client:
        for _ in range(batches):
            sync_share = per_batch // 2
            per_thread = max(1, sync_share // threads)
            with ThreadPoolExecutor(threads) as pool:
                futures = [pool.submit(run_sync, sync_client, per_thread) for _ in range(threads)]
                total.merge(asyncio.run(_async_batch(kwargs, per_batch - sync_share, concurrency)))
                for future in futures:
                    total.merge(future.result())
            advance_clock(running, step)
    return total


async def _async_batch(kwargs: dict[str, Any], operations: int, concurrency: int) -> Outcome:
    async with AsyncClient(**kwargs) as client:
        return await run_async(client, operations, concurrency)


def control(running: RunningEmulator, path: str) -> Any:
    response = httpx.get(f"{running.url}/_emulator/{path}", timeout=10)
    response.raise_for_status()
    return response.json()
