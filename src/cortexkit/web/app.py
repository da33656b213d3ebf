"""FastAPI factory for the onboarding UI.

`create_app(settings)` wires the session guard (outermost, so nothing is reachable without the token),
the catch-all for unhandled errors (one log line with an id, a page, no traceback), the static files,
the route modules and the error pages. It holds no global state: several apps with
different tokens can run in one process, which the tests rely on.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from cortexkit.web.deps import FriendlyError, render
from cortexkit.web.errors import GENERIC, Explained, explain
from cortexkit.web.formchecks import OnboardedCache
from cortexkit.web.routes import batches, cortex_onboard, jobs, onboard, pages
from cortexkit.web.security import Scope, SessionGuard
from cortexkit.web.settings import WebSettings
from cortexkit.web.unhandled import CatchUnhandled


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "text/event-stream" in request.headers.get("accept", "")


def _error_response(request: Request, info: Explained) -> Response:
    if _wants_json(request):
        return JSONResponse(
            {"error": info.title, "message": info.message, "action": info.action}, status_code=info.status
        )
    return render(request, "error.html", status_code=info.status, error=info)


def create_app(settings: WebSettings) -> FastAPI:
    app = FastAPI(title="cortexkit", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.onboarded = OnboardedCache()
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    app.include_router(pages.router)
    app.include_router(cortex_onboard.router)
    app.include_router(onboard.router)
    app.include_router(jobs.router)
    app.include_router(batches.router)

    @app.exception_handler(FriendlyError)
    async def friendly(request: Request, exc: FriendlyError) -> Response:
        return _error_response(request, Explained(exc.status_code, exc.title, exc.message, exc.action))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            info = Explained(
                404, "Page not found", "There is nothing at this address.", "Use the menu above."
            )
        elif exc.status_code == 405:
            info = Explained(405, "Not available", "This address does not accept that kind of request.", "")
        else:
            info = Explained(exc.status_code, "Request refused", str(exc.detail), "")
        return _error_response(request, info)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        fields = ", ".join(str(e.get("loc", ["?"])[-1]) for e in exc.errors())
        return _error_response(
            request,
            Explained(400, "Incomplete request", f"These fields are missing or invalid: {fields}.", ""),
        )

    def unhandled(scope: Scope, exc: Exception, error_id: str) -> Response:
        info = explain(exc)
        if info is GENERIC:
            info = replace(info, action=f"{info.action} The terminal shows it as error {error_id}.")
        return _error_response(Request(scope), info)

    # Inside the session guard (added before it), so its pages get the security headers too.
    app.add_middleware(CatchUnhandled, respond=unhandled)
    app.add_middleware(
        SessionGuard,
        session_token=settings.session_token,
        bind_host=settings.host,
        secure_cookie=settings.secure_cookie,
    )
    return app
