"""The emulator's route modules, in registration order; each exposes `router: fastapi.APIRouter`.

The order matters where two modules could claim the same path (literal routes before `{param}` ones are
handled inside each module). A module not written yet is skipped with a warning so parallel work can
proceed; `tests/unit/test_emulator_routes_registry.py` asserts that every listed module imports.
"""

from __future__ import annotations

import importlib
import logging

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

log = logging.getLogger(__name__)

ROUTE_MODULES: tuple[str, ...] = (
    "auth",
    "control",
    "cloud",
    "account_groups",
    "alerts",
    "alert_exports",
    "policies",
    "compliance",
    "standards",  # after compliance: its `/compliance/{id}` must not capture `/compliance/posture`
    "reports",
    "search",
    "search_history",
    "inventory",
    "resource_scan",
    "audit",
    "compute",
    "meta",
    "cas_azure",
    "legacy_azure",
    "azure_identity",
    "azure_arm",
    "azure_directory",
    "azure_control",
)


def load_router(name: str) -> APIRouter | None:
    """The `router` of `routes.<name>`, or None (with a warning) when that module does not exist yet."""
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise  # the module exists but one of its imports is missing: a real bug
        log.warning("emulator route module %r is missing; its routes are not served", name)
        return None
    router = getattr(module, "router", None)
    if not isinstance(router, APIRouter):
        raise TypeError(f"{module.__name__}.router must be a fastapi.APIRouter")
    return router


def include_routes(app: FastAPI) -> None:
    """Add every module's routes to `app`, flat where possible.

    `include_router` keeps each router as a nested node that this FastAPI version re-walks on every
    request; with ~60 routes that matching cost was most of a simple GET's time. A router without
    router-level dependencies loses nothing by having its (already prefixed) routes added directly.
    """
    for name in ROUTE_MODULES:
        router = load_router(name)
        if router is None:
            continue
        if router.dependencies or not all(isinstance(r, APIRoute) for r in router.routes):
            app.include_router(router)
            continue
        app.router.routes.extend(router.routes)
