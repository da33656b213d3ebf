"""`create_app(config)`: the emulator as an ASGI app, for uvicorn or in-process use (httpx ASGITransport)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from cortexkit import __version__

from . import errors
from .config import EmulatorConfig
from .core import Emulator
from .cortex import install as install_cortex
from .middleware import EmulatorMiddleware
from .routes import include_routes
from .routing import index_routes, route_path

log = logging.getLogger(__name__)


def create_app(config: EmulatorConfig | None = None, *, emulator: Emulator | None = None) -> FastAPI:
    """A FastAPI app serving one emulated tenant; `app.state.emulator` is its `Emulator`."""
    emu = emulator or Emulator(config)
    app = FastAPI(
        title="cortexkit Prisma Cloud CSPM API emulator",
        version=__version__,
        docs_url="/_emulator/docs",
        redoc_url=None,
        openapi_url="/_emulator/openapi.json",
    )
    app.state.emulator = emu
    include_routes(app)
    install_cortex(app, emu)  # the Cortex dialect (/public_api/..., /api_keys/validate)
    index_routes(app)
    app.add_exception_handler(errors.EmulatorError, _emulator_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _internal_error)
    app.add_middleware(EmulatorMiddleware, emulator=emu)
    return app


async def _emulator_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.EmulatorError)
    return exc.response()


async def _validation_error(request: Request, exc: Exception) -> Response:
    """400 instead of FastAPI's 422, with `missing_required_parameter` when a field is absent."""
    assert isinstance(exc, RequestValidationError)
    problems = exc.errors()
    missing = [p for p in problems if p.get("type") == "missing"]
    first = (missing or problems or [{}])[0]
    loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path", "header")]
    subject = ".".join(loc) or None
    key = "missing_required_parameter" if missing else "invalid_parameter_value"
    if first.get("type") in ("json_invalid", "model_attributes_type", "dict_type") and not missing:
        key = "bad_request"
    message = f"{key.replace('_', ' ')}: {subject}" if subject else key.replace("_", " ")
    return errors.error_for_path(route_path(request.scope), 400, key, message, subject=subject).response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    key = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "bad_request")
    headers = dict(exc.headers or {})
    return errors.error_for_path(route_path(request.scope), exc.status_code, key, headers=headers).response()


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error in %s %s", request.method, route_path(request.scope))
    return errors.error_for_path(route_path(request.scope), 500, "internal_error").response()
