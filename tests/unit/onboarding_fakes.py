"""An in-memory Prisma Cloud for the onboarding unit tests: only the calls the steps make.

A fake of the remote API only: the steps call the real typed resources (`client.azure.*` ...), which
build their requests exactly as against the emulator and hand them to `FakeApi.send`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cortexkit import errors
from cortexkit.pagination import RequestSpec
from cortexkit.resources import SyncResources

GROUP_ID = "11111111-1111-4111-8111-111111111111"
SUB = "22222222-2222-4222-8222-222222222222"
TENANT = "33333333-3333-4333-8333-333333333333"
CLIENT = "44444444-4444-4444-8444-444444444444"
SP = "55555555-5555-4555-8555-555555555555"


@dataclass
class FakeApi:
    """`add_fault`: None, "unknown-after" (creates, then raises OutcomeUnknownError), "unknown-before"
    (raises without creating), "duplicate" (someone else created it first), "server" (a 500)."""

    add_fault: str | None = None
    fault_count: int = 1
    statuses: list[list[dict[str, Any]]] = field(
        default_factory=lambda: [[{"name": "Config", "status": "ok"}]]
    )
    accounts: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)
    supported: tuple[str, ...] = (
        "Cloud Visibility Compliance and Governance",
        "Remediation",
        "Agentless Scanning",
    )
    precheck_status: str = "ok"

    def __enter__(self) -> FakeApi:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        """`fake.azure`, `fake.account_groups` ...: the real resource classes, sending through `send`."""
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(SyncResources(self), name)  # type: ignore[arg-type]

    def send(self, spec: RequestSpec) -> Any:
        return self.request(spec.method, spec.path, params=spec.params, json=spec.json)

    def _create(self, body: Mapping[str, Any]) -> None:
        account = body["cloudAccount"]
        account_id = account.get("accountId") or body["tenantId"]
        self.accounts.append({"accountId": account_id, "name": account["name"], "cloudType": "azure"})

    def adds(self) -> int:
        return sum(1 for c in self.calls if c == ("POST", "/cas/v1/azure_account"))

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        self.calls.append((method, path))
        self.bodies.append(json)
        if path in ("/cloud/group", "/cloud/group/name"):
            return [{"id": GROUP_ID, "name": "Default Account Group"}]
        if path == "/cas/v1/features/cloud/azure":
            return {"supportedFeatures": list(self.supported), "licenseType": "ENTERPRISE"}
        if path == "/cas/v1/cloud_account/status/azure":
            message = {
                "message": "bad key" if self.precheck_status == "error" else "",
                "staticMessage": False,
            }
            return [
                {
                    "id": "auth",
                    "name": "Authentication",
                    "status": self.precheck_status,
                    "statusMessage": message,
                }
            ]
        if path == "/cloud":
            return [dict(a) for a in self.accounts]
        if path == "/cas/v1/azure_account":
            return self._add(json)
        if path.startswith("/cloud/azure/"):
            return self._by_id(path.rsplit("/", 1)[1])
        if path.endswith("/config/status"):
            return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        raise AssertionError(f"unexpected call {method} {path}")

    def _by_id(self, account_id: str) -> dict[str, Any]:
        """`GET /cloud/azure/{id}` as the emulator answers it: the account, or the unknown id's 404."""
        for account in self.accounts:
            if account["accountId"] == account_id:
                return {**account, "enabled": True}
        raise errors.NotFoundError(
            404, ("invalid_account_id_format",), method="GET", path=f"/cloud/azure/{account_id}"
        )

    def _add(self, body: Mapping[str, Any]) -> None:
        fault, self.add_fault = self.add_fault, (self.add_fault if self.fault_count > 1 else None)
        self.fault_count -= 1
        if fault == "unknown-after":
            self._create(body)
            raise errors.OutcomeUnknownError("POST /cas/v1/azure_account: connection dropped")
        if fault == "unknown-before":
            raise errors.OutcomeUnknownError("POST /cas/v1/azure_account: connection dropped")
        if fault == "duplicate":
            self._create(body)
            raise errors.BadRequestError(
                400, ("duplicate_cloud_account",), method="POST", path="/cas/v1/azure_account"
            )
        if fault == "server":
            raise errors.ServerError(500, ("internal_error",), method="POST", path="/cas/v1/azure_account")
        self._create(body)
        return None


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
