"""Dry run of a Cortex job: every call it would make, in order, from the builders its steps send.

Pure (no credentials, no network): Cortex calls come from `cortex.resources.cloud_onboarding`, Azure calls
from `cortexkit.azure.deployments` / `.preflight`, with the template request of `cortex.template`. Ids only
a run learns (the instance id, what Azure lists) are shown as placeholders.
"""

from __future__ import annotations

from typing import Any

from cortexkit.azure import deployments, preflight, token
from cortexkit.azure.endpoints import AzureEndpoints
from cortexkit.azure.request import AzureRequest
from cortexkit.cortex import template
from cortexkit.cortex.resources import cloud_onboarding as co
from cortexkit.cortex.resources._base import Call, Paged
from cortexkit.onboarding.cortexflow.spec import (
    CortexOptions,
    deployment_name,
    deployment_scope,
    permission_scope,
    template_spec,
)
from cortexkit.onboarding.plan import SECRET_MARKER, PlannedCall

INSTANCE = "<instance id>"
JOB = "JOB_ID"  # a deployment name allows no angle brackets
AZURE_SERVICES = {"login": "entra", "graph": "graph", "arm": "arm"}


def _cortex(step: str, call: Call[Any] | Paged[Any], purpose: str) -> PlannedCall:
    if isinstance(call, Paged):
        first = call.pager.first()
        return PlannedCall(step, "cortex", first.method, first.path, purpose, dict(first.json or {}))
    spec = call.spec
    body = dict(spec.json) if isinstance(spec.json, dict) else None
    return PlannedCall(step, "cortex", spec.method, spec.path, purpose, body)


def _azure(step: str, request: AzureRequest, purpose: str) -> PlannedCall:
    body = dict(request.json) if isinstance(request.json, dict) else None
    params = dict(request.params) if request.params else None
    service = AZURE_SERVICES[request.api]
    return PlannedCall(step, service, request.method, f"/{request.path}", purpose, body, params)


def _local(step: str, what: str, purpose: str) -> PlannedCall:
    return PlannedCall(step, "local", "RUN", what, purpose)


def plan(
    tenant_id: str,
    name: str,
    options: CortexOptions,
    subscription_id: str | None = None,
    client_id: str | None = None,
) -> list[PlannedCall]:
    body = template.request_data(
        template_spec(tenant_id, name, options, subscription_id, ["<subscription id>"])
    )
    scope = deployment_scope(options, subscription_id, tenant_id)
    perm_scope = permission_scope(options, subscription_id, tenant_id)
    dep = deployment_name(JOB)
    calls = [_cortex("preflight", co.approved_tenants(), "the tenant approved Cortex's app (admin consent)")]
    if options.deploy != "manual" or client_id:
        arm = AzureEndpoints().arm
        graph = AzureEndpoints().graph
        operator = client_id or "<client id>"
        calls.append(
            _azure(
                "preflight", token.client_credentials(tenant_id, operator, SECRET_MARKER, arm), "ARM token"
            )
        )
        if options.scope == "management-group":
            listing = preflight.descendants(str(options.management_group_id))
        elif options.scope == "tenant":
            listing = preflight.subscriptions()
        else:
            listing = None
        if listing is not None:
            calls.append(_azure("preflight", listing, "the subscriptions under the scope"))
        calls += [
            _azure("preflight", preflight.permissions(perm_scope), "the caller's ARM permissions"),
            _azure("preflight", preflight.deny_assignments(perm_scope), "deny assignments"),
            _azure("preflight", preflight.providers(subscription_id or "<each subscription>"), "providers"),
            _azure(
                "preflight",
                token.client_credentials(tenant_id, operator, SECRET_MARKER, graph),
                "Graph token",
            ),
            _azure("preflight", preflight.conditional_access_policies(), "Conditional Access policies"),
        ]
    calls += [
        _cortex(
            "template", co.instances_pager(status="PENDING", name=name), "a PENDING instance of this name"
        ),
        _cortex("template", co.create_instance_template(body), "create the template (once)"),
        _local("download", "GET <ARM link>, GET <TF link>", "download both packages (sha256, 0700 folder)"),
    ]
    if options.deploy == "arm":
        placeholder = deployments.deployment_body({"<template.json>": "..."}, {}, location=options.location)
        calls += [
            _azure("deploy", deployments.get(scope, dep), "adopt the job's deployment if it exists"),
            _azure("deploy", deployments.what_if(scope, dep, placeholder), "what-if (shown, recorded)"),
            PlannedCall("deploy", "arm", "GET", "<the what-if's Location>", "the what-if result (polled)"),
            _azure("deploy", deployments.create_or_update(scope, dep, placeholder), "deploy (fixed name)"),
            _azure("deploy", deployments.get(scope, dep), "poll to a terminal state"),
            _azure("deploy", deployments.operations(scope, dep), "the resources as they are made"),
        ]
    elif options.deploy == "terraform":
        calls += [
            _local("deploy", "terraform init", "providers in the package folder"),
            _local("deploy", "terraform apply -auto-approve -json", "run the package (ARM_* sign-in)"),
        ]
    else:
        calls.append(_local("deploy", "az deployment ... create", "the user runs the package; the job waits"))
    calls += [
        _cortex("wait_cortex", co.find_pager(INSTANCE), "instance status (polled until not PENDING)"),
        _cortex("wait_cortex", co.details(INSTANCE), "capabilities (polled until none is Retrieving)"),
        _cortex("reconcile", co.accounts_pager(INSTANCE), "accounts vs the subscriptions under the scope"),
    ]
    return calls
