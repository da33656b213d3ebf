"""Spec fuzzing over every operation the emulator serves, with requests generated from the official specs.

schemathesis is not used (see tests/reliability/schema_strategies.py for why); the same idea with
hypothesis. `OPERATIONS` lists every API route of the app with the spec operation it implements (or
None for the routes no Prisma spec covers: Compute, `/meta_info`, the Azure identity stand-ins), and
`test_every_route_is_fuzzed` fails when a route is added without being listed. For each operation,
path parameters (real ids or arbitrary text), the documented query parameters and the documented JSON
body (spec-shaped four times in five, arbitrary JSON otherwise) go to a private emulator. No answer may
be a 5xx; a 2xx must be a status the spec documents, and its body must match the spec's response schema
with the documented relaxations of tests/integration/test_spec_conformance.py (enum case). The
control plane (`/_emulator/`) is left out: its reset, clock and fault knobs would change the run itself.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cortexkit.emulator.app import create_app
from cortexkit.emulator.config import EmulatorConfig
from cortexkit.emulator.server import RunningEmulator
from tests.integration.routes_support import private_emulator
from tests.integration.test_spec_conformance import _schema, conforms
from tests.reliability.schema_strategies import (
    ARBITRARY_JSON,
    has_json_body,
    parameter_value,
    parameters,
    query_params,
    valid_or_broken,
)
from tests.spec_validation import load_spec

# One worker runs the whole module under `-n 2 --dist loadgroup`: its module fixture is the costly part.
pytestmark = pytest.mark.xdist_group("reliability-spec-fuzz")

ONBOARD = "CloudAccountOnboardingMicroServices.json"
CAS = "CloudAccountsMicroService.json"
GROUPS = "AccountGroups.json"
ALERTS = "Alerts.json"
POSTURE = "CompliancePosture.json"
STANDARDS = "ComplianceStandards.json"
SEARCH = "SearchMicroService.json"
AUDIT = "AuditLogsMicroService.json"
REPORTS = "Reports.json"
# (method, the app's route template, spec file, the spec's template); spec None = no official spec.
OPERATIONS: list[tuple[str, str, str | None, str | None]] = [
    ("POST", "/login", "Login.json", "/login"),
    ("GET", "/auth_token/extend", "Login.json", "/auth_token/extend"),
    ("GET", "/cloud", ONBOARD, "/cloud"),
    ("GET", "/cloud/name", ONBOARD, "/cloud/name"),
    ("GET", "/cloud/{cloud_type:cloudtype}/{account_id}", ONBOARD, "/cloud/{cloud_type}/{id}"),
    ("DELETE", "/cloud/{cloud_type:cloudtype}/{account_id}", ONBOARD, "/cloud/{cloud_type}/{id}"),
    ("PATCH", "/cloud/{account_id}/status/{enabled}", ONBOARD, "/cloud/{id}/status/{enabled}"),
    ("GET", "/cloud/group", GROUPS, "/cloud/group"),
    ("POST", "/cloud/group", GROUPS, "/cloud/group"),
    ("GET", "/cloud/group/name", GROUPS, "/cloud/group/name"),
    ("GET", "/cloud/group/name/{cloud_type}", GROUPS, "/cloud/group/name/{cloud_type}"),
    ("GET", "/cloud/group/{group_id}", GROUPS, "/cloud/group/{id}"),
    ("PUT", "/cloud/group/{group_id}", GROUPS, "/cloud/group/{id}"),
    ("DELETE", "/cloud/group/{group_id}", GROUPS, "/cloud/group/{id}"),
    ("GET", "/v2/alert", ALERTS, "/v2/alert"),
    ("POST", "/v2/alert", ALERTS, "/v2/alert"),
    ("GET", "/alert", ALERTS, "/alert"),
    ("POST", "/alert", ALERTS, "/alert"),
    ("GET", "/alert/count/{status}", ALERTS, "/alert/count/{status}"),
    ("POST", "/alert/dismiss", ALERTS, "/alert/dismiss"),
    ("POST", "/alert/reopen", ALERTS, "/alert/reopen"),
    ("GET", "/alert/{alert_id}", ALERTS, "/alert/{id}"),
    ("POST", "/alert/csv", ALERTS, "/alert/csv"),
    ("GET", "/alert/csv/{job_id}/status", ALERTS, "/alert/csv/{id}/status"),
    ("GET", "/alert/csv/{job_id}/download", ALERTS, "/alert/csv/{id}/download"),
    ("GET", "/filter/alert/suggest", ALERTS, "/filter/alert/suggest"),
    ("POST", "/filter/alert/suggest", ALERTS, "/filter/alert/suggest"),
    ("GET", "/policy", "Policy.json", "/policy"),
    ("GET", "/v2/policy", "Policy.json", "/v2/policy"),
    ("GET", "/compliance/posture", POSTURE, "/compliance/posture"),
    ("POST", "/compliance/posture", POSTURE, "/compliance/posture"),
    ("GET", "/compliance/posture/{compliance_id}", POSTURE, "/compliance/posture/{complianceId}"),
    ("GET", "/compliance", STANDARDS, "/compliance"),
    ("GET", "/cloud/type", "historical/CloudAccounts.json", "/cloud/type"),
    ("GET", "/search/history", "SearchManager.json", "/search/history"),
    ("GET", "/v2/inventory", "AssetInventory.json", "/v2/inventory"),
    ("POST", "/v2/inventory", "AssetInventory.json", "/v2/inventory"),
    ("GET", "/v3/inventory", "AssetInventory.json", "/v3/inventory"),
    ("POST", "/v3/inventory", "AssetInventory.json", "/v3/inventory"),
    ("GET", "/resource/scan_info", "AssetExplorer.json", "/resource/scan_info"),
    ("GET", "/report", REPORTS, "/report"),
    ("POST", "/report", REPORTS, "/report"),
    ("GET", "/report/type", REPORTS, "/report/type"),
    ("GET", "/report/{report_id}", REPORTS, "/report/{id}"),
    ("DELETE", "/report/{report_id}", REPORTS, "/report/{id}"),
    ("GET", "/report/{report_id}/download", REPORTS, "/report/{id}/download"),
    ("POST", "/resource/scan_info", "AssetExplorer.json", "/resource/scan_info"),
    ("GET", "/compliance/{compliance_id}", STANDARDS, "/compliance/{complianceId}"),
    ("GET", "/compliance/{compliance_id}/requirement", STANDARDS, "/compliance/{complianceId}/requirement"),
    ("GET", "/compliance/{requirement_id}/section", STANDARDS, "/compliance/{requirementId}/section"),
    ("POST", "/search/config", SEARCH, "/search/config"),
    ("POST", "/search/config/page", SEARCH, "/search/config/page"),
    ("POST", "/search/api/v1/config", SEARCH, "/search/api/v1/config"),
    ("POST", "/search/api/v2/config", SEARCH, "/search/api/v2/config"),
    ("POST", "/audit/api/v1/log", AUDIT, "/audit/api/v1/log"),
    ("POST", "/audit/api/v1/filter/suggest", AUDIT, "/audit/api/v1/filter/suggest"),
    ("POST", "/cas/v1/features/cloud/{cloud_type}", CAS, "/cas/v1/features/cloud/{cloud_type}"),
    ("POST", "/cas/v1/azure_template", CAS, "/cas/v1/azure_template"),
    ("POST", "/cas/v1/cloud_account/status/azure", ONBOARD, "/cas/v1/cloud_account/status/azure"),
    ("POST", "/cas/v1/azure_account", ONBOARD, "/cas/v1/azure_account"),
    ("PUT", "/cas/v1/azure_account/{account_id}", ONBOARD, "/cas/v1/azure_account/{account_id}"),
    ("GET", "/account/{account_id}/config/status", ONBOARD, "/account/{accountId}/config/status"),
    ("POST", "/cloud/azure", ONBOARD, "/cloud/{cloud_type}"),
    ("PUT", "/cloud/azure/{account_id}", ONBOARD, "/cloud/{cloud_type}/{id}"),
    ("POST", "/cloud/status/azure", ONBOARD, "/cloud/status/{cloud_type}"),
    ("GET", "/meta_info", None, None),
    ("POST", "/compute/api/v1/authenticate", None, None),
    ("GET", "/compute/api/v1/version", None, None),
    ("GET", "/compute/api/v1/images", None, None),
    ("GET", "/compute/api/v1/hosts", None, None),
    ("POST", "/_azure/login/{tenant}/oauth2/v2.0/token", None, None),
    ("GET", "/_azure/graph/v1.0/applications", None, None),
    ("POST", "/_azure/graph/v1.0/applications", None, None),
    ("GET", "/_azure/graph/v1.0/applications/{object_id}", None, None),
    ("POST", "/_azure/graph/v1.0/applications/{object_id}/addPassword", None, None),
    ("POST", "/_azure/graph/v1.0/applications/{object_id}/removePassword", None, None),
    ("GET", "/_azure/graph/v1.0/servicePrincipals", None, None),
    ("POST", "/_azure/graph/v1.0/servicePrincipals", None, None),
    ("GET", "/_azure/graph/v1.0/servicePrincipals/{sp_id}/appRoleAssignments", None, None),
    ("POST", "/_azure/graph/v1.0/servicePrincipals/{sp_id}/appRoleAssignments", None, None),
    (
        "PUT",
        "/_azure/arm/{scope:path}/providers/Microsoft.Authorization/roleDefinitions/{name}",
        None,
        None,
    ),
    (
        "GET",
        "/_azure/arm/{scope:path}/providers/Microsoft.Authorization/roleDefinitions/{name}",
        None,
        None,
    ),
    (
        "PUT",
        "/_azure/arm/{scope:path}/providers/Microsoft.Authorization/roleAssignments/{name}",
        None,
        None,
    ),
    ("GET", "/_azure/arm/{scope:path}/providers/Microsoft.Authorization/roleAssignments", None, None),
]
# The emulated ARM deployments at their three scopes and the Azure hierarchy/preflight reads (issue 17).
_ARM_SCOPES = (
    "/_azure/arm/subscriptions/{subscription_id}",
    "/_azure/arm/providers/Microsoft.Management/managementGroups/{group_id}",
    "/_azure/arm",
)
_DEPLOYMENT = "providers/Microsoft.Resources/deployments/{name}"
OPERATIONS += [
    (method, f"{scope}/{_DEPLOYMENT}{suffix}", None, None)
    for scope in _ARM_SCOPES
    for method, suffix in (
        ("PUT", ""),
        ("GET", ""),
        ("POST", "/whatIf"),
        ("GET", "/operations"),
        ("GET", "/operationStatuses/{operation_id}"),
    )
] + [
    ("GET", f"{scope}/providers/Microsoft.Resources/operationResults/{{token}}", None, None)
    for scope in _ARM_SCOPES
]
OPERATIONS += [
    ("GET", path, None, None)
    for path in (
        "/_azure/arm/subscriptions",
        "/_azure/arm/subscriptions/{subscription_id}",
        "/_azure/arm/subscriptions/{subscription_id}/providers",
        "/_azure/arm/providers/Microsoft.Management/managementGroups/{group_id}",
        "/_azure/arm/providers/Microsoft.Management/managementGroups/{group_id}/descendants",
        "/_azure/arm/providers/Microsoft.Authorization/permissions",
        "/_azure/arm/{scope:path}/providers/Microsoft.Authorization/permissions",
        "/_azure/arm/providers/Microsoft.Authorization/denyAssignments",
        "/_azure/arm/{scope:path}/providers/Microsoft.Authorization/denyAssignments",
        "/_azure/graph/v1.0/identity/conditionalAccess/policies",
    )
]
# Routes that are not Prisma API operations: the control plane, FastAPI's own documentation pages, and
# the Cortex Cloud dialect (no Prisma spec; tests/integration/test_cortex_emulator.py covers it).
NOT_FUZZED = ("/_emulator/", "/docs/", "/public_api/", "/api_keys/", "/_cortex/")
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
TALLY: Counter[str] = Counter()
# More examples per operation for a deeper local run: CORTEXKIT_FUZZ_SCALE=10 pytest tests/reliability/...
SCALE = max(1, int(os.environ.get("CORTEXKIT_FUZZ_SCALE", "1")))


def _served_routes() -> set[tuple[str, str]]:
    app = create_app(EmulatorConfig())
    served = set()
    for route in app.router.routes[0].routes:  # type: ignore[attr-defined]
        path = getattr(route, "path", "")
        if path.startswith(NOT_FUZZED):
            continue
        served.update((m, path) for m in getattr(route, "methods", ()) or () if m != "HEAD")
    return served


def test_every_route_is_fuzzed() -> None:
    listed = {(m, p) for m, p, _, _ in OPERATIONS}
    assert listed == _served_routes()


@pytest.fixture(scope="module")
def api() -> Iterator[tuple[RunningEmulator, httpx.Client]]:
    # Few alerts: a generated `limit` may ask for all of them, and each one is validated.
    with private_emulator(alerts=400, accounts=6) as pair:
        yield pair


@pytest.fixture(scope="module")
def known(api: tuple[RunningEmulator, httpx.Client]) -> dict[str, list[str]]:
    """Real values for path parameters, so generated requests reach the handlers' happy paths too."""
    _, client = api
    accounts = client.get("/cloud").json()
    groups = client.get("/cloud/group").json()
    standards = client.get("/compliance/posture").json()["complianceDetails"]
    job = client.post(
        "/alert/csv", json={"filters": [{"name": "alert.status", "operator": "=", "value": "open"}]}
    )
    report = client.post(
        "/report",
        json={
            "cloudType": "aws",
            "name": "fuzz",
            "target": {
                "timeRange": {"type": "to_now", "value": "epoch"},
                "complianceStandardIds": [standards[0]["id"]],
            },
        },
    )
    client.post("/_emulator/clock", json={"advance": 5})  # the export job and the report are ready
    return {
        "cloud_type": ["azure", "aws", "gcp"],
        "account_id": [a["accountId"] for a in accounts],
        "group_id": [g["id"] for g in groups],
        "alert_id": ["P-100001", "P-100200"],
        "status": ["open", "dismissed", "resolved", "snoozed"],
        "compliance_id": [s["id"] for s in standards],
        "requirement_id": [
            r["id"] for s in standards for r in client.get(f"/compliance/{s['id']}/requirement").json()
        ],
        "enabled": ["true", "false"],
        "job_id": [job.json()["id"]],
        "report_id": [report.json()["id"]],
    }


def _path(template: str, values: dict[str, str]) -> str:
    return PARAM.sub(lambda m: quote(values[m.group(1)], safe=""), template)


def _request_strategy(
    method: str, template: str, spec_file: str | None, spec_path: str | None, known: dict[str, list[str]]
) -> st.SearchStrategy[tuple[str, dict[str, str], Any]]:
    names = PARAM.findall(template)
    spec_params = parameters(spec_file, spec_path, method.lower(), "path") if spec_file and spec_path else {}
    documented = list(spec_params.values())
    path_values: dict[str, st.SearchStrategy[str]] = {}
    for i, name in enumerate(names):
        shaped: st.SearchStrategy[str] = st.text(min_size=1, max_size=30)
        if spec_file and i < len(documented):
            shaped = parameter_value(spec_file, documented[i]["schema"])
        # "." and ".." are dot segments: the client removes them and asks another route altogether.
        shaped = shaped.filter(lambda v: v not in (".", ".."))
        real = known.get(name)
        path_values[name] = st.one_of(st.sampled_from(real), shaped) if real else shaped
    if spec_file and spec_path:
        query = query_params(spec_file, spec_path, method.lower())
    else:
        query = st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=20), max_size=3)
    body: st.SearchStrategy[Any] = st.none()
    if spec_file and spec_path and has_json_body(spec_file, spec_path, method.lower()):
        body = valid_or_broken(spec_file, spec_path, method.lower())
    elif method in ("POST", "PUT", "PATCH"):
        body = st.one_of(st.none(), ARBITRARY_JSON)
    return st.tuples(
        st.fixed_dictionaries(path_values).map(lambda values: _path(template, values)), query, body
    )


def _check(method: str, spec_file: str, spec_path: str, response: httpx.Response) -> None:
    documented = load_spec(spec_file)["paths"][spec_path][method.lower()].get("responses", {})
    if response.status_code >= 300:
        return
    assert str(response.status_code) in documented or "default" in documented, (
        f"{method} {spec_path} answered {response.status_code}, which the spec does not document"
    )
    if not response.content or "json" not in response.headers.get("content-type", ""):
        return
    if _schema(spec_file, method, spec_path, response.status_code) is None:
        return
    conforms(spec_file, method, spec_path, response.status_code, response.json())


@pytest.mark.parametrize(
    ("method", "template", "spec_file", "spec_path"), OPERATIONS, ids=[f"{o[0]} {o[1]}" for o in OPERATIONS]
)
def test_no_5xx_and_2xx_matches_the_spec(
    api: tuple[RunningEmulator, httpx.Client],
    known: dict[str, list[str]],
    method: str,
    template: str,
    spec_file: str | None,
    spec_path: str | None,
) -> None:
    _, client = api
    examples = (12 if "alert" in template else 25) * SCALE

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(request=_request_strategy(method, template, spec_file, spec_path, known))
    def probe(request: tuple[str, dict[str, str], Any]) -> None:
        path, query, body = request
        kwargs: dict[str, Any] = {"params": query}
        if body is not None:
            kwargs["json"] = body
        response = client.request(method, path, **kwargs)
        TALLY["requests"] += 1
        TALLY[f"{response.status_code // 100}xx"] += 1
        assert response.status_code < 500, (method, path, query, body, response.text[:300])
        if spec_file and spec_path:
            _check(method, spec_file, spec_path, response)

    probe()
    TALLY["operations"] += 1


def test_tally(record_figures: Callable[[str, dict[str, Any]], None]) -> None:
    """Runs last in the module: the figures of the fuzzing above (empty when run on its own)."""
    record_figures("spec_fuzz", {"operations_listed": len(OPERATIONS), **TALLY})
