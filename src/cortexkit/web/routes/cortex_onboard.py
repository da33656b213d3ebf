"""The Cortex onboarding form (`/onboard/cortex`), shown instead of the Prisma wizard when the UI runs on
a Cortex connection (a Cortex profile or CORTEXCLOUD_*).

The form's values become the same spec data `cortexkit onboard azure` builds, checked by the engine's
own `field_errors` (the cortexflow spec rules) before any job exists. `POST /api/cortex/preflight` runs
the job's read-only preflight on the form as it stands (the page's Check button, and on change), so each
check's pass/fail and fix shows before anything is created; the job runs it again as its first step.
"""

from __future__ import annotations

import re
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request
from starlette.datastructures import FormData
from starlette.responses import JSONResponse, RedirectResponse, Response

from cortexkit.cortex.template import CAPABILITY_DEFAULTS
from cortexkit.errors import CortexkitError
from cortexkit.web.deps import FriendlyError, render, require_csrf, settings_of
from cortexkit.web.jobview import failure_cause
from cortexkit.web.livecheck import not_checked, run_preflight

router = APIRouter()

SECRET_FIELD = "client_secret"
SCOPES = (("subscription", "Subscription"), ("management-group", "Management group"), ("tenant", "Tenant"))
DEPLOYS = (
    ("arm", "ARM deployment (cortexkit deploys the template)"),
    ("terraform", "Terraform (cortexkit applies the template)"),
    ("manual", "Manual (download the template and run it yourself)"),
)
CAPABILITY_TITLES = {name: name.replace("_", " ").capitalize() for name in CAPABILITY_DEFAULTS}


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _ids(text: str) -> tuple[str, ...]:
    return tuple(part for part in re.split(r"[\s,;]+", text) if part)


def form_to_cortex_data(form: FormData) -> dict[str, Any]:
    """Spec data as `cortexkit onboard azure` builds it; a capability box that differs from Cortex's
    default becomes `<name>` (on) or `no-<name>` (off), the CLI's `--capability` values."""
    wanted = set(form.getlist("capability"))
    capabilities = tuple(
        name if name in wanted else f"no-{name}"
        for name, default in CAPABILITY_DEFAULTS.items()
        if (name in wanted) != default
    )
    cortex: dict[str, Any] = {
        "scope": _text(form, "scope") or "subscription",
        "deploy": _text(form, "deploy") or "arm",
        "audit_logs": _text(form, "audit_logs") == "on",
        "include": _ids(_text(form, "include")),
        "exclude": _ids(_text(form, "exclude")),
        "capabilities": capabilities,
        "location": _text(form, "location") or "eastus",
    }
    if _text(form, "management_group_id"):
        cortex["management_group_id"] = _text(form, "management_group_id")
    data: dict[str, Any] = {"cortex": cortex}
    for name in ("tenant_id", "subscription_id", "name", "client_id", "profile"):
        if _text(form, name):
            data[name] = _text(form, name)
    return data


def _page(request: Request, data: dict[str, Any], errors: dict[str, str], status_code: int = 200) -> Response:
    cortex = data.get("cortex") or {}
    flat = {**{k: v for k, v in data.items() if k != "cortex"}, **cortex}
    flat["include"] = ", ".join(cortex.get("include") or ())
    flat["exclude"] = ", ".join(cortex.get("exclude") or ())
    overrides = set(cortex.get("capabilities") or ())
    checked = {
        name: (name in overrides) or (default and f"no-{name}" not in overrides)
        for name, default in CAPABILITY_DEFAULTS.items()
    }
    return render(
        request,
        "cortex_wizard.html",
        status_code=status_code,
        data=flat,
        errors=errors,
        scopes=SCOPES,
        deploys=DEPLOYS,
        capabilities=[(name, CAPABILITY_TITLES[name], checked[name]) for name in CAPABILITY_DEFAULTS],
    )


FORM_FIELDS = frozenset(
    {"scope", "tenant_id", "subscription_id", "management_group_id", "include", "exclude", "name"}
    | {"location", "capabilities", "deploy", "client_id", SECRET_FIELD}
)


def _from_job(request: Request, job_id: str) -> Response:
    """The form filled from a stopped Cortex job ("Edit and start again"), its failure marked at the field
    it names (else at the name); the secret is never filled in."""
    job = settings_of(request).backend.store.get_job(job_id)
    if job is None or job.spec.cortex is None:
        raise FriendlyError(
            404,
            "No such Cortex job",
            f"There is no Cortex onboarding job with id {job_id}.",
            "See the Jobs page.",
        )
    errors: dict[str, str] = {}
    cause = failure_cause(job)
    if cause is not None and cause.field in FORM_FIELDS:
        errors[str(cause.field)] = f"Change this: {cause.text}" if cause.field != SECRET_FIELD else cause.fix
    elif cause is not None:
        errors["name"] = f"This job stopped: {cause.text}"
    return _page(request, job.spec.model_dump(mode="json", exclude_none=True), errors)


@router.get("/onboard/cortex")
def cortex_wizard(request: Request, from_job: str = Query("", alias="from")) -> Response:
    if from_job:
        return _from_job(request, from_job)
    return _page(request, {"cortex": {"audit_logs": True, "scope": "subscription", "deploy": "arm"}}, {})


@router.post("/onboard/cortex", dependencies=[Depends(require_csrf)])
async def cortex_submit(request: Request) -> Response:
    settings = settings_of(request)
    form = await request.form()
    data = form_to_cortex_data(form)
    secret = _text(form, SECRET_FIELD) or None
    errors = dict(settings.backend.field_errors(data))
    deploy = data["cortex"]["deploy"]
    if deploy in ("arm", "terraform") and secret is None:
        errors.setdefault(
            SECRET_FIELD, f"Deploy {deploy} signs in to Azure as the app above: give its client secret."
        )
    if errors:
        return _page(request, data, errors, status_code=422)

    def create() -> str:
        spec = settings.backend.build_spec(data)
        job_id = settings.backend.store.create_job(spec, secret=secret)
        settings.backend.start_job(job_id)
        return job_id

    job_id = await anyio.to_thread.run_sync(create)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


@router.post("/api/cortex/preflight", dependencies=[Depends(require_csrf)])
async def cortex_preflight(request: Request) -> Response:
    """The preflight's checks for the form's values as JSON; field errors (422) instead when the form
    does not make a job yet. Creates nothing, starts no job; the secret is used for this call only."""
    settings = settings_of(request)
    if not settings.cortex:
        raise FriendlyError(
            409, "Not a Cortex connection", "The live preflight checks Cortex onboardings only.", ""
        )
    form = await request.form()
    data = form_to_cortex_data(form)
    errors = dict(settings.backend.field_errors(data))
    if errors:
        return JSONResponse({"errors": errors}, status_code=422)
    secret = _text(form, SECRET_FIELD) or None
    profile = data.get("profile") or settings.default_profile

    def check() -> dict[str, Any]:
        spec = settings.backend.build_spec(data)
        try:
            with settings.backend.client_factory(profile) as client:
                found = run_preflight(spec, secret, client, settings.backend.runner_settings)
        except CortexkitError as exc:  # the client could not be made (no usable Cortex credentials)
            found = not_checked(exc, secret)
        return found.as_dict()

    return JSONResponse({"errors": {}, **await anyio.to_thread.run_sync(check)})
