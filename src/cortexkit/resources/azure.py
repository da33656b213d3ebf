"""Azure onboarding, v2 (`/cas/v1/...`): supported features, Terraform template, pre-flight status,
add, update, config status, and two lookups of an existing account: by its id (`get_by_id`, one small
answer) and through the tenant's whole list (`find_by_subscription`, pending accounts included).

`add_account` is the one creating call: it is never resent after an ambiguous failure (the client raises
`OutcomeUnknownError`); reconcile with `find_by_subscription` before trying again. The body carries the
Azure client secret (`key`); the client never logs bodies.

What is known and what is assumed about the two lookups:
- Known: an Azure subscription account's Prisma id is the subscription id (`cloudAccount.accountId`,
  `/work/shared/reference/azure.md` "accountType=account is a subscription"); `GET /cloud/{cloud_type}/{id}`
  reads one account (spec `CloudAccountOnboardingMicroServices.json`, operation `get-cloud-account`, which
  documents only its 200); `GET /cloud?includePendingAccounts=true` lists pending accounts too.
- Not documented: whether the by-id read answers for an account that is still pending. The Terraform
  provider polls its by-id read after a create "until success" (reference `azure.md`, Create), so a
  just-added account may not be readable by id at once. Assumed: a 404 (or a 400
  `invalid_account_id_format`, the key the sibling DELETE documents for an unknown id) from the by-id read
  means "not readable by id", never "absent": only the listing may say an account is absent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from cortexkit import errors
from cortexkit.pagination import RequestSpec
from cortexkit.resources._base import AsyncResource, Call, SyncResource, clean, many, none, one
from cortexkit.resources.cloud_accounts import get_call as cloud_get_call
from cortexkit.resources.cloud_accounts import list_call as cloud_list_call
from cortexkit.resources.cloud_accounts import seg
from cortexkit.resources.cloud_accounts import status_call as cloud_status_call
from cortexkit.resources.models import AccountStatus, AzureTemplate, CloudAccount, SupportedFeatures

ALWAYS_ON_FEATURE = "Cloud Visibility Compliance and Governance"
"""Always enabled; the API refuses it in `features`, so it is dropped from requests (the one definition)."""

AccountType = Literal["account", "tenant"]
Environment = Literal["azure", "azure_gov", "azure_china"]


def requestable(features: Sequence[str]) -> list[str]:
    """Features as the API takes them: deduplicated, without the always-on one it refuses."""
    return [f for f in dict.fromkeys(features) if f != ALWAYS_ON_FEATURE]


def features_body(
    account_type: str = "account", *, deployment_type: str = "azure", root_sync_enabled: bool | None = None
) -> dict[str, Any]:
    """The `/cas/v1/features/cloud/azure` body (the one definition: the engine, the UI and the plan)."""
    return clean(accountType=account_type, deploymentType=deployment_type, rootSyncEnabled=root_sync_enabled)


def features_call(
    account_type: str = "account",
    *,
    deployment_type: Environment | str = "azure",
    root_sync_enabled: bool | None = None,
) -> Call[SupportedFeatures]:
    body = features_body(account_type, deployment_type=deployment_type, root_sync_enabled=root_sync_enabled)
    return Call(RequestSpec("POST", "/cas/v1/features/cloud/azure", json=body), one(SupportedFeatures))


def account_body(
    *,
    account_type: AccountType,
    name: str,
    tenant_id: str,
    client_id: str,
    key: str,
    service_principal_id: str,
    subscription_id: str | None = None,
    group_ids: Sequence[str] = (),
    environment: str = "azure",
    monitor_flow_logs: bool = False,
    features: Sequence[str] = (),
    root_sync_enabled: bool = False,
    default_account_group_id: str | None = None,
    hierarchy_selection: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The `/cas/v1/azure_account` body, also sent to the pre-flight check. Holds the secret (`key`):
    never log it. No `group_ids` leaves `groupIds` out, so Prisma files the account in the Default Account
    Group: an empty list is refused (`cannot_select_zero_account_groups`) for a subscription."""
    cloud_account: dict[str, Any] = {"accountType": account_type, "name": name, "enabled": True}
    if group_ids:
        cloud_account["groupIds"] = list(group_ids)
    if account_type == "account":
        cloud_account["accountId"] = subscription_id
    body: dict[str, Any] = {
        "cloudAccount": cloud_account,
        "clientId": client_id,
        "key": key,
        "tenantId": tenant_id,
        "servicePrincipalId": service_principal_id,
        "environmentType": environment,
        "monitorFlowLogs": monitor_flow_logs,
        "features": [{"name": f, "state": "enabled"} for f in requestable(features)],
    }
    if account_type == "tenant":
        body["rootSyncEnabled"] = root_sync_enabled
        if default_account_group_id:
            body["defaultAccountGroupId"] = default_account_group_id
        if hierarchy_selection:
            body["hierarchySelection"] = [dict(node) for node in hierarchy_selection]
    return body


def template_call(
    *,
    account_type: AccountType,
    tenant_id: str,
    subscription_id: str | None = None,
    features: Sequence[str] = (),
    deployment_type: Literal["azure", "azure_gov"] = "azure",
    root_sync_enabled: bool | None = None,
) -> Call[AzureTemplate]:
    if account_type == "account" and not subscription_id:
        raise ValueError("a subscription account needs subscription_id")
    body = clean(
        accountType=account_type,
        tenantId=tenant_id,
        subscriptionId=subscription_id,
        features=requestable(features),
        deploymentType=deployment_type,
        rootSyncEnabled=root_sync_enabled,
    )
    return Call(RequestSpec("POST", "/cas/v1/azure_template", json=body), one(AzureTemplate))


def _params(skip_status_checks: bool) -> dict[str, str] | None:
    return {"skipStatusChecks": "true"} if skip_status_checks else None


def status_check_call(body: Mapping[str, Any]) -> Call[list[AccountStatus]]:
    return Call(
        RequestSpec("POST", "/cas/v1/cloud_account/status/azure", json=dict(body)), many(AccountStatus)
    )


def add_call(body: Mapping[str, Any], *, skip_status_checks: bool = False) -> Call[None]:
    """The one creating call (the API answers with an empty body): never resent blindly."""
    spec = RequestSpec(
        "POST", "/cas/v1/azure_account", params=_params(skip_status_checks), json=dict(body), idempotent=False
    )
    return Call(spec, none)


def update_call(account_id: str, body: Mapping[str, Any], *, skip_status_checks: bool = False) -> Call[None]:
    spec = RequestSpec(
        "PUT", f"/cas/v1/azure_account/{seg(account_id)}", params=_params(skip_status_checks), json=dict(body)
    )
    return Call(spec, none)


def config_status_call(account_id: str) -> Call[list[AccountStatus]]:
    """`GET /account/{id}/config/status` (the same call as `cloud_accounts.status_call`)."""
    return cloud_status_call(account_id)


def lookup_call() -> Call[list[CloudAccount]]:
    """Every account, pending ones included (a just-added account may not be listed otherwise)."""
    return cloud_list_call(include_pending=True)


def by_id_call(account_id: str) -> Call[CloudAccount]:
    """One Azure account by its Prisma id (a subscription's is its subscription id): a constant-size
    answer, however many accounts the tenant has."""
    return cloud_get_call("azure", account_id)


NOT_READABLE_KEYS = frozenset({"invalid_account_id_format"})


def not_readable_by_id(exc: errors.APIError) -> bool:
    """Whether a by-id read's error means "no account readable under this id" (see the module doc: not
    proof that the account is absent)."""
    if isinstance(exc, errors.NotFoundError):
        return True
    return exc.status == 400 and bool(NOT_READABLE_KEYS & set(exc.i18n_keys))


def same_account(account: CloudAccount, account_id: str) -> CloudAccount | None:
    """The by-id answer when it is the account asked for (ids compared case-insensitively)."""
    found = (account.accountId or "").lower()
    return account if not found or found == account_id.lower() else None


def pick_subscription(accounts: list[CloudAccount], subscription_id: str) -> CloudAccount | None:
    want = subscription_id.lower()
    for account in accounts:
        if (account.cloudType or "").lower() == "azure" and (account.accountId or "").lower() == want:
            return account
    return None


class Azure(SyncResource):
    def supported_features(
        self,
        account_type: str = "account",
        *,
        deployment_type: Environment | str = "azure",
        root_sync_enabled: bool | None = None,
    ) -> SupportedFeatures:
        return self._run(
            features_call(account_type, deployment_type=deployment_type, root_sync_enabled=root_sync_enabled)
        )

    def template(self, **kwargs: Any) -> AzureTemplate:
        """The Terraform JSON template; arguments as `template_call`."""
        return self._run(template_call(**kwargs))

    def status_check(self, body: Mapping[str, Any]) -> list[AccountStatus]:
        return self._run(status_check_call(body))

    def add_account(self, body: Mapping[str, Any], *, skip_status_checks: bool = False) -> None:
        self._run(add_call(body, skip_status_checks=skip_status_checks))

    def update_account(
        self, account_id: str, body: Mapping[str, Any], *, skip_status_checks: bool = False
    ) -> None:
        self._run(update_call(account_id, body, skip_status_checks=skip_status_checks))

    def config_status(self, account_id: str) -> list[AccountStatus]:
        return self._run(config_status_call(account_id))

    def get_by_id(self, account_id: str) -> CloudAccount | None:
        """The Azure account with this Prisma id, or None when none is readable by id (which a pending
        account may not be: only `find_by_subscription` proves an account absent)."""
        try:
            return same_account(self._run(by_id_call(account_id)), account_id)
        except errors.APIError as exc:
            if not_readable_by_id(exc):
                return None
            raise

    def find_by_subscription(self, subscription_id: str) -> CloudAccount | None:
        """The onboarded account for a subscription (or tenant) id, pending ones included, if any: the
        whole tenant's list, so it costs what the tenant's size does (reconciliation on the rare paths)."""
        return pick_subscription(self._run(lookup_call()), subscription_id)


class AsyncAzure(AsyncResource):
    async def supported_features(
        self,
        account_type: str = "account",
        *,
        deployment_type: Environment | str = "azure",
        root_sync_enabled: bool | None = None,
    ) -> SupportedFeatures:
        return await self._run(
            features_call(account_type, deployment_type=deployment_type, root_sync_enabled=root_sync_enabled)
        )

    async def template(self, **kwargs: Any) -> AzureTemplate:
        return await self._run(template_call(**kwargs))

    async def status_check(self, body: Mapping[str, Any]) -> list[AccountStatus]:
        return await self._run(status_check_call(body))

    async def add_account(self, body: Mapping[str, Any], *, skip_status_checks: bool = False) -> None:
        await self._run(add_call(body, skip_status_checks=skip_status_checks))

    async def update_account(
        self, account_id: str, body: Mapping[str, Any], *, skip_status_checks: bool = False
    ) -> None:
        await self._run(update_call(account_id, body, skip_status_checks=skip_status_checks))

    async def config_status(self, account_id: str) -> list[AccountStatus]:
        return await self._run(config_status_call(account_id))

    async def get_by_id(self, account_id: str) -> CloudAccount | None:
        try:
            return same_account(await self._run(by_id_call(account_id)), account_id)
        except errors.APIError as exc:
            if not_readable_by_id(exc):
                return None
            raise

    async def find_by_subscription(self, subscription_id: str) -> CloudAccount | None:
        return pick_subscription(await self._run(lookup_call()), subscription_id)
