"""The onboarding wizard, live validation, and the bulk CSV preview.

Validation is the engine's own `field_errors`, so the page, the CLI and the CSV import can never
disagree about what a valid request is. The Azure client secret is write-only: it goes from the form
straight into `create_job` and is never put back into a rendered page, even when the form is re-shown
with errors.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request
from starlette.datastructures import FormData, UploadFile
from starlette.responses import JSONResponse, RedirectResponse, Response

from cortexkit.onboarding.cortexflow.csvrows import COLUMNS as CORTEX_COLUMNS
from cortexkit.onboarding.cortexflow.csvrows import parse_csv as parse_cortex_csv
from cortexkit.onboarding.cortexflow.csvrows import read_rows as read_cortex_rows
from cortexkit.resources.azure import ALWAYS_ON_FEATURE
from cortexkit.web.cortexbulk import secret_reason as cortex_secret_reason
from cortexkit.web.deps import FriendlyError, render, require_csrf, settings_of
from cortexkit.web.errors import explain
from cortexkit.web.formchecks import (
    SECRET_PROVISIONERS,
    Onboarded,
    OnboardedCache,
    duplicate_errors,
    read_onboarded,
    secret_error,
)
from cortexkit.web.jobview import failure_cause
from cortexkit.web.routes.batches import BATCH_ID, batch_job_ids
from cortexkit.web.views import get

if TYPE_CHECKING:  # pragma: no cover
    from cortexkit.onboarding.bulk import CsvRow

router = APIRouter()
T = TypeVar("T")

SECRET_FIELD = "client_secret"
MULTI_FIELDS = ("account_group_ids", "features")
BOOL_FIELDS = ("monitor_flow_logs", "root_sync_enabled")
TEXT_FIELDS = (
    "profile",
    "account_type",
    "subscription_id",
    "tenant_id",
    "environment",
    "name",
    "provisioner",
    "client_id",
    "service_principal_id",
    "default_account_group_id",
)
MAX_CSV_BYTES = 1_000_000


def form_to_data(form: FormData | dict[str, Any]) -> dict[str, Any]:
    """The JobSpec fields from a submitted form; blanks are left out so the engine applies defaults."""
    data: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        value = form.get(name)
        if isinstance(value, str) and value.strip():
            data[name] = value.strip()
    for name in MULTI_FIELDS:
        if isinstance(form, FormData):
            values = [v for v in form.getlist(name) if isinstance(v, str) and v.strip()]
        else:
            raw = form.get(name) or []
            values = [str(v) for v in (raw if isinstance(raw, list) else [raw]) if str(v).strip()]
        if values:
            data[name] = values
    for name in BOOL_FIELDS:
        value = form.get(name)
        data[name] = value in (True, "on", "true", "1", "yes")
    if data.get("account_type") == "tenant":
        data.pop("subscription_id", None)
    else:
        data.pop("root_sync_enabled", None)
    return data


def _account_groups(request: Request, profile: str | None) -> tuple[list[dict[str, str]], str]:
    settings = settings_of(request)
    try:
        with settings.backend.client_factory(profile) as client:
            raw = client.account_groups.list()
    except Exception as exc:
        info = explain(exc)
        return [], f"Account groups could not be listed: {info.message} {info.action}"
    groups = [{"id": str(get(g, "id", "")), "name": str(get(g, "name", ""))} for g in raw]
    return sorted(groups, key=lambda g: g["name"].lower()), ""


def supported_features(
    request: Request, profile: str | None, account_type: str, environment: str, root_sync: bool = False
) -> list[str]:
    """The features the API offers for this scope; an Entra-only tenant (no root sync) gets fewer."""
    settings = settings_of(request)
    tenant = account_type == "tenant"
    with settings.backend.client_factory(profile) as client:
        answer = client.azure.supported_features(
            "tenant" if tenant else "account",
            deployment_type=environment or "azure",
            root_sync_enabled=tenant and root_sync,
        )
    return [str(f) for f in answer.supportedFeatures]


def _wizard(
    request: Request,
    data: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
    source_job: str = "",
) -> Response:
    settings = settings_of(request)
    profile = data.get("profile") or settings.default_profile
    groups, groups_problem = _account_groups(request, profile)
    try:
        features = supported_features(
            request,
            profile,
            data.get("account_type", "account"),
            data.get("environment", "azure"),
            bool(data.get("root_sync_enabled")),
        )
        features_problem = ""
    except Exception as exc:
        info = explain(exc)
        features, features_problem = [], f"Supported features could not be read: {info.message}"
    try:
        profiles = [p.name for p in settings.backend.profiles()]
    except Exception:
        profiles = []
    return render(
        request,
        "wizard.html",
        status_code=status_code,
        data=data,
        errors=errors,
        groups=groups,
        groups_problem=groups_problem,
        features=features,
        features_problem=features_problem,
        always_on=ALWAYS_ON_FEATURE,
        profiles=profiles,
        current_profile=profile or "",
        idempotency_key=str(uuid.uuid4()),
        source_job=source_job,
    )


@router.get("/onboard")
def wizard(
    request: Request, account_type: str = "account", from_job: str = Query("", alias="from")
) -> Response:
    """The empty wizard, or (`?from=<job id>`) one pre-filled from a stopped job with the field its
    failure needs changed marked: "Edit and start again"."""
    if settings_of(request).cortex and not from_job:
        return RedirectResponse("/onboard/cortex", status_code=303)
    if from_job and _is_cortex_job(request, from_job):  # its form is the Cortex one
        return RedirectResponse(f"/onboard/cortex?from={quote(from_job)}", status_code=303)
    if from_job:
        data, errors = _from_job(request, from_job)
        return _wizard(request, data, errors, source_job=from_job)
    return _wizard(
        request, {"account_type": account_type, "environment": "azure", "provisioner": "existing"}, {}
    )


def _is_cortex_job(request: Request, job_id: str) -> bool:
    job = settings_of(request).backend.store.get_job(job_id)
    return job is not None and job.spec.cortex is not None


def _from_job(request: Request, job_id: str) -> tuple[dict[str, Any], dict[str, str]]:
    job = settings_of(request).backend.store.get_job(job_id)
    if job is None:
        raise FriendlyError(
            404, "No such job", f"There is no onboarding job with id {job_id}.", "See the Jobs page."
        )
    spec = job.spec.model_dump(mode="json")
    data = form_to_data({k: v for k, v in spec.items() if v is not None})
    errors: dict[str, str] = {}
    cause = failure_cause(job)
    if cause is not None and cause.field:
        errors[cause.field] = f"Change this: {cause.text}" if cause.field != SECRET_FIELD else cause.fix
    elif cause is not None:
        errors["name"] = f"This job stopped: {cause.text}"
    return data, errors


@router.post("/onboard", dependencies=[Depends(require_csrf)])
async def submit(request: Request) -> Response:
    settings = settings_of(request)
    form = await request.form()
    data = form_to_data(form)
    secret = _secret_of(form)
    key_value = form.get("idempotency_key")
    key = key_value if isinstance(key_value, str) and key_value else None
    sent_before = await _in_thread(lambda: settings.backend.store.job_for_key(key)) if key else None
    if sent_before:  # the same form again (double click, reload): its job, not a duplicate's error
        return RedirectResponse(f"/jobs/{sent_before}", status_code=303)
    errors = await _in_thread(lambda: form_errors(request, data, secret is not None, fresh=True))
    if errors:
        return await _in_thread(lambda: _wizard(request, data, errors, status_code=422))

    def create() -> str:
        spec = settings.backend.build_spec(data)
        job_id = settings.backend.store.create_job(spec, secret=secret, idempotency_key=key)
        settings.backend.start_job(job_id)
        return job_id

    job_id = await _in_thread(create)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


async def _in_thread(fn: Callable[[], T]) -> T:
    return await anyio.to_thread.run_sync(fn)


def _secret_of(form: FormData) -> str | None:
    value = form.get(SECRET_FIELD)
    return value if isinstance(value, str) and value else None


def _onboarded(request: Request, profile: str | None, fresh: bool) -> Onboarded | None:
    settings = settings_of(request)
    cache: OnboardedCache = request.app.state.onboarded
    return cache.get(profile, lambda: read_onboarded(settings.backend.client_factory, profile), fresh)


def form_errors(request: Request, data: dict[str, Any], secret_given: bool, fresh: bool) -> dict[str, str]:
    """Everything that would make the job fail, by field: the engine's rules, the secret, duplicates."""
    settings = settings_of(request)
    errors = dict(settings.backend.field_errors(data))
    problem = secret_error(str(data.get("provisioner") or "existing"), secret_given)
    if problem:
        errors.setdefault(SECRET_FIELD, problem)
    onboarded = _onboarded(request, data.get("profile") or settings.default_profile, fresh)
    if onboarded is not None:
        for name, message in duplicate_errors(data, onboarded).items():
            errors.setdefault(name, message)
    return errors


@router.post("/api/validate", dependencies=[Depends(require_csrf)])
async def validate(request: Request) -> JSONResponse:
    """The engine's field errors for a partly filled form, called as the user types."""
    if request.headers.get("content-type", "").split(";", 1)[0].strip().lower() != "application/json":
        raise FriendlyError(
            415,
            "Send JSON",
            "This address takes the form fields as a JSON object (Content-Type: application/json).",
            "Send the fields as JSON with the X-CSRF-Token header, as the wizard page does.",
        )
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise FriendlyError(400, "Bad request", "Send the form fields as a JSON object.")
    body.pop(SECRET_FIELD, None)
    secret_given = body.pop("has_client_secret", False) is True
    data = form_to_data(body)
    errors = await _in_thread(lambda: form_errors(request, data, secret_given, fresh=False))
    return JSONResponse({"errors": errors})


@router.get("/api/features")
def features(
    request: Request,
    account_type: str = "account",
    environment: str = "azure",
    root_sync: bool = False,
    profile: str = "",
) -> JSONResponse:
    settings = settings_of(request)
    names = supported_features(
        request, profile or settings.default_profile, account_type, environment, root_sync
    )
    return JSONResponse({"features": names, "always_on": ALWAYS_ON_FEATURE})


@dataclass
class Preview:
    """What the preview page shows: a bounded set of rows and the counts over the whole file.

    The file is checked row by row and only the first rows of each kind are kept, so a 1 MB file of
    100,000 bad rows costs a page of a few hundred rows, not one of 30 MB.
    """

    rows: list[dict[str, Any]] = field(default_factory=list)
    valid: int = 0
    problems: int = 0
    hidden: int = 0
    provisioners: set[str] = field(default_factory=set)
    """Why valid rows need the shared secret (their provisioner, or a Cortex row's deploy): whether the
    start form must ask for it, and what its hint says."""

    @property
    def needs_secret(self) -> bool:
        return bool(self.provisioners)


def prisma_secret_reason(spec: Any) -> str | None:
    """A Prisma row needs the secret when its provisioner signs in to Azure with one."""
    provisioner = str(spec.provisioner)
    return provisioner if provisioner in SECRET_PROVISIONERS else None


MAX_SHOWN_PROBLEM_ROWS = 200
MAX_SHOWN_OK_ROWS = 100


def build_preview(
    rows: Iterable[CsvRow],
    onboarded: Callable[[str | None], Onboarded | None] = lambda _profile: None,
    max_problem_rows: int = MAX_SHOWN_PROBLEM_ROWS,
    max_ok_rows: int = MAX_SHOWN_OK_ROWS,
    secret_reason: Callable[[Any], str | None] = prisma_secret_reason,
) -> Preview:
    """Counts every row; keeps in file order the first rows with problems and the first good ones.

    `onboarded(profile)` gives the accounts a row's profile already has (None: not known), so a row
    naming an existing account or subscription is a problem before any job exists.
    """
    preview = Preview()
    shown_ok = shown_bad = 0
    for row in rows:
        problems = [f"{e.field}: {e.message}" if e.field else e.message for e in row.errors]
        if row.spec is not None:
            known = onboarded(row.spec.profile)
            if known is not None:
                clashes = duplicate_errors(row.spec.model_dump(), known)
                problems += [f"{name}: {message}" for name, message in sorted(clashes.items())]
        if problems:
            preview.problems += 1
            keep = shown_bad < max_problem_rows
            shown_bad += keep
        else:
            preview.valid += 1
            reason = secret_reason(row.spec) if row.spec is not None else None
            if reason:
                preview.provisioners.add(reason)
            keep = shown_ok < max_ok_rows
            shown_ok += keep
        if not keep:
            preview.hidden += 1
            continue
        values = {k: v for k, v in row.values.items() if k and "secret" not in k.lower()}
        preview.rows.append({"line": row.line, "values": values, "problems": problems})
    return preview


async def _csv_text(form: FormData) -> str:
    upload = form.get("csv_file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(MAX_CSV_BYTES + 1)
    else:
        pasted = form.get("csv_text")
        raw = pasted.encode() if isinstance(pasted, str) else b""
    if len(raw) > MAX_CSV_BYTES:
        raise FriendlyError(
            413, "File too large", "The CSV is larger than 1 MB.", "Split it into smaller files."
        )
    if not raw.strip():
        raise FriendlyError(400, "No CSV given", "Choose a CSV file or paste its contents.", "")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FriendlyError(
            400, "Not a text file", "The file is not UTF-8 text.", "Save it as CSV (UTF-8)."
        ) from exc


@router.get("/onboard/bulk")
def bulk_form(request: Request) -> Response:
    return render(request, "bulk.html", rows=None, csv_text="", columns=[], valid=0)


def check_csv(request: Request, text: str) -> Preview:
    """The preview of a CSV: the CLI's reader, the engine's rules, and this tenant's accounts (Cortex
    rows: the CLI's Cortex row reading and the same rules; Cortex refuses a taken instance name itself)."""
    from cortexkit.onboarding.bulk import read_rows

    default = settings_of(request).default_profile
    if settings_of(request).cortex:
        return build_preview(read_cortex_rows(text, default), secret_reason=cortex_secret_reason)
    lists: dict[str | None, Onboarded | None] = {}

    def onboarded(profile: str | None) -> Onboarded | None:
        profile = profile or default
        if profile not in lists:
            lists[profile] = _onboarded(request, profile, fresh=True)
        return lists[profile]

    return build_preview(read_rows(text), onboarded)


def _preview_page(
    request: Request, text: str, preview: Preview, secret_problem: str = "", status_code: int = 200
) -> Response:
    columns = sorted({c for r in preview.rows for c in r["values"]}, key=_column_order)
    return render(
        request,
        "bulk.html",
        status_code=status_code,
        rows=preview.rows,
        csv_text=text,
        columns=columns,
        valid=preview.valid,
        problems=preview.problems,
        hidden=preview.hidden,
        needs_secret=preview.needs_secret,
        provisioners=sorted(preview.provisioners),
        secret_problem=secret_problem,
        max_problem_rows=MAX_SHOWN_PROBLEM_ROWS,
        max_ok_rows=MAX_SHOWN_OK_ROWS,
        batch_key=str(uuid.uuid4()),
    )


@router.post("/onboard/bulk", dependencies=[Depends(require_csrf)])
async def bulk_preview(request: Request) -> Response:
    form = await request.form()
    text = await _csv_text(form)
    preview = await _in_thread(lambda: check_csv(request, text))
    return _preview_page(request, text, preview)


def _column_order(name: str) -> tuple[int, str]:
    preferred = ["name", "account_type", "subscription_id", "tenant_id", "environment", "provisioner"]
    if name not in preferred and name in CORTEX_COLUMNS:
        return (len(preferred) + CORTEX_COLUMNS.index(name), name)
    return (preferred.index(name) if name in preferred else len(preferred) + len(CORTEX_COLUMNS), name)


@router.post("/onboard/bulk/start", dependencies=[Depends(require_csrf)])
async def bulk_start(request: Request) -> Response:
    settings = settings_of(request)
    form = await request.form()
    text = await _csv_text(form)
    batch_value = form.get("batch_key")
    batch = batch_value if isinstance(batch_value, str) and BATCH_ID.match(batch_value) else str(uuid.uuid4())
    sent_before = await _in_thread(lambda: batch_job_ids(settings.backend.store, batch))
    if sent_before:  # the same batch again: its jobs, not errors about the accounts they onboarded
        return RedirectResponse(f"/batches/{batch}", status_code=303)
    preview = await _in_thread(lambda: check_csv(request, text))
    if preview.problems or not preview.valid:
        raise FriendlyError(
            422,
            "The CSV still has problems",
            "Nothing was started because some rows are invalid.",
            "Fix the rows shown in the preview and upload the file again.",
        )
    secret = _secret_of(form)
    if preview.needs_secret and secret is None:
        problem = "Required: these rows sign in to Azure with a client secret."
        return _preview_page(request, text, preview, secret_problem=problem, status_code=422)
    if settings.cortex:
        specs, _row_errors = parse_cortex_csv(text, settings.default_profile)
    else:
        specs, _row_errors = settings.backend.parse_csv(text)

    def create_all() -> None:
        keyed = [(spec, f"{batch}:{index}") for index, spec in enumerate(specs)]
        for job_id in settings.backend.store.create_jobs(keyed, secret=secret):
            settings.backend.start_job(job_id)

    await _in_thread(create_all)
    return RedirectResponse(f"/batches/{batch}", status_code=303)
