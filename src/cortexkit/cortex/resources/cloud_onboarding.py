"""`public_api/v1/cloud_onboarding/*`: instances, their details and accounts, enable/disable, approved Azure
tenants, regions, templates. Field names follow the official Go SDK (`types/cloudonboarding`).

`create_instance_template` and `edit_instance` create or change state and are never resent blindly (the
Go SDK resends them and leaves orphan PENDING instances). A lost answer to `create_instance_template` is
reconciled by a lookup: the one PENDING instance of that name created since the call gets fresh links from
`edit_instance` (as the docs say to regenerate a link) instead of a second instance; none or several raise
`OutcomeUnknownError` saying which.
"""

from __future__ import annotations

import re
import time
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
from cortexkit.pagination import RequestSpec

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


def probe_call(max_retries: int | None = 0) -> Call[None]:
    """One row of `get_instances`: the cheapest documented read of the onboarding API, sent once by
    default, so an outage breaker can ask "is Cortex answering?" without the client's own retries."""
    body = {"filter_data": {"paging": {"from": 0, "to": 1}}}
    spec = RequestSpec(
        "POST", f"{BASE}/get_instances", json={"request_data": body}, idempotent=True, max_retries=max_retries
    )
    return Call(spec, lambda body: None)


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


def delete_instances(ids: Sequence[str]) -> Call[None]:
    # Not resent on a lost answer: a second try would answer 404 for what the first one deleted.
    return Call(post(f"{BASE}/delete_instance", {"ids": list(ids)}, read_only=False), _empty)


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


RECONCILE_WINDOW_S = 600.0
"""How far back (seconds, on the local clock) a PENDING instance counts as created by the lost call: the
server's clock may be minutes off (the skew window is not documented; 300 s either way is the guess)."""
EDIT_FIELDS = (
    "instance_name",
    "cloud_provider",
    "cloud_partition",
    "scan_env_id",
    "custom_resources_tags",
    "collection_configuration",
    "scope_modifications",
    "additional_capabilities",
)


def orphan_pager(request_data: Mapping[str, Any]) -> Paged[Instance] | None:
    """The lookup for what a lost create may have made: PENDING instances of its name (None: no name)."""
    name = request_data.get("instance_name")
    if not isinstance(name, str) or not name:
        return None
    return instances_pager(status="PENDING", name=name)


def reconciled_id(
    rows: Sequence[Instance],
    request_data: Mapping[str, Any],
    started: float,
    lost: errors.OutcomeUnknownError,
) -> str:
    """The instance the lost create made, or `OutcomeUnknownError` saying why it cannot be told (pure)."""
    name = request_data.get("instance_name")
    found = [r for r in rows if (r.created_s or 0.0) >= started - RECONCILE_WINDOW_S]
    if len(found) == 1:
        return found[0].instance_id
    if not found:
        raise errors.OutcomeUnknownError(
            f"{lost}; no PENDING instance named {name!r} has appeared since, so it most likely did not "
            "take effect: send it again"
        )
    ids = ", ".join(r.instance_id for r in found)
    raise errors.OutcomeUnknownError(
        f"{lost}; {len(found)} PENDING instances named {name!r} appeared since ({ids}): keep one and delete "
        "the others under Settings > Data Sources (PENDING filter) before sending it again"
    )


def edit_changes(request_data: Mapping[str, Any]) -> dict[str, Any]:
    """The create body's fields that `edit_instance` takes, so the recovered links match the request."""
    return {key: request_data[key] for key in EDIT_FIELDS if key in request_data}


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

    def probe(self, *, max_retries: int | None = 0) -> None:
        """Raise unless the onboarding API answers a one-row `get_instances` (one attempt by default)."""
        self._run(probe_call(max_retries))

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

    def delete_instances(self, ids: Sequence[str]) -> None:
        """Delete instances (an orphan PENDING one included); their cloud resources stay in the CSP."""
        self._run(delete_instances(ids))

    def enable_accounts(self, instance_id: str, ids: Sequence[str]) -> None:
        self._run(enable_disable_accounts(instance_id, ids, True))

    def disable_accounts(self, instance_id: str, ids: Sequence[str]) -> None:
        self._run(enable_disable_accounts(instance_id, ids, False))

    def approved_tenants(self, cloud_partition: str | None = None) -> list[ApprovedTenant]:
        return self._run(approved_tenants(cloud_partition))

    def regions(self, cloud_provider: str = "AZURE", cloud_partition: str | None = None) -> list[Region]:
        return self._run(regions(cloud_provider, cloud_partition))

    def create_instance_template(
        self, request_data: Mapping[str, Any], *, reconcile: bool = True
    ) -> TemplateLinks:
        """A new PENDING instance and its template links; a lost answer is reconciled (module docstring)."""
        started = time.time()
        try:
            return self._run(create_instance_template(request_data))
        except errors.OutcomeUnknownError as lost:
            lookup = orphan_pager(request_data) if reconcile else None
            if lookup is None:
                raise
            instance_id = reconciled_id(list(self._iter(lookup, None)), request_data, started, lost)
        return self.edit_instance(instance_id, edit_changes(request_data))

    def edit_instance(self, instance_id: str, changes: Mapping[str, Any]) -> TemplateLinks:
        return self._run(edit_instance(instance_id, changes))


class AsyncCloudOnboarding(AsyncCortexResource):
    def instances(self, *, max_items: int | None = None, **filters: Any) -> AsyncIterator[Instance]:
        return self._iter(instances_pager(**filters), max_items)

    async def find_instance(self, instance_id: str) -> Instance | None:
        async for row in self._iter(find_pager(instance_id), 1):
            return row
        return None

    async def probe(self, *, max_retries: int | None = 0) -> None:
        await self._run(probe_call(max_retries))

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

    async def delete_instances(self, ids: Sequence[str]) -> None:
        await self._run(delete_instances(ids))

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

    async def create_instance_template(
        self, request_data: Mapping[str, Any], *, reconcile: bool = True
    ) -> TemplateLinks:
        started = time.time()
        try:
            return await self._run(create_instance_template(request_data))
        except errors.OutcomeUnknownError as lost:
            lookup = orphan_pager(request_data) if reconcile else None
            if lookup is None:
                raise
            rows = [row async for row in self._iter(lookup, None)]
            instance_id = reconciled_id(rows, request_data, started, lost)
        return await self.edit_instance(instance_id, edit_changes(request_data))

    async def edit_instance(self, instance_id: str, changes: Mapping[str, Any]) -> TemplateLinks:
        return await self._run(edit_instance(instance_id, changes))
