"""Route lookup by first path segment, in front of FastAPI's linear route matching.

FastAPI tries every route in order, each try costing a regex and some scope bookkeeping; with the ~60
routes of the emulator that was the largest single cost of a simple GET. `IndexedRoutes` keeps the
routes in their registration order but only tries those whose first literal segment can match
(`/cloud/...` never tries `/v2/alert`), plus the few whose first segment is a parameter.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

_CHOSEN = "cortexkit.route"


def route_path(scope: Scope) -> str:
    """The request path relative to where the app is mounted (what route templates are matched against)."""
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        return path[len(root) :] or "/"
    return path


def _first_segment(path: str) -> str:
    return path.lstrip("/").split("/", 1)[0]


class IndexedRoutes(BaseRoute):
    """One composite route standing for all of the app's routes."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self.routes = list(routes)
        anywhere: list[int] = []
        keyed: dict[str, list[int]] = {}
        for i, route in enumerate(self.routes):
            path = getattr(route, "path", None)
            first = _first_segment(path) if isinstance(path, str) else ""
            if not first or "{" in first:
                anywhere.append(i)
            else:
                keyed.setdefault(first, []).append(i)
        # Each key's candidates keep the global registration order (first match wins, as before).
        self._candidates = {
            key: [self.routes[i] for i in sorted([*idx, *anywhere])] for key, idx in keyed.items()
        }
        self._anywhere = [self.routes[i] for i in anywhere]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        first = _first_segment(route_path(scope))
        partial: Scope | None = None
        for route in self._candidates.get(first, self._anywhere):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                return match, {**child_scope, _CHOSEN: route}
            if match is Match.PARTIAL and partial is None:
                partial = {**child_scope, _CHOSEN: route}
        if partial is not None:
            return Match.PARTIAL, partial
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: BaseRoute = scope.pop(_CHOSEN)
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except Exception:  # noqa: S112 - starlette's NoMatchFound; try the next route
                continue
        return super().url_path_for(name, **path_params)


def index_routes(app: FastAPI) -> None:
    """Put all of `app`'s routes behind one `IndexedRoutes`; OpenAPI is still built from the originals."""
    original = list(app.router.routes)
    app.router.routes[:] = [IndexedRoutes(original)]

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = get_openapi(
                title=app.title, version=app.version, routes=original, description=app.description
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
