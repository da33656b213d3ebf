"""`cortexkit onboard ...` in-process through the root app: output, exit codes, secrets, dry run."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cortexkit.cli.main import app
from cortexkit.emulator.server import RunningEmulator
from tests.integration.onboarding_support import guid

Make = Callable[..., RunningEmulator]
SECRET = "cli-sp-secret-value"


@pytest.fixture
def env(make_emulator: Make, tmp_path: Path) -> dict[str, str]:
    running = make_emulator(status_delay=0.3)
    return {**running.client_env(), "CORTEXKIT_DATA_DIR": str(tmp_path), "AZURE_CLIENT_SECRET": SECRET}


def invoke(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env, input=stdin)
    return result.exit_code, result.stdout, result.stderr


def single(subscription: str) -> list[str]:
    return [
        "onboard",
        "azure",
        "--subscription-id",
        subscription,
        "--tenant-id",
        guid(),
        "--name",
        f"cli-{subscription[:6]}",
        "--client-id",
        guid(),
        "--service-principal-id",
        guid(),
        "--feature",
        "Remediation",
        "--poll-interval",
        "0.1",
    ]


def test_single_job_runs_streams_steps_and_lists_as_json(env: dict[str, str]) -> None:
    subscription = guid()
    code, out, err = invoke(env, *single(subscription), "-o", "json")
    assert code == 0, err
    job = json.loads(out)[0]
    assert job["state"] == "done" and job["account_id"] == subscription
    assert "Add the account: done" in err and SECRET not in out + err

    code, out, _ = invoke(env, "onboard", "list", "-o", "json")
    listed = json.loads(out)
    assert code == 0 and [(j["id"], j["state"]) for j in listed] == [(job["id"], "done")]
    code, out, _ = invoke(env, "onboard", "show", job["id"][:8], "--events", "-o", "json")
    shown = json.loads(out)
    assert [s["state"] for s in shown["steps"]] == ["done"] * 6
    assert [e["id"] for e in shown["events"]] == sorted(e["id"] for e in shown["events"])
    assert SECRET not in out
    assert {k: shown[k] for k in listed[0]} == listed[0], "list shows the leading fields of show"

    code, out, err = invoke(env, "onboard", "list", "--state", "succeeded")
    assert code == 2 and "is not a job state" in err and "needs_attention" in err and "Traceback" not in err


def test_secret_from_stdin_when_env_is_absent(env: dict[str, str]) -> None:
    no_secret = {k: v for k, v in env.items() if k != "AZURE_CLIENT_SECRET"}
    code, out, err = invoke(no_secret, *single(guid()), "--secret-stdin", "-o", "json", stdin=SECRET + "\n")
    assert code == 0, err
    assert json.loads(out)[0]["state"] == "done"


def test_bad_input_exits_2_naming_the_option(env: dict[str, str]) -> None:
    code, _, err = invoke(
        env, "onboard", "azure", "--subscription-id", "nope", "--tenant-id", guid(), "--name", "x"
    )
    assert code == 2 and "--subscription-id" in err


def test_dry_run_shows_calls_and_makes_none(env: dict[str, str]) -> None:
    subscription = guid()
    code, out, _ = invoke(env, *single(subscription), "--dry-run", "-o", "json")
    assert code == 0
    calls = json.loads(out)
    assert ("POST", "/cas/v1/azure_account") in {(c["method"], c["path"]) for c in calls}
    assert SECRET not in out
    code, out, _ = invoke(env, "onboard", "list", "-o", "json")
    assert json.loads(out) == []


def test_bulk_csv_reports_bad_rows_and_runs_the_rest(env: dict[str, str], tmp_path: Path) -> None:
    tenant = guid()
    rows = ["name,subscription_id,tenant_id,client_id,service_principal_id"]
    subs = [guid() for _ in range(3)]
    rows += [f"row{i},{s},{tenant},{guid()},{guid()}" for i, s in enumerate(subs)]
    rows.insert(2, f"bad,{guid()},not-a-tenant,{guid()},{guid()}")
    csv_file = tmp_path / "subs.csv"
    csv_file.write_text("\n".join(rows) + "\n")
    code, out, err = invoke(
        env, "onboard", "azure", "--from-csv", str(csv_file), "--poll-interval", "0.1", "-o", "json"
    )
    assert code == 1, "a bad row makes the run exit non-zero"
    assert re.search(r"line 3: tenant_id", err)
    assert sorted(j["state"] for j in json.loads(out)) == ["done"] * 3


def test_cancel_pending_job_and_refuse_finished_one(env: dict[str, str]) -> None:
    from cortexkit.onboarding.model import JobSpec
    from cortexkit.onboarding.store import JobStore

    store = JobStore(f"sqlite:///{Path(env['CORTEXKIT_DATA_DIR']) / 'jobs.db'}")
    spec = JobSpec(
        name="later", subscription_id=guid(), tenant_id=guid(), client_id=guid(), service_principal_id=guid()
    )
    job_id = store.create_job(spec, secret=SECRET)
    code, _, err = invoke(env, "onboard", "cancel", job_id[:8])
    assert code == 0 and "cancelled" in err
    assert store.require_job(job_id).state == "cancelled"
    code, _, err = invoke(env, "onboard", "cancel", job_id)
    assert code == 1 and "already finished" in err
    code, _, err = invoke(env, "onboard", "resume", job_id[:8], "--poll-interval", "0.1")
    assert code == 2 and "--force" in err and store.require_job(job_id).state == "cancelled"
    code, out, err = invoke(
        env, "onboard", "resume", job_id[:8], "--force", "--poll-interval", "0.1", "-o", "json"
    )
    assert code == 0, err
    assert "--force: running its remaining steps" in err and json.loads(out)[0]["state"] == "done"
    code, _, _ = invoke(env, "onboard", "show", "ffffffff")
    assert code == 2


def test_store_option_and_env_run_a_job_on_postgresql(env: dict[str, str], postgres_url: str) -> None:
    from cryptography.fernet import Fernet

    env = {**env, "CORTEXKIT_STORE_KEY": Fernet.generate_key().decode()}  # the team's shared key
    subscription = guid()
    code, out, err = invoke(env, *single(subscription), "--store", postgres_url, "-o", "json")
    assert code == 0, err
    job = json.loads(out)[0]
    assert job["state"] == "done"
    code, out, _ = invoke({**env, "CORTEXKIT_STORE_URL": postgres_url}, "onboard", "list", "-o", "json")
    assert code == 0 and [j["id"] for j in json.loads(out)] == [job["id"]]
    code, out, _ = invoke(env, "onboard", "list", "-o", "json")  # the SQLite store in the data dir
    assert code == 0 and json.loads(out) == []


@pytest.mark.parametrize(
    ("url", "code", "words"),
    [
        ("not a url", 2, "is not a job store URL"),
        ("postgresql+psycopg://someone:pw-must-not-show@127.0.0.1:1/x", 1, "cannot open the job store"),
    ],
)
def test_a_bad_store_url_is_one_sentence(env: dict[str, str], url: str, code: int, words: str) -> None:
    got, out, err = invoke(env, "onboard", "list", "--store", url)
    assert got == code and words in err, err
    assert "Traceback" not in err and "pw-must-not-show" not in out + err
