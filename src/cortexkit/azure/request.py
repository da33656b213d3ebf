"""`AzureRequest`: one Azure call described as data, built by `token`, `graph` and `arm`, sent by
`client.AzureClient`. Pure, so the dry-run plan lists exactly what a run sends."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Api = Literal["login", "graph", "arm"]


@dataclass(frozen=True)
class AzureRequest:
    """`path` is relative to the service's base URL; `idempotent=False` marks a creating call that is
    never resent after an ambiguous failure (the caller looks the object up instead)."""

    api: Api
    method: str
    path: str
    params: Mapping[str, str] | None = None
    json: Any = None
    form: Mapping[str, str] | None = field(default=None, repr=False)  # the token grant holds a secret
    idempotent: bool = True
