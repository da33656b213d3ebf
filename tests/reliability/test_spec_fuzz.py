"""Spec fuzzing: bodies generated from the official request schemas, sent to the emulator.

schemathesis is not used (see tests/reliability/schema_strategies.py for why); the same idea with
hypothesis: for each operation with a JSON request schema, spec-shaped and arbitrary bodies go to a
private emulator. No answer may be a 5xx, and every 2xx body must match the spec's response schema, with
the documented relaxations of tests/integration/test_spec_conformance.py (upper-case enums).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings

from cortexkit.emulator.server import RunningEmulator
from tests.integration.routes_support import private_emulator
from tests.integration.test_spec_conformance import conforms
from tests.reliability.schema_strategies import valid_or_broken

# One worker runs the whole module under `-n 2 --dist loadgroup`: its module fixture is the costly part.
pytestmark = pytest.mark.xdist_group("reliability-spec-fuzz")

OPERATIONS = [
    ("Alerts.json", "post", "/v2/alert", "/v2/alert"),
    ("Alerts.json", "post", "/alert", "/alert"),
    ("AuditLogsMicroService.json", "post", "/audit/api/v1/log", "/audit/api/v1/log"),
    ("AccountGroups.json", "post", "/cloud/group", "/cloud/group"),
    ("Login.json", "post", "/login", "/login"),
    (
        "CloudAccountOnboardingMicroServices.json",
        "post",
        "/cas/v1/cloud_account/status/azure",
        "/cas/v1/cloud_account/status/azure",
    ),
    ("SearchMicroService.json", "post", "/search/api/v1/config", "/search/api/v1/config"),
]
TALLY: Counter[str] = Counter()


@pytest.fixture(scope="module")
def api() -> Iterator[tuple[RunningEmulator, httpx.Client]]:
    with private_emulator() as pair:
        yield pair


@pytest.mark.parametrize(
    ("spec_file", "method", "template", "path"), OPERATIONS, ids=[o[2] for o in OPERATIONS]
)
def test_no_5xx_and_2xx_matches_the_spec(
    api: tuple[RunningEmulator, httpx.Client], spec_file: str, method: str, template: str, path: str
) -> None:
    _, client = api

    # Alert answers can hold 10,000 alerts (a generated `limit`), each validated: fewer examples there.
    examples = 12 if "alert" in path else 60

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=valid_or_broken(spec_file, template, method))
    def probe(body: Any) -> None:
        response = client.request(method.upper(), path, json=body)
        TALLY[f"{response.status_code // 100}xx"] += 1
        assert response.status_code < 500, (response.status_code, body, response.text[:300])
        if response.status_code < 300 and response.content:
            conforms(spec_file, method.upper(), template, response.status_code, response.json())

    probe()


def test_tally(record_figures: Callable[[str, dict[str, Any]], None]) -> None:
    """Runs last in the module: the figures of the fuzzing above (empty when run on its own)."""
    record_figures("spec_fuzz", {"operations": len(OPERATIONS), "requests": sum(TALLY.values()), **TALLY})
