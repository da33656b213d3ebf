"""Key validation and tenant facts: `GET /api_keys/validate` (the Go SDK's `ValidateAPIKey`, answered with
the JSON string `"true"`) and `POST /public_api/v1/get_tenant_info`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cortexkit.cortex.resources._base import AsyncCortexResource, Call, CortexResource, post, reply_object
from cortexkit.pagination import RequestSpec

VALIDATE = "/api_keys/validate"


def validate_key() -> Call[bool]:
    def parse(body: Any) -> bool:
        value = body.get("reply", body) if isinstance(body, Mapping) else body
        return value is True or (isinstance(value, str) and value.strip().lower() == "true")

    return Call(RequestSpec("GET", VALIDATE, idempotent=True), parse)


def tenant_info() -> Call[dict[str, Any]]:
    return Call(
        post("/public_api/v1/get_tenant_info", {}, read_only=True),
        lambda b: dict(reply_object(b, "tenant info")),
    )


class System(CortexResource):
    def validate_key(self) -> bool:
        return self._run(validate_key())

    def tenant_info(self) -> dict[str, Any]:
        return self._run(tenant_info())


class AsyncSystem(AsyncCortexResource):
    async def validate_key(self) -> bool:
        return await self._run(validate_key())

    async def tenant_info(self) -> dict[str, Any]:
        return await self._run(tenant_info())
