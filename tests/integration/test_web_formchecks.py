"""Issue 14: jobs that cannot succeed are refused at the form, before a job exists.

Over HTTP against a real UI (real engine, SQLite store, emulator): the secret a provisioner needs, a
name or subscription the tenant already has, and a subscription or name repeated in a CSV.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest

from cortexkit.client import Client
from cortexkit.emulator.server import RunningEmulator
from cortexkit.web.formchecks import Onboarded, OnboardedCache, duplicate_errors, secret_error
from cortexkit.web.security import csrf_token
from cortexkit.web.server import RunningUI
from tests.integration.web_support import job_count, wizard_form

GOOD = "11111111-2222-4333-8444-555555555555"


@pytest.fixture
def emulator(make_emulator: Callable[..., RunningEmulator]) -> RunningEmulator:
    return make_emulator()


@pytest.fixture
def existing(emulator: RunningEmulator) -> Any:
    """An Azure subscription account the emulator's tenant already has."""
    with Client(
        api_url=emulator.url, access_key_id=emulator.access_key_id, secret_key=emulator.secret_key
    ) as client:
        return next(
            a
            for a in client.cloud_accounts.list()
            if (a.cloudType or "").lower() == "azure" and a.accountType == "account"
        )


def _field_error(html: str, name: str) -> str:
    marker = f'data-error-for="{name}" role="alert">'
    return unescape(html.split(marker, 1)[1].split("<", 1)[0]) if marker in html else ""


# --- the secret -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provisioner", "word"), [("existing", "app registration"), ("azure-api", "operator")]
)
def test_the_wizard_refuses_a_missing_secret_before_a_job_exists(
    served_ui: RunningUI, served_http: httpx.Client, store_path: Path, provisioner: str, word: str
) -> None:
    form = wizard_form(served_ui, "Form check", provisioner=provisioner, client_secret="")
    response = served_http.post("/onboard", data=form)
    assert response.status_code == 422
    assert word in _field_error(response.text, "client_secret")
    assert job_count(store_path) == 0


def test_with_the_secret_given_the_job_is_created(
    served_ui: RunningUI, served_http: httpx.Client, store_path: Path
) -> None:
    assert served_http.post("/onboard", data=wizard_form(served_ui, "Form check")).status_code == 303
    assert job_count(store_path) == 1


def test_live_validation_knows_whether_a_secret_was_typed_without_seeing_it(
    served_ui: RunningUI, served_http: httpx.Client
) -> None:
    headers = {"x-csrf-token": csrf_token(served_ui.token)}
    body = {
        k: v
        for k, v in wizard_form(served_ui, "Form check").items()
        if k not in ("csrf_token", "client_secret")
    }
    missing = served_http.post("/api/validate", json={**body, "has_client_secret": False}, headers=headers)
    assert set(missing.json()["errors"]) == {"client_secret"}
    given = served_http.post("/api/validate", json={**body, "has_client_secret": True}, headers=headers)
    assert given.json()["errors"] == {}


def test_a_bulk_start_without_the_secret_its_rows_need_starts_nothing(
    served_ui: RunningUI, served_http: httpx.Client, store_path: Path
) -> None:
    head = "name,tenant_id,subscription_id,client_id,service_principal_id\n"
    text = head + f"A,{GOOD},{uuid.uuid4()},{GOOD},{GOOD}\n"
    preview = served_http.post(
        "/onboard/bulk", data={"csrf_token": csrf_token(served_ui.token), "csv_text": text}
    )
    assert 'id="b-client_secret"' in preview.text and "(optional)" not in preview.text
    refused = served_http.post(
        "/onboard/bulk/start",
        data={"csrf_token": csrf_token(served_ui.token), "csv_text": text, "client_secret": ""},
    )
    assert refused.status_code == 422
    assert "Required" in _field_error(refused.text, "client_secret")
    assert job_count(store_path) == 0
    form = {
        "csrf_token": csrf_token(served_ui.token),
        "csv_text": text,
        "client_secret": "s",
        "batch_key": "b1",
    }
    started = served_http.post("/onboard/bulk/start", data=form)
    assert started.status_code == 303 and job_count(store_path) == 1
    again = served_http.post("/onboard/bulk/start", data=form)
    assert again.headers["location"] == started.headers["location"], "the same batch, not a second one"
    assert job_count(store_path) == 1


# --- duplicates ----------------------------------------------------------------------------------------


def test_the_wizard_flags_a_name_and_a_subscription_already_onboarded(
    served_ui: RunningUI, served_http: httpx.Client, store_path: Path, existing: Any
) -> None:
    by_name = served_http.post("/onboard", data=wizard_form(served_ui, "Form check", name=existing.name))
    assert by_name.status_code == 422
    assert "already exists" in _field_error(by_name.text, "name")
    by_subscription = served_http.post(
        "/onboard", data=wizard_form(served_ui, "Form check", subscription_id=existing.accountId.upper())
    )
    assert by_subscription.status_code == 422
    assert repr(existing.name) in _field_error(by_subscription.text, "subscription_id")
    assert job_count(store_path) == 0
    headers = {"x-csrf-token": csrf_token(served_ui.token)}
    live = served_http.post(
        "/api/validate", json={"name": existing.name, "has_client_secret": True}, headers=headers
    ).json()["errors"]
    assert "already exists" in live["name"]


def test_the_csv_preview_flags_onboarded_accounts_and_repeats_within_the_file(
    served_ui: RunningUI, served_http: httpx.Client, store_path: Path, existing: Any
) -> None:
    repeated = str(uuid.uuid4())
    rows = [
        f"{existing.name},{GOOD},{uuid.uuid4()}",  # line 2: name taken in Prisma
        f"Fresh 1,{GOOD},{existing.accountId}",  # line 3: subscription taken in Prisma
        f"Fresh 2,{GOOD},{repeated}",  # line 4: fine
        f"Fresh 3,{GOOD},{repeated}",  # line 5: subscription of line 4
        f"Fresh 2,{GOOD},{uuid.uuid4()}",  # line 6: name of line 4
    ]
    head = "name,tenant_id,subscription_id,client_id,service_principal_id\n"
    text = head + "".join(f"{r},{GOOD},{GOOD}\n" for r in rows)
    page = served_http.post(
        "/onboard/bulk", data={"csrf_token": csrf_token(served_ui.token), "csv_text": text}
    ).text
    assert "1 row ready" in page and "4 with problems" in page

    def problems(line: int) -> str:
        return page.split(f'data-line="{line}"', 1)[1].split("</tr>", 1)[0]

    assert "already exists in Prisma Cloud" in problems(2)
    assert "already onboarded as" in unescape(problems(3))
    assert "Duplicate of line 4" in problems(5)
    assert "Same name as line 4" in problems(6)
    refused = served_http.post(
        "/onboard/bulk/start",
        data={"csrf_token": csrf_token(served_ui.token), "csv_text": text, "client_secret": "s"},
    )
    assert refused.status_code == 422 and job_count(store_path) == 0


# --- the pure parts ------------------------------------------------------------------------------------


def test_secret_rules_per_provisioner() -> None:
    assert secret_error("existing", False) and secret_error("azure-api", False)
    assert secret_error("terraform", False) is None
    assert secret_error("existing", True) is None


def test_duplicates_match_names_exactly_and_azure_ids_in_any_case() -> None:
    known = Onboarded.of(
        [
            {"name": "Prod", "accountId": "AAAA", "cloudType": "azure"},
            {"name": "aws-1", "accountId": "123", "cloudType": "aws"},
            {"name": "Tenant", "accountId": "tttt", "cloudType": "azure", "accountType": "tenant"},
        ]
    )
    assert duplicate_errors({"name": "prod", "subscription_id": "bbbb"}, known) == {}
    assert set(duplicate_errors({"name": "aws-1", "subscription_id": "aaaa"}, known)) == {
        "name",
        "subscription_id",
    }
    assert set(duplicate_errors({"account_type": "tenant", "tenant_id": "TTTT", "name": "x"}, known)) == {
        "tenant_id"
    }
    assert duplicate_errors({"name": "x", "subscription_id": "123"}, known) == {}, "an AWS id is no Azure id"


def test_the_live_list_is_reused_for_its_ttl_and_a_submit_reads_afresh() -> None:
    now = [0.0]
    reads: list[int] = []
    cache = OnboardedCache(ttl=30, clock=lambda: now[0])

    def read() -> Onboarded:
        reads.append(1)
        return Onboarded()

    cache.get("p", read)
    cache.get("p", read)
    now[0] = 31
    cache.get("p", read)
    cache.get("p", read, fresh=True)
    assert len(reads) == 3
    assert cache.get("q", lambda: None) is None, "a list that could not be read is not cached"
