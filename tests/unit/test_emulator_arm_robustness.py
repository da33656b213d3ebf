"""Whatever body a client sends, the emulated ARM side refuses it with ARM's error (TemplateProblem) or
runs it: never another exception (a 500). Same for the Cortex connect that follows a deployment, whatever
the instance's stored request held. Generated inputs (hypothesis), pure objects, no HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cortexkit.emulator.azurearm import ArmDeployments, TemplateProblem
from cortexkit.emulator.azuredirectory import AzureDirectory
from cortexkit.emulator.clock import ManualClock
from cortexkit.emulator.config import EmulatorConfig
from cortexkit.emulator.cortex.models import CortexTenant, Outcome
from cortexkit.emulator.cortex.packages import package

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
EXPRESSION = st.sampled_from(
    [
        "[parameters('p')]",
        "[variables('v')]",
        "[variables('loop')]",
        "[format('{3}', 'a')]",
        "[guid()]",
        "[toLower(1, 2)]",
        "[concat(parameters('p'), [)]",
        "[subscription().nope]",
        "[parameters(1)]",
        "['unterminated]",
        "[[escaped]",
    ]
)
NAME = EXPRESSION | st.text(max_size=12) | st.integers()
RESOURCE = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["Microsoft.A/b", "Microsoft.A/b/c", "NoSlash", ""]) | st.integers(),
        "name": NAME,
    },
    optional={"resourceGroup": NAME, "subscriptionId": NAME, "scope": NAME, "properties": JSON | EXPRESSION},
)
TEMPLATE = st.fixed_dictionaries(
    {"resources": st.lists(RESOURCE, min_size=1, max_size=3)},
    optional={
        "parameters": st.dictionaries(
            st.sampled_from(["p", "q", "trackingGuid"]),
            st.fixed_dictionaries({}, optional={"defaultValue": JSON | EXPRESSION}) | JSON,
            max_size=3,
        )
        | JSON,
        "variables": st.just({"v": "[parameters('p')]", "loop": "[variables('loop')]"}) | JSON,
    },
)
WELL_FORMED = st.fixed_dictionaries(
    {
        "location": st.just("eastus"),
        "properties": st.fixed_dictionaries(
            {"template": TEMPLATE},
            optional={
                "mode": st.sampled_from(["Incremental", "Complete"]) | JSON,
                "parameters": st.dictionaries(
                    st.sampled_from(["p", "q", "x"]), st.just({"value": "v"}) | JSON, max_size=2
                )
                | JSON,
            },
        ),
    }
)
BODY = WELL_FORMED | JSON | st.fixed_dictionaries({"location": JSON, "properties": JSON})


def _body(resources: list[Any], **template: Any) -> dict[str, Any]:
    return {"location": "eastus", "properties": {"template": {"resources": resources, **template}}}


# One per defect found while writing this test (each raised something other than TemplateProblem).
DEFECTS = [
    _body([{"type": "Microsoft.A/b", "name": "n"}], parameters=["p"]),  # parameters not an object
    _body([{"type": "Microsoft.A/b", "name": "[variables('v')]"}], variables=["v"]),  # variables a list
    _body(
        [{"type": "Microsoft.A/b", "name": "[variables('loop')]"}], variables={"loop": "[variables('loop')]"}
    ),
    _body([{"type": "Microsoft.A/b", "name": "[format('{3}', 'a')]"}]),  # index out of range
    _body([{"type": "Microsoft.A/b", "name": "[toLower(1, 2)]"}]),  # wrong argument count
    # Two resources with one id (found by the generated test: a type without a slash gave both the same id).
    _body(
        [{"type": "NoSlash", "name": "[parameters('p')]"}, {"type": "NoSlash", "name": "[variables('v')]"}]
    ),
    _body([{"type": "Microsoft.A/b", "name": "x"}, {"type": "Microsoft.A/b", "name": "x"}]),
    _body([{"type": "Microsoft.A/b/c", "name": "[reference('x')]"}]),  # child type, unevaluated name
]
SCOPE = st.sampled_from(["", "/subscriptions/s-1", "/providers/Microsoft.Management/managementGroups/g"])


def _run_or_refuse(body: Any, scope: str) -> None:
    arm = ArmDeployments(AzureDirectory(seed=1))
    try:
        deployment = arm.start("tenant-1", scope, "d", body, now=1000.0)
    except TemplateProblem as exc:
        assert exc.code and exc.message
        return
    for now in (1000.0, 1001.5, 1010.0):
        arm.settle(now)
        view = arm.view(deployment, now)
        assert view["properties"]["provisioningState"] in ("Accepted", "Running", "Succeeded")
        arm.operations(deployment, now)
    token = arm.what_if("tenant-1", scope, "d", body, now=1010.0)
    assert all(c["changeType"] == "NoChange" for c in arm.whatifs[token].changes)
    assert len(arm.finished) == 1


@pytest.mark.parametrize("body", DEFECTS)
def test_known_bad_templates_are_refused_or_named_by_a_stable_hash(body: dict[str, Any]) -> None:
    _run_or_refuse(body, "/subscriptions/s-1")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=BODY, scope=SCOPE)
def test_any_body_is_run_or_refused_with_an_arm_error(body: Any, scope: str) -> None:
    _run_or_refuse(body, scope)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(
    mods={"subscriptions": ["s-1"]},
    collection=None,
    capabilities=None,
    tags=[{"key": "k"}],
    outcome="Warning",
)
@given(
    mods=JSON,
    collection=JSON,
    capabilities=JSON,
    tags=JSON,
    outcome=st.sampled_from(["Connected", "Warning", "Error"]),
)
def test_connect_and_packages_survive_whatever_the_template_request_held(
    mods: Any, collection: Any, capabilities: Any, tags: Any, outcome: str
) -> None:
    config = EmulatorConfig(
        cortex_instances=2, cortex_issues=0, cortex_assets=0, cortex_audit_logs=0
    ).resolved()
    tenant = CortexTenant(config, ManualClock())
    request = {
        "cloud_provider": "AZURE",
        "scope": "ACCOUNT",
        "instance_name": "x",
        "scope_modifications": mods,
        "collection_configuration": collection,
        "additional_capabilities": capabilities,
        "custom_resources_tags": tags if isinstance(tags, list) else [],
    }
    inst, _ = tenant.create_template(request, "http://127.0.0.1")
    tenant.next_outcome = Outcome(outcome)
    tenant.connect(inst, 1.0, [{"id": "s-1", "name": "one"}, {"id": "s-2", "name": "two"}])
    assert inst.status == "CONNECTED" and {a["account_id"] for a in inst.accounts} <= {"s-1", "s-2"}
    tenant.instance_details(inst)
    tenant.instance_row(inst)
    for kind in ("arm", "tf", "cf"):
        assert package(inst, kind, 1_700_000_000)[0]
