"""Request helpers shared by the route modules: settings, templates, CSRF and friendly errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from cortexkit.web import security
from cortexkit.web.settings import WebSettings
from cortexkit.web.views import format_duration, format_time

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters["when"] = format_time
TEMPLATES.env.filters["duration"] = format_duration


class FriendlyError(HTTPException):
    """An error the page shows as a sentence plus what to do about it."""

    def __init__(self, status_code: int, title: str, message: str, action: str = "") -> None:
        super().__init__(status_code=status_code, detail=message)
        self.title = title
        self.message = message
        self.action = action


def settings_of(request: Request) -> WebSettings:
    settings: WebSettings = request.app.state.settings
    return settings


async def require_csrf(request: Request) -> None:
    """Every state-changing request carries the CSRF token, in a header (fetch) or a form field."""
    settings = settings_of(request)
    presented = request.headers.get(security.CSRF_HEADER)
    if presented is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(security.CSRF_FIELD)
        presented = value if isinstance(value, str) else None
    if not security.csrf_valid(settings.session_token, presented):
        raise FriendlyError(
            403,
            "This form has expired",
            "The form was not sent from a page of this session, so nothing was changed.",
            "Reload the page and submit it again.",
        )


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    settings = settings_of(request)
    base = {
        "csrf_token": security.csrf_token(settings.session_token),
        "emulator_url": settings.emulator_url,
        "cortex": settings.cortex,
        "nav": template.split(".", maxsplit=1)[0],
    }
    return TEMPLATES.TemplateResponse(request, template, {**base, **context}, status_code=status_code)
