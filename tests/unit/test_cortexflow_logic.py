"""The pure parts of the Cortex onboarding job: spec validation, the template request, names, scopes,
the poll backoff, the accounts comparison and the package unpacking."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from cortexkit.cortex.template import request_data
from cortexkit.onboarding.context import StepFailedError
from cortexkit.onboarding.cortexflow import connect, packages, preflight
from cortexkit.onboarding.cortexflow.spec import (
    CortexOptions,
    capability_overrides,
    deployment_name,
    deployment_scope,
    permission_scope,
    template_spec,
)
from cortexkit.onboarding.model import CORTEX_STEPS, JobSpec, field_errors, steps_for

T = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
S = "11111111-2222-3333-4444-555555555555"
S2 = "22222222-2222-3333-4444-555555555555"
APP = "99999999-2222-3333-4444-555555555555"


def data(**cortex: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"tenant_id": T, "subscription_id": S, "name": "n1", "client_id": APP}
    if cortex.get("scope", "subscription") != "subscription":
        base.pop("subscription_id")
    return {**base, "cortex": cortex}


def test_a_good_cortex_spec_validates_and_has_the_cortex_steps() -> None:
    assert field_errors(data()) == {}
    spec = JobSpec.model_validate(data(deploy="terraform", capabilities=("dspm",)))
    assert spec.kind == "cortex"
    assert steps_for(spec) == CORTEX_STEPS
    assert CORTEX_STEPS[0] == "validate" and CORTEX_STEPS[-1] == "reconcile"
    prisma = JobSpec(tenant_id=T, subscription_id=S, name="p")
    assert prisma.kind == "prisma" and steps_for(prisma)[2] == "identity"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"scope": "galaxy"}, "scope"),
        ({"deploy": "ftp"}, "deploy"),
        ({"scope": "management-group"}, "management_group_id"),
        ({"scope": "tenant", "include": (S,), "exclude": (S2,)}, "exclude"),
        ({"include": (S,)}, "include"),
        ({"scope": "tenant", "include": ("not-a-guid",)}, "include"),
        ({"capabilities": ("warp_drive",)}, "capabilities"),
        ({"location": "East US!"}, "location"),
        ({"tags": (("managed_by", "me"),)}, "tags"),
    ],
)
def test_each_bad_input_names_its_field(values: dict[str, Any], field: str) -> None:
    assert field in field_errors(data(**values))


def test_arm_and_terraform_need_an_azure_app_but_manual_does_not() -> None:
    no_app = {k: v for k, v in data().items() if k != "client_id"}
    assert "client_id" in field_errors(no_app)
    assert field_errors({**no_app, "cortex": {"deploy": "manual"}}) == {}
    assert "subscription_id" in field_errors({**data(), "subscription_id": None})
    assert "tenant_id" in field_errors({**data(), "tenant_id": "x"})


def test_the_template_request_follows_the_scope() -> None:
    sub = request_data(template_spec(T, "n", CortexOptions(), S))
    assert sub["scope"] == "ACCOUNT"
    assert sub["scope_modifications"]["subscriptions"] == {
        "enabled": True,
        "type": "INCLUDE",
        "subscription_ids": [S],
    }
    tenant = request_data(template_spec(T, "n", CortexOptions(scope="tenant", exclude=(S2,))))
    assert tenant["scope"] == "ORGANIZATION"
    assert tenant["scope_modifications"]["subscriptions"]["type"] == "EXCLUDE"
    group = CortexOptions(scope="management-group", management_group_id="mg", exclude=(S2,))
    body = request_data(template_spec(T, "n", group, None, [S, S2]))
    assert body["scope"] == "ORGANIZATION"  # the group's subscriptions, as an include list
    assert body["scope_modifications"]["subscriptions"]["subscription_ids"] == [S]
    caps = request_data(
        template_spec(T, "n", CortexOptions(capabilities=("dspm", "no-registry-scanning")), S)
    )
    assert caps["additional_capabilities"]["data_security_posture_management"] is True
    assert caps["additional_capabilities"]["registry_scanning"] is False
    assert capability_overrides(["ADS"]) == {"agentless_disk_scanning": True}


def test_the_deployment_name_is_fixed_by_the_job_and_the_scopes_by_the_options() -> None:
    job = "0f0e0d0c-0b0a-0908-0706-050403020100"
    assert deployment_name(job) == deployment_name(job) == f"cortexkit-onboarding-{job}"
    assert len(deployment_name(job)) <= 64
    assert deployment_scope(CortexOptions(), S, T) == f"subscriptions/{S}"
    assert deployment_scope(CortexOptions(scope="tenant"), None, T) == ""
    assert permission_scope(CortexOptions(scope="tenant"), None, T).endswith(f"managementGroups/{T}")
    group = CortexOptions(scope="management-group", management_group_id="g")
    assert deployment_scope(group, None, T).endswith("managementGroups/g")


def test_needed_actions_follow_audit_logs_scope_and_capabilities() -> None:
    base = preflight.needed_actions(CortexOptions(audit_logs=False, capabilities=("no-ads",)))
    assert "Microsoft.Insights/diagnosticSettings/write" not in base
    assert "Microsoft.Compute/galleries/write" not in base
    full = preflight.needed_actions(CortexOptions(scope="tenant"))
    assert {
        "Microsoft.Insights/diagnosticSettings/write",
        "Microsoft.Management/managementGroups/read",
    } <= set(full)
    assert preflight.in_scope(CortexOptions(scope="tenant", exclude=(S2,)), [S, S2]) == [S]
    assert preflight.in_scope(CortexOptions(scope="tenant", include=(S2.upper(),)), [S, S2]) == [S2]
    check = preflight.Check("deny assignments", False, "1 at /x", "remove it")
    assert check.line() == "[FAIL] deny assignments: 1 at /x. Fix: remove it"
    assert preflight.consent_link(T).startswith(
        f"https://login.microsoftonline.com/{T}/adminconsent?client_id="
    )


def test_the_poll_interval_grows_to_a_cap() -> None:
    seen = [1.0]
    for _ in range(20):
        seen.append(connect.next_interval(seen[-1], 1.0))
    assert seen[1] == 1.5 and max(seen) == 8.0
    assert connect.next_interval(0.1, 0.1) <= 0.8
    assert connect.next_interval(60.0, 60.0) == 60.0


def test_accounts_are_compared_case_blind() -> None:
    assert connect.compare([S, S2], [S.upper(), "x"]) == ([S2], ["x"])


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in files.items():
            z.writestr(name, content)
    return buf.getvalue()


def _tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            t.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def test_packages_unpack_privately_and_refuse_escaping_paths(tmp_path: Path) -> None:
    names = packages.unpack(_zip({"template.json": b"{}", "parameters.json": b"{}"}), tmp_path / "arm")
    assert names == ["parameters.json", "template.json"]
    assert (tmp_path / "arm" / "template.json").stat().st_mode & 0o077 == 0
    assert packages.unpack(_tar({"main.tf": b"x"}), tmp_path / "tf") == ["main.tf"]
    with pytest.raises(StepFailedError, match="outside its folder"):
        packages.unpack(_zip({"../evil": b"x"}), tmp_path / "bad")
    assert packages.unpack(b"not an archive", tmp_path / "raw") == []
    assert packages.sha256(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_the_arm_package_is_read_from_a_nested_folder_with_its_parameters(tmp_path: Path) -> None:
    from cortexkit.onboarding.cortexflow.deploy import arm_package

    template_json = b'{"parameters": {"trackingGuid": {"type": "string"}}, "resources": []}'
    params_json = b'{"$schema": "x", "parameters": {"trackingGuid": {"value": "abc"}}}'
    files = {"cortex/template.json": template_json, "cortex/parameters.json": params_json}
    packages.unpack(_zip(files), tmp_path / "arm")
    template, params = arm_package(tmp_path)
    assert template["resources"] == [] and params == {"trackingGuid": {"value": "abc"}}
    with pytest.raises(StepFailedError, match=r"no template\.json"):
        arm_package(tmp_path / "elsewhere")
