"""What every Cortex resource shares: `Call`s (one request and its parser) and `Paged` (a pager and the
model of its rows), and the sync/async runners. Builders are written once; the sync and async classes
only run them, so request building cannot drift between the two clients.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from cortexkit import errors
from cortexkit.cortex.models import CortexModel
from cortexkit.cortex.paging import CortexPager, unwrap
from cortexkit.pagination import Page, RequestSpec, aiterate, iterate
from cortexkit.resources._base import Call

T = TypeVar("T")
M = TypeVar("M", bound=CortexModel)

__all__ = [
    "AsyncCortexResource",
    "Call",
    "CortexResource",
    "Paged",
    "post",
    "reply_object",
    "rows",
    "validate",
]


def validate(model: type[M], item: Any) -> M:
    """`model_validate`, a wrong field type reported as the API's fault in the library's error tree."""
    from pydantic import ValidationError

    try:
        return model.model_validate(item)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:5])
        raise errors.UnexpectedResponseError(
            f"{model.__name__} with unexpected field types: {fields}"
        ) from None


def post(path: str, request_data: Mapping[str, Any] | None = None, *, read_only: bool) -> RequestSpec:
    """An RPC call: `POST path {"request_data": ...}`; `read_only` says whether a resend is harmless."""
    return RequestSpec("POST", path, json={"request_data": dict(request_data or {})}, idempotent=read_only)


def reply_object(body: Any, what: str) -> Mapping[str, Any]:
    reply = unwrap(body)
    if not isinstance(reply, Mapping):
        raise errors.UnexpectedResponseError(f"{what}: expected an object reply, got {type(reply).__name__}")
    return reply


def rows(model: type[M], key: str) -> Callable[[Any], list[M]]:
    """Parse `{"reply": {key: [...]}}` into models (a missing key is an empty list)."""

    def parse(body: Any) -> list[M]:
        value = reply_object(body, model.__name__).get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise errors.UnexpectedResponseError(f"{model.__name__}: {key} is not a list of objects")
        return [validate(model, v) for v in value]

    return parse


@dataclass(frozen=True)
class Paged(Generic[M]):
    pager: CortexPager
    model: type[M]


class Sender(Protocol):
    def send(self, spec: RequestSpec) -> Any: ...

    def send_page(self, spec: RequestSpec) -> Page: ...


class AsyncSender(Protocol):
    async def send(self, spec: RequestSpec) -> Any: ...

    async def send_page(self, spec: RequestSpec) -> Page: ...


class CortexResource:
    def __init__(self, client: Sender) -> None:
        self._client = client

    def _run(self, call: Call[T]) -> T:
        return call.parse(self._client.send(call.spec))

    def _iter(self, paged: Paged[M], max_items: int | None = None) -> Iterator[M]:
        for row in iterate(self._client.send_page, paged.pager, max_items=max_items):
            yield validate(paged.model, row)


class AsyncCortexResource:
    def __init__(self, client: AsyncSender) -> None:
        self._client = client

    async def _run(self, call: Call[T]) -> T:
        return call.parse(await self._client.send(call.spec))

    async def _iter(self, paged: Paged[M], max_items: int | None = None) -> AsyncIterator[M]:
        async for row in aiterate(self._client.send_page, paged.pager, max_items=max_items):
            yield validate(paged.model, row)
