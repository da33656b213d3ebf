"""The emulated ARM deployments API over loopback HTTP: the three scopes, the clock-driven states, 409 while
active, idempotent redeploys, what-if, operations, planted failures and the refusals."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from cortexkit.emulator.azurecloud import azure_cloud
from cortexkit.emulator.server import RunningEmulator

from .azure_support import (
    GRAPH,
    MG,
    advance,
    azure_session,
    control,
    deploy_body,
    deployment_path,
    identity_template,
    token,
)

Make = Callable[..., RunningEmulator]
TENANT = "11111111-2222-4333-8444-555555555555"


@pytest.fixture
def azure(make_emulator: Make) -> Iterator[tuple[RunningEmulator, httpx.Client]]:
    running = make_emulator(alerts=10, accounts=2)
    control(running, deployment_delay=60, whatif_delay=30)  # Accepted < 20 s, Running < 60 s: slack for load
    with azure_session(running, TENANT) as client:
        yield running, client


SCOPES = [f"/subscriptions/{uuid.uuid4()}", f"{MG}{TENANT}", ""]


@pytest.mark.parametrize("scope", SCOPES, ids=["subscription", "management-group", "tenant"])
def test_deployment_moves_on_the_emulator_clock(
    azure: tuple[RunningEmulator, httpx.Client], scope: str
) -> None:
    running, client = azure
    path = deployment_path(scope, "cortex-onboarding")
    missing = client.get(path)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "DeploymentNotFound"

    created = client.put(path, json=deploy_body())
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"] == f"{scope}/providers/Microsoft.Resources/deployments/cortex-onboarding"
    assert body["properties"]["provisioningState"] == "Accepted"
    assert body["properties"]["parameters"] == {"identityName": {"value": "cortex-identity"}}
    assert {"correlationId", "timestamp", "mode"} <= set(body["properties"])
    status_url = created.headers["Azure-AsyncOperation"]
    assert httpx.get(status_url, headers=client.headers).json() == {"status": "Accepted"}

    advance(running, 22)
    assert client.get(path).json()["properties"]["provisioningState"] == "Running"
    advance(running, 40)
    done = client.get(path).json()
    assert done["properties"]["provisioningState"] == "Succeeded"
    assert httpx.get(status_url, headers=client.headers).json() == {"status": "Succeeded"}
    identity = f"{scope}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/cortex-identity"
    assert {"id": identity} in done["properties"]["outputResources"]


def test_operations_show_each_resource_as_it_is_made(azure: tuple[RunningEmulator, httpx.Client]) -> None:
    running, client = azure
    scope = f"/subscriptions/{uuid.uuid4()}"
    extra = [
        {
            "type": "Microsoft.Insights/diagnosticSettings",
            "apiVersion": "2021-05-01-preview",
            "name": "cortex-audit",
        }
    ]
    client.put(
        deployment_path(scope, "d"), json=deploy_body(identity_template(extra=extra))
    ).raise_for_status()
    ops_path = deployment_path(scope, "d", "/operations")
    first = client.get(ops_path).json()["value"]
    assert [o["properties"]["provisioningState"] for o in first] == ["Accepted"]
    advance(running, 22)  # Running: the first resource is still being made
    running_ops = client.get(ops_path).json()["value"]
    assert [o["properties"]["provisioningState"] for o in running_ops] == ["Running"] * 3
    advance(running, 14)  # 36 s: first third of the Running phase (20..60 s) done
    states = [o["properties"]["provisioningState"] for o in client.get(ops_path).json()["value"]]
    assert states == ["Succeeded", "Running", "Running"]
    advance(running, 30)
    final = client.get(ops_path).json()["value"]
    assert [o["properties"]["provisioningState"] for o in final] == ["Succeeded"] * 3
    targets = [o["properties"]["targetResource"] for o in final]
    assert [t["resourceType"] for t in targets] == [
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        "Microsoft.Authorization/roleAssignments",
        "Microsoft.Insights/diagnosticSettings",
    ]
    assert targets[0]["resourceName"] == "cortex-identity"
    assert (
        targets[1]["id"]
        == f"{scope}/providers/Microsoft.Authorization/roleAssignments/{targets[1]['resourceName']}"
    )
    assert all(o["operationId"] and o["id"].endswith(o["operationId"]) for o in final)


def test_put_while_active_is_refused_and_a_redeploy_creates_nothing_twice(
    azure: tuple[RunningEmulator, httpx.Client],
) -> None:
    running, client = azure
    scope = f"{MG}{TENANT}"
    path = deployment_path(scope, "cortex")
    first_run = client.put(path, json=deploy_body()).json()["properties"]["correlationId"]
    active = client.put(path, json=deploy_body())
    assert active.status_code == 409
    assert active.json()["error"]["code"] == "DeploymentActive"
    advance(running, 61)
    cloud = azure_cloud(running.emulator)
    assert client.get(path).json()["properties"]["provisioningState"] == "Succeeded"
    made = dict(cloud.arm.resources)
    assert len(made) == 2

    again = client.put(path, json=deploy_body())
    assert again.status_code == 200  # an existing deployment replaced: 200, as Azure answers
    assert again.json()["properties"]["provisioningState"] == "Accepted"
    assert again.json()["properties"]["correlationId"] != first_run
    advance(running, 61)
    assert client.get(path).json()["properties"]["provisioningState"] == "Succeeded"
    assert set(cloud.arm.resources) == set(made)
    listed = httpx.get(f"{running.url}/_emulator/azure").json()
    assert sorted(r["id"] for r in listed["resources"]) == sorted(made)


def test_planted_failure_fails_the_run_with_its_code(azure: tuple[RunningEmulator, httpx.Client]) -> None:
    running, client = azure
    scope = f"/subscriptions/{uuid.uuid4()}"
    control(
        running,
        deployment_failure={
            "code": "AuthorizationFailed",
            "message": "no write on roleAssignments",
            "deployment": "bad",
        },
    )
    client.put(deployment_path(scope, "good"), json=deploy_body(identityName="one")).raise_for_status()
    client.put(deployment_path(scope, "bad"), json=deploy_body(identityName="two")).raise_for_status()
    advance(running, 61)
    assert client.get(deployment_path(scope, "good")).json()["properties"]["provisioningState"] == "Succeeded"
    failed = client.get(deployment_path(scope, "bad")).json()["properties"]
    assert failed["provisioningState"] == "Failed"
    assert failed["error"]["code"] == "AuthorizationFailed"
    assert failed["error"]["message"] == "no write on roleAssignments"
    ops = client.get(deployment_path(scope, "bad", "/operations")).json()["value"]
    assert [o["properties"]["provisioningState"] for o in ops] == ["Succeeded", "Failed"]
    assert ops[1]["properties"]["statusMessage"]["error"]["code"] == "AuthorizationFailed"
    status = httpx.get(
        client.put(deployment_path(scope, "bad"), json=deploy_body(identityName="two")).headers[
            "Azure-AsyncOperation"
        ],
        headers=client.headers,
    )
    assert status.json() == {"status": "Accepted"}  # the plan was used up: the next run is a normal one
    assert httpx.get(f"{running.url}/_emulator/azure").json()["deployment_failures"] == []


def test_what_if_reports_create_then_no_change_then_modify(
    azure: tuple[RunningEmulator, httpx.Client],
) -> None:
    running, client = azure
    scope = f"/subscriptions/{uuid.uuid4()}"

    def what_if(body: dict[str, object]) -> list[dict[str, object]]:
        started = client.post(deployment_path(scope, "cortex", "/whatIf"), json=body)
        assert started.status_code == 202 and started.headers["Retry-After"]
        location = started.headers["Location"]
        assert httpx.get(location, headers=client.headers).status_code == 202
        advance(running, 31)
        result = httpx.get(location, headers=client.headers)
        assert result.status_code == 200
        assert result.json()["status"] == "Succeeded"
        changes: list[dict[str, object]] = result.json()["properties"]["changes"]
        return changes

    first = what_if(deploy_body())
    assert [c["changeType"] for c in first] == ["Create", "Create"]
    assert client.get(deployment_path(scope, "cortex")).status_code == 404  # what-if deploys nothing
    client.put(deployment_path(scope, "cortex"), json=deploy_body()).raise_for_status()
    advance(running, 61)
    assert [c["changeType"] for c in what_if(deploy_body())] == ["NoChange", "NoChange"]
    moved = identity_template()
    moved["resources"][0]["location"] = "westeurope"
    changes = what_if(deploy_body(moved))
    assert [c["changeType"] for c in changes] == ["Modify", "NoChange"]
    assert changes[0]["after"]["location"] == "westeurope"  # type: ignore[index]


def test_refusals(azure: tuple[RunningEmulator, httpx.Client]) -> None:
    running, client = azure
    scope = f"/subscriptions/{uuid.uuid4()}"
    path = deployment_path(scope, "d")

    def code(response: httpx.Response, status: int) -> str:
        assert response.status_code == status, response.text
        return str(response.json()["error"]["code"])

    no_location = deploy_body()
    del no_location["location"]
    assert code(client.put(path, json=no_location), 400) == "LocationRequired"
    assert code(client.put(path, json={"location": "eastus", "properties": {}}), 400) == "InvalidTemplate"
    needs_value = identity_template()
    del needs_value["parameters"]["identityName"]["defaultValue"]
    assert code(client.put(path, json=deploy_body(needs_value)), 400) == "InvalidTemplate"
    assert code(client.put(path, json=deploy_body(nope="x")), 400) == "InvalidTemplate"
    assert code(client.post(deployment_path(scope, "d", "/whatIf"), json={"location": "x"}), 400) == (
        "InvalidRequestContent"
    )
    assert client.get(path).status_code == 404  # nothing was started by a refused PUT
    assert code(client.get(path.split("?")[0]), 400) == "MissingApiVersionParameter"
    assert code(httpx.get(str(client.base_url).rstrip("/") + path), 401) == "InvalidAuthenticationToken"
    graph = {"Authorization": f"Bearer {token(running, TENANT, GRAPH)}"}
    assert (
        code(httpx.get(str(client.base_url).rstrip("/") + path, headers=graph), 401)
        == "InvalidAuthenticationToken"
    )
    assert code(client.get(deployment_path(scope, "d", "/operations")), 404) == "DeploymentNotFound"


def test_control_plane_refuses_bad_knobs_and_changes_nothing(
    azure: tuple[RunningEmulator, httpx.Client],
) -> None:
    running, _ = azure
    url = f"{running.url}/_emulator/azure"
    for body, words in (
        ({"deployment_delay": -1}, "deployment_delay"),
        ({"deployment_failure": {"message": "x"}}, "code"),
        ({"deployment_delay": 5, "colour": "blue"}, "unknown key"),
        ({"permissions": "all"}, "permissions"),
        ([1, 2], "JSON object"),
    ):
        refused = httpx.post(url, json=body)
        assert refused.status_code == 400 and words in refused.json()["error"], body
    assert httpx.get(url).json()["deployment_delay"] == 60
