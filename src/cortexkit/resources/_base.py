"""What every resource module shares: `Call` (a request plus the parser of its answer), the sync/async
runners, and the lenient pydantic base model.

A resource method is written once as a builder returning a `Call`; the sync and async classes only say
`self._run(builder(...))` or `await self._run(builder(...))`, so request building cannot drift between
the two clients.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from cortexkit import errors
from cortexkit.pagination import RequestSpec

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit.client import AsyncClient, Client

T = TypeVar("T")
M = TypeVar("M", bound="Model")


class Model(BaseModel):
    """API objects: documented fields typed, undocumented ones kept (`extra="allow"`)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


@dataclass(frozen=True)
class Call(Generic[T]):
    spec: RequestSpec
    parse: Callable[[Any], T]


def raw(body: Any) -> Any:
    return body


def none(_: Any) -> None:
    return None


def one(model: type[M]) -> Callable[[Any], M]:
    def parse(body: Any) -> M:
        if not isinstance(body, Mapping):
            raise _shape(model, "an object", body)
        return validate(model, body)

    return parse


def many(model: type[M]) -> Callable[[Any], list[M]]:
    def parse(body: Any) -> list[M]:
        if not isinstance(body, list) or not all(isinstance(item, Mapping) for item in body):
            raise _shape(model, "a list of objects", body)
        return [validate(model, item) for item in body]

    return parse


def validate(model: type[M], item: Any) -> M:
    """`model_validate`, with a field of the wrong type reported as the API's fault, in the library's
    own exception tree (pydantic's error would otherwise escape `except CortexkitError`)."""
    try:
        return model.model_validate(item)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:5])
        raise errors.UnexpectedResponseError(
            f"{model.__name__} with unexpected field types: {fields}"
        ) from None


def _shape(model: type[Model], wanted: str, body: Any) -> errors.UnexpectedResponseError:
    """A 200 answer of the wrong shape (an error object, a string) must not pass for an empty result."""
    return errors.UnexpectedResponseError(
        f"expected {wanted} for {model.__name__}, got {type(body).__name__}"
    )


def clean(**kwargs: Any) -> dict[str, Any]:
    """Drop the arguments the caller did not set, so the server applies its own defaults."""
    return {k: v for k, v in kwargs.items() if v is not None}


TimeUnit = Literal["minute", "hour", "day", "week", "month", "year"]


def relative(amount: int, unit: TimeUnit = "hour") -> dict[str, Any]:
    """A relative time range (`last N units`), the model every alert and RQL call accepts."""
    return {"type": "relative", "value": {"amount": amount, "unit": unit}}


def absolute(start_ms: int, end_ms: int) -> dict[str, Any]:
    return {"type": "absolute", "value": {"startTime": start_ms, "endTime": end_ms}}


def to_now(unit: str = "epoch") -> dict[str, Any]:
    """Everything up to now (`epoch`: since the beginning): the one definition of this range."""
    return {"type": "to_now", "value": unit}


class SyncResource:
    def __init__(self, client: Client) -> None:
        self._client = client

    def _run(self, call: Call[T]) -> T:
        return call.parse(self._client.send(call.spec))


class AsyncResource:
    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def _run(self, call: Call[T]) -> T:
        return call.parse(await self._client.send(call.spec))
