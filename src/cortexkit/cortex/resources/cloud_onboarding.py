"""`public_api/v1/cloud_onboarding/*`: instances, their details and accounts, enable/disable, approved Azure
tenants, regions, templates. Field names follow the official Go SDK (`types/cloudonboarding`).

`create_instance_template` and `edit_instance` create or change state and are never resent blindly (the
Go SDK resends them and leaves orphan PENDING instances): a lost answer raises `OutcomeUnknownError`;
reconcile with `find_instance(tracking_guid)` or by name.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from cortexkit import errors
from cortexkit.cortex.models import (
    ApprovedTenant,
    CloudAccount,
    Instance,
    InstanceDetails,
    Region,
    TemplateLinks,
)
from cortexkit.cortex.paging import CortexPager, all_of, where
from cortexkit.cortex.resources._base import (
    AsyncCortexResource,
    Call,
    CortexResource,
    Paged,
    post,
    reply_object,
    validate,
)

BASE = "/public_api/v1/cloud_onboarding"
TRACKING_GUID = re.compile(r"(?:arm|tf|cf)-([a-f0-9]{32})-")


def tracking_guid(links: TemplateLinks) -> str | None:
    """The new instance's id, from a template link (`arm-<32 hex>-...`), as the Terraform provider does."""
    automated = links.automated or {}
    if isinstance(automated.get("tracking_guid"), str) and automated["tracking_guid"]:
        return str(automated["tracking_guid"])
    for value in (links.manual or {}).values():
        if isinstance(value, str) and (m := TRACKING_GUID.search(value)):
            return m.group(1)
    return None


def _filter_data(
    condition: Mapping[str, Any] | None, sort: Sequence[Mapping[str, str]] | None
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if condition:
        data["filter"] = dict(condition)
    if sort:
        data["sort"] = [dict(s) for s in sort]
    return {"filter_data": data}


def instances_pager(
    *,
    status: str | None = None,
    cloud_provider: str | None = None,
    name: str | None = None,
    condition: Mapping[str, Any] | None = None,
    sort: Sequence[Mapping[str, str]] | None = None,
    page_size: int | None = None,
) -> Paged[Instance]:
    leaves = []
    if status:
        leaves.append(where("STATUS", "EQ", status.upper()))
    if cloud_provider:
        leaves.append(where("CLOUD_PROVIDER", "EQ", cloud_provider.upper()))
    if name:
        leaves.append(where("INSTANCE_NAME", "EQ", name))
    if condition:
        leaves.append(dict(condition))
    tree = all_of(*leaves) if leaves else None
    body = _filter_data(tree, sort)
    return Paged(
        CortexPager(f"{BASE}/get_instances", body, style="filter_data", page_size=page_size), Instance
    )


def find_pager(instance_id: str) -> Paged[Instance]:
    """`ID EQ <id>`: the one filter that also shows a PENDING instance (how the provider finds a new one)."""
    body = _filter_data(all_of(where("ID", "EQ", instance_id)), None)
    return Paged(CortexPager(f"{BASE}/get_instances", body, style="filter_data"), Instance)


def accounts_pager(
    instance_id: str,
    *,
    status: str | None = None,
    condition: Mapping[str, Any] | None = None,
    page_size: int | None = None,
) -> Paged[CloudAccount]:
    leaves = [where("STATUS", "EQ", status.upper())] if status else []
    if condition:
        leaves.append(dict(condition))
    body = {"instance_id": instance_id, **_filter_data(all_of(*leaves) if leaves else None, None)}
    return Paged(
        CortexPager(f"{BASE}/get_accounts", body, style="filter_data", page_size=page_size), CloudAccount
    )


def details(instance_id: str, id_field: str = "id") -> Call[InstanceDetails]:
    """`get_instance_details` with `{"id": ...}` (Go SDK); the docs' `instance_id` as the fallback."""
    return Call(
        post(f"{BASE}/get_instance_details", {id_field: instance_id}, read_only=True),
        lambda body: validate(InstanceDetails, reply_object(body, "InstanceDetails")),
    )


def _empty(_: Any) -> None:
    return None


def enable_disable_instances(ids: Sequence[str], enable: bool) -> Call[None]:
    # Setting the same flag twice leaves the same state: a resend is harmless.
    return Call(
        post(f"{BASE}/enable_disable_instance", {"ids": list(ids), "enable": enable}, read_only=True), _empty
    )


def enable_disable_accounts(instance_id: str, ids: Sequence[str], enable: bool) -> Call[None]:
    body = {"ids": list(ids), "instance_id": instance_id, "enable": enable}
    return Call(post(f"{BASE}/enable_disable_account", body, read_only=True), _empty)


def approved_tenants(cloud_partition: str | None = None) -> Call[list[ApprovedTenant]]:
    body = {"cloud_partition": cloud_partition} if cloud_partition else {}

    def parse(b: Any) -> list[ApprovedTenant]:
        tenants = reply_object(b, "approved tenants").get("tenants") or []
        if not isinstance(tenants, list):
            raise errors.UnexpectedResponseError("approved tenants: 'tenants' is not a list")
        return [validate(ApprovedTenant, t) for t in tenants if isinstance(t, Mapping)]

    return Call(post(f"{BASE}/get_azure_approved_tenants", body, read_only=True), parse)


def regions(cloud_provider: str = "AZURE", cloud_partition: str | None = None) -> Call[list[Region]]:
    body: dict[str, Any] = {"cloud_provider": cloud_provider.upper()}
    if cloud_partition:
        body["cloud_partition"] = cloud_partition

    def parse(b: Any) -> list[Region]:
        # The 1.2 docs show one object; a list is what a region list surely is. Accept both.
        reply = b.get("reply") if isinstance(b, Mapping) else None
        items = reply if isinstance(reply, list) else [reply] if isinstance(reply, Mapping) and reply else []
        return [validate(Region, r) for r in items if isinstance(r, Mapping)]

    return Call(post(f"{BASE}/list_regions", body, read_only=True), parse)


def create_instance_template(request_data: Mapping[str, Any]) -> Call[TemplateLinks]:
    return Call(
        post(f"{BASE}/create_instance_template", request_data, read_only=False),
        lambda b: validate(TemplateLinks, reply_object(b, "TemplateLinks")),
    )


def edit_instance(instance_id: str, changes: Mapping[str, Any]) -> Call[TemplateLinks]:
    return Call(
        post(f"{BASE}/edit_instance", {"id": instance_id, **changes}, read_only=False),
        lambda b: validate(TemplateLinks, reply_object(b, "TemplateLinks")),
    )


def _id_rejected(exc: errors.APIError) -> bool:
    """A 400/422 whose field errors name `id`/`instance_id`: the server wants the other spelling."""
    from cortexkit.cortex.errors import field_errors

    if exc.status not in (400, 422):
        return False
    text = " ".join(str(f) for f in field_errors(exc)) + " " + (exc.message or "")
    return "instance_id" in text or re.search(r"\bid\b", text) is not None


class CloudOnboarding(CortexResource):
    def instances(self, *, max_items: int | None = None, **filters: Any) -> Iterator[Instance]:
        """Instances, lazily (PENDING ones are hidden by the server unless `status="PENDING"`)."""
        return self._iter(instances_pager(**filters), max_items)

    def find_instance(self, instance_id: str) -> Instance | None:
        """The instance with this id (or tracking GUID), PENDING included; None when there is none."""
        return next(iter(self._iter(find_pager(instance_id), 1)), None)

    def instance(self, instance_id: str) -> InstanceDetails:
        try:
            return self._run(details(instance_id))
        except errors.BadRequestError as exc:
            if not _id_rejected(exc):
                raise
            return self._run(details(instance_id, "instance_id"))

    def accounts(
        self, instance_id: str, *, max_items: int | None = None, **filters: Any
    ) -> Iterator[CloudAccount]:
        return self._iter(accounts_pager(instance_id, **filters), max_items)

    def enable_instances(self, ids: Sequence[str]) -> None:
        self._run(enable_disable_instances(ids, True))

    def disable_instances(self, ids: Sequence[str]) -> None:
        self._run(enable_disable_instances(ids, False))

    def enable_accounts(self, instance_id: str, ids: Sequence[str]) -> None:
        self._run(enable_disable_accounts(instance_id, ids, True))

    def disable_accounts(self, instance_id: str, ids: Sequence[str]) -> None:
        self._run(enable_disable_accounts(instance_id, ids, False))

    def approved_tenants(self, cloud_partition: str | None = None) -> list[ApprovedTenant]:
        return self._run(approved_tenants(cloud_partition))

    def regions(self, cloud_provider: str = "AZURE", cloud_partition: str | None = None) -> list[Region]:
        return self._run(regions(cloud_provider, cloud_partition))

    def create_instance_template(self, request_data: Mapping[str, Any]) -> TemplateLinks:
        return self._run(create_instance_template(request_data))

    def edit_instance(self, instance_id: str, changes: Mapping[str, Any]) -> TemplateLinks:
        return self._run(edit_instance(instance_id, changes))


class AsyncCloudOnboarding(AsyncCortexResource):
    def instances(self, *, max_items: int | None = None, **filters: Any) -> AsyncIterator[Instance]:
        return self._iter(instances_pager(**filters), max_items)

    async def find_instance(self, instance_id: str) -> Instance | None:
        async for row in self._iter(find_pager(instance_id), 1):
            return row
        return None

    async def instance(self, instance_id: str) -> InstanceDetails:
        try:
            return await self._run(details(instance_id))
        except errors.BadRequestError as exc:
            if not _id_rejected(exc):
                raise
            return await self._run(details(instance_id, "instance_id"))

    def accounts(
        self, instance_id: str, *, max_items: int | None = None, **filters: Any
    ) -> AsyncIterator[CloudAccount]:
        return self._iter(accounts_pager(instance_id, **filters), max_items)

    async def enable_instances(self, ids: Sequence[str]) -> None:
        await self._run(enable_disable_instances(ids, True))

    async def disable_instances(self, ids: Sequence[str]) -> None:
        await self._run(enable_disable_instances(ids, False))

    async def enable_accounts(self, instance_id: str, ids: Sequence[str]) -> None:
        await self._run(enable_disable_accounts(instance_id, ids, True))

    async def disable_accounts(self, instance_id: str, ids: Sequence[str]) -> None:
        await self._run(enable_disable_accounts(instance_id, ids, False))

    async def approved_tenants(self, cloud_partition: str | None = None) -> list[ApprovedTenant]:
        return await self._run(approved_tenants(cloud_partition))

    async def regions(
        self, cloud_provider: str = "AZURE", cloud_partition: str | None = None
    ) -> list[Region]:
        return await self._run(regions(cloud_provider, cloud_partition))

    async def create_instance_template(self, request_data: Mapping[str, Any]) -> TemplateLinks:
        return await self._run(create_instance_template(request_data))

    async def edit_instance(self, instance_id: str, changes: Mapping[str, Any]) -> TemplateLinks:
        return await self._run(edit_instance(instance_id, changes))
