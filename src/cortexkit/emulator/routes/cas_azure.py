"""Azure onboarding v2 (cas): features, template, status pre-check, add, update, config status.

Errors on `/cas/...` are cas `ApiError` bodies that also carry the documented i18n key in
`x-redlock-status` (see `routeutil.onboarding_error`). `GET /account/{id}/config/status` is a legacy
route, so its errors are legacy style.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from cortexkit.emulator import accountviews, azureonboarding, azuretemplate, errors
from cortexkit.emulator.azureonboarding import OnboardingProblem
from cortexkit.emulator.core import Emulator, authenticated, get_emulator
from cortexkit.emulator.routeutil import clip, empty_ok, flag, json_object, onboarding_error, state_of
from cortexkit.emulator.tokens import Principal

router = APIRouter(tags=["Azure Onboarding"])
Auth = Annotated[Principal, Depends(authenticated)]
Emu = Annotated[Emulator, Depends(get_emulator)]

FEATURE_CLOUDS = ("aws", "azure", "gcp", "alibaba", "oci", "ibm")
ACCOUNT_TYPES = ("account", "organization", "masterServiceAccount", "tenant", "workspace_domain")
DEPLOYMENT_NAMES = {"azure": "global", "azure_gov": "gov", "azure_china": "china"}


def _cas(problem: OnboardingProblem) -> errors.CasError:
    return onboarding_error(problem.status, problem.i18n_key, problem.message)


@router.post("/cas/v1/features/cloud/{cloud_type}")
async def supported_features(cloud_type: str, request: Request, _: Auth) -> dict[str, Any]:
    if cloud_type not in FEATURE_CLOUDS:
        raise onboarding_error(400, "invalid_cloud_type", f"unsupported cloud type {cloud_type!r}")
    body = await json_object(request)
    account_type = body.get("accountType")
    if account_type not in ACCOUNT_TYPES:
        raise onboarding_error(400, "bad_request", f"accountType must be one of {', '.join(ACCOUNT_TYPES)}")
    deployment = body.get("deploymentType") or "azure"
    if not isinstance(deployment, str) or deployment not in DEPLOYMENT_NAMES:
        raise onboarding_error(400, "bad_request", "deploymentType must be azure, azure_gov or azure_china")
    echoed, features = azureonboarding.supported_features(
        str(account_type), bool(body.get("rootSyncEnabled"))
    )
    return {
        "cloudType": cloud_type,
        "deploymentType": DEPLOYMENT_NAMES[deployment],
        "accountType": echoed,
        "licenseType": "ENTERPRISE",
        "supportedFeatures": features,
    }


@router.post("/cas/v1/azure_template")
async def azure_template(request: Request, _: Auth) -> JSONResponse:
    body = await json_object(request)
    account_type = body.get("accountType")
    if account_type not in ("account", "tenant"):
        raise onboarding_error(400, "bad_request", "accountType must be account or tenant")
    tenant_id = body.get("tenantId")
    subscription_id = body.get("subscriptionId")
    if not isinstance(tenant_id, str) or not azureonboarding.UUID_RE.match(tenant_id):
        raise onboarding_error(400, "invalid_account_id_format", "tenantId must be a UUID")
    if account_type == "account" and (
        not isinstance(subscription_id, str) or not azureonboarding.UUID_RE.match(subscription_id)
    ):
        raise onboarding_error(
            400, "invalid_account_id_format", "subscriptionId must be a UUID for an account"
        )
    deployment = body.get("deploymentType") or "azure"
    if deployment not in ("azure", "azure_gov"):
        raise onboarding_error(400, "bad_request", "templates exist for azure and azure_gov only")
    features = body.get("features") or []
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise onboarding_error(400, "bad_request", "features must be a list of feature names")
    if len(set(features)) != len(features):
        raise onboarding_error(400, "bad_request", "features must be unique")
    if accountviews.BASE_FEATURE in features:
        raise onboarding_error(
            400, "bad_request", f"{accountviews.BASE_FEATURE} is always enabled; do not send it"
        )
    unknown = [f for f in features if f not in azureonboarding.KNOWN_FEATURES]
    if unknown:
        raise onboarding_error(400, "bad_request", f"unknown features: {', '.join(unknown)}")
    doc = azuretemplate.build(
        str(account_type),
        tenant_id=tenant_id,
        subscription_id=subscription_id if account_type == "account" else None,
        features=features,
        root_sync=bool(body.get("rootSyncEnabled")),
        deployment_type=str(deployment),
    )
    return JSONResponse(doc, headers={"Content-Disposition": 'attachment; filename="terraform.tf.json"'})


@router.post("/cas/v1/cloud_account/status/azure")
async def status_precheck(request: Request, _: Auth, emu: Emu) -> list[dict[str, Any]]:
    state = state_of(emu)
    body = await json_object(request)
    with state.lock:
        try:
            # A dry run: an already-onboarded account is fine to check again.
            raw = body.get("cloudAccount")
            account: dict[str, Any] = raw if isinstance(raw, dict) else {}
            existing = state.find_account("azure", str(account.get("accountId") or body.get("tenantId")))
            fields = azureonboarding.validate(state, body, existing)
        except OnboardingProblem as problem:
            raise _cas(problem) from None
    return azureonboarding.precheck(fields)


@router.post("/cas/v1/azure_account")
async def add_azure_account(request: Request, principal: Auth, emu: Emu) -> Response:
    state = state_of(emu)
    body = await json_object(request)
    with state.lock:
        try:
            fields = azureonboarding.validate(state, body)
        except OnboardingProblem as problem:
            raise _cas(problem) from None
        if not flag(request.query_params.get("skipStatusChecks")):
            failing = [c for c in azureonboarding.precheck(fields) if c["status"] == "error"]
            if failing:
                raise onboarding_error(400, "bad_request", failing[0]["statusMessage"]["message"])
        account = azureonboarding.add(state, fields, principal.access_key_id)
    state.record(
        principal.access_key_id,
        "CREATE",
        f"Azure account '{account.name}' onboarded",
        "Cloud Account",
        account.name,
    )
    return empty_ok()


@router.put("/cas/v1/azure_account/{account_id}")
async def update_azure_account(account_id: str, request: Request, principal: Auth, emu: Emu) -> Response:
    state = state_of(emu)
    body = await json_object(request)
    with state.lock:
        account = state.find_account("azure", account_id)
        if account is None:
            raise onboarding_error(404, "not_found", f"no Azure account {account_id}")
        try:
            fields = azureonboarding.validate(state, body, account)
        except OnboardingProblem as problem:
            raise _cas(problem) from None
        if fields["account_id"] != account.account_id:
            raise onboarding_error(400, "invalid_account_id_format", "the body names another account")
        azureonboarding.update(state, account, fields, principal.access_key_id)
    state.record(
        principal.access_key_id,
        "UPDATE",
        f"Azure account '{account.name}' updated",
        "Cloud Account",
        account.name,
    )
    return empty_ok()


@router.get("/account/{account_id}/config/status")
def config_status(account_id: str, _: Auth, emu: Emu) -> list[dict[str, Any]]:
    """Component statuses; they evolve on the emulator clock after onboarding (see accountviews)."""
    state = state_of(emu)
    with state.lock:
        account = state.find_account(None, account_id)
        if account is None:
            raise errors.RedlockError(400, "bad_request", subject=clip(account_id))
        if account.onboarded_at_ms is None or account.client_id is None:
            elapsed = math.inf  # generated accounts were onboarded long ago and have settled
        else:
            elapsed = (state.now_ms() - account.onboarded_at_ms) / 1000
        return accountviews.config_status(account, elapsed, state.config.status_delay)
