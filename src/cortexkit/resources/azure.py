"""Azure onboarding, v2 (`/cas/v1/...`): supported features, Terraform template, pre-flight status,
add, update, config status, and a lookup of an existing account by subscription id.

`add_account` is the one creating call: it is never resent after an ambiguous failure (the client raises
`OutcomeUnknownError`); reconcile with `find_by_subscription` before trying again. The body carries the
Azure client secret (`key`); the client never logs bodies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from cortexkit.pagination import RequestSpec
from cortexkit.resources._base import AsyncResource, Call, SyncResource, clean, many, one, raw
from cortexkit.resources.cloud_accounts import list_call as cloud_list_call
from cortexkit.resources.cloud_accounts import seg
from cortexkit.resources.models import AccountStatus, CloudAccount, SupportedFeatures

ALWAYS_ON_FEATURE = "Cloud Visibility Compliance and Governance"
"""Always enabled; the API refuses it in `features`, so it is dropped from requests."""

AccountType = Literal["account", "tenant"]
Environment = Literal["azure", "azure_gov", "azure_china"]


def features_call(
    account_type: str = "account",
    *,
    deployment_type: Environment = "azure",
    root_sync_enabled: bool | None = None,
) -> Call[SupportedFeatures]:
    body = clean(accountType=account_type, deploymentType=deployment_type, rootSyncEnabled=root_sync_enabled)
    return Call(RequestSpec("POST", "/cas/v1/features/cloud/azure", json=body), one(SupportedFeatures))


def template_call(
    *,
    account_type: AccountType,
    tenant_id: str,
    subscription_id: str | None = None,
    features: Sequence[str] = (),
    deployment_type: Literal["azure", "azure_gov"] = "azure",
    root_sync_enabled: bool | None = None,
) -> Call[Any]:
    if account_type == "account" and not subscription_id:
        raise ValueError("a subscription account needs subscription_id")
    body = clean(
        accountType=account_type,
        tenantId=tenant_id,
        subscriptionId=subscription_id,
        features=[f for f in dict.fromkeys(features) if f != ALWAYS_ON_FEATURE],
        deploymentType=deployment_type,
        rootSyncEnabled=root_sync_enabled,
    )
    return Call(RequestSpec("POST", "/cas/v1/azure_template", json=body), raw)


def _params(skip_status_checks: bool) -> dict[str, str] | None:
    return {"skipStatusChecks": "true"} if skip_status_checks else None


def status_check_call(body: Mapping[str, Any]) -> Call[list[AccountStatus]]:
    return Call(
        RequestSpec("POST", "/cas/v1/cloud_account/status/azure", json=dict(body)), many(AccountStatus)
    )


def add_call(body: Mapping[str, Any], *, skip_status_checks: bool = False) -> Call[Any]:
    spec = RequestSpec(
        "POST", "/cas/v1/azure_account", params=_params(skip_status_checks), json=dict(body), idempotent=False
    )
    return Call(spec, raw)


def update_call(account_id: str, body: Mapping[str, Any], *, skip_status_checks: bool = False) -> Call[Any]:
    spec = RequestSpec(
        "PUT", f"/cas/v1/azure_account/{seg(account_id)}", params=_params(skip_status_checks), json=dict(body)
    )
    return Call(spec, raw)


def config_status_call(account_id: str) -> Call[Any]:
    return Call(RequestSpec("GET", f"/account/{seg(account_id)}/config/status"), raw)


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
        deployment_type: Environment = "azure",
        root_sync_enabled: bool | None = None,
    ) -> SupportedFeatures:
        return self._run(
            features_call(account_type, deployment_type=deployment_type, root_sync_enabled=root_sync_enabled)
        )

    def template(self, **kwargs: Any) -> Any:
        """The Terraform JSON template; arguments as `template_call`."""
        return self._run(template_call(**kwargs))

    def status_check(self, body: Mapping[str, Any]) -> list[AccountStatus]:
        return self._run(status_check_call(body))

    def add_account(self, body: Mapping[str, Any], *, skip_status_checks: bool = False) -> Any:
        return self._run(add_call(body, skip_status_checks=skip_status_checks))

    def update_account(
        self, account_id: str, body: Mapping[str, Any], *, skip_status_checks: bool = False
    ) -> Any:
        return self._run(update_call(account_id, body, skip_status_checks=skip_status_checks))

    def config_status(self, account_id: str) -> Any:
        return self._run(config_status_call(account_id))

    def find_by_subscription(self, subscription_id: str) -> CloudAccount | None:
        """The onboarded account for a subscription, if any (reconciliation after an unknown outcome)."""
        return pick_subscription(self._run(cloud_list_call(include_pending=True)), subscription_id)


class AsyncAzure(AsyncResource):
    async def supported_features(
        self,
        account_type: str = "account",
        *,
        deployment_type: Environment = "azure",
        root_sync_enabled: bool | None = None,
    ) -> SupportedFeatures:
        return await self._run(
            features_call(account_type, deployment_type=deployment_type, root_sync_enabled=root_sync_enabled)
        )

    async def template(self, **kwargs: Any) -> Any:
        return await self._run(template_call(**kwargs))

    async def status_check(self, body: Mapping[str, Any]) -> list[AccountStatus]:
        return await self._run(status_check_call(body))

    async def add_account(self, body: Mapping[str, Any], *, skip_status_checks: bool = False) -> Any:
        return await self._run(add_call(body, skip_status_checks=skip_status_checks))

    async def update_account(
        self, account_id: str, body: Mapping[str, Any], *, skip_status_checks: bool = False
    ) -> Any:
        return await self._run(update_call(account_id, body, skip_status_checks=skip_status_checks))

    async def config_status(self, account_id: str) -> Any:
        return await self._run(config_status_call(account_id))

    async def find_by_subscription(self, subscription_id: str) -> CloudAccount | None:
        return pick_subscription(await self._run(cloud_list_call(include_pending=True)), subscription_id)
