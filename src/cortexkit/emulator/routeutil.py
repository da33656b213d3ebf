"""Small helpers the data route modules share: the state, JSON bodies, flags, onboarding errors."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request, Response

from cortexkit.emulator import errors
from cortexkit.emulator.core import Emulator
from cortexkit.emulator.state import TenantState


def state_of(emu: Emulator) -> TenantState:
    """The tenant state; a 500 rather than an AttributeError if the core could not build it."""
    state = emu.state
    if not isinstance(state, TenantState):
        raise errors.error_for_path("/", 500, "internal_error")
    return state


async def json_object(request: Request, *, required: bool = True) -> dict[str, Any]:
    """The request body as a JSON object; 400 in the route's error style when it is not one."""
    raw = await request.body()
    if not raw.strip():
        if required:
            raise errors.error_for_path(request.url.path, 400, "missing_required_parameter", "body required")
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise errors.error_for_path(request.url.path, 400, "bad_request", "body is not valid JSON") from None
    if not isinstance(body, dict):
        raise errors.error_for_path(request.url.path, 400, "bad_request", "body must be a JSON object")
    return body


def flag(value: str | None, default: bool = False) -> bool:
    """A boolean query parameter as the real API reads them (`true`/`false`, case-insensitive)."""
    if value is None:
        return default
    return value.strip().lower() in ("true", "1", "yes")


def onboarding_error(status: int, i18n_key: str, message: str | None = None) -> errors.CasError:
    """A cas `ApiError` that also carries the i18n key in `x-redlock-status`.

    The spec lists the onboarding errors as i18n keys (`duplicate_cloud_account` ...) on cas routes whose
    error body is `ApiError`; sending both lets either kind of client find the reason.
    """
    return errors.CasError(
        status,
        message or i18n_key,
        debug=i18n_key,
        headers={"x-redlock-status": errors.redlock_status(i18n_key)},
    )


def empty_ok() -> Response:
    """200 with an empty body: what the real API sends for dismiss, delete, add account and the like."""
    return Response(status_code=200)


SUBJECT_LIMIT = 200


def clip(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """Client text echoed in an error (a query fragment, a filter name) kept to a header-friendly size."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
