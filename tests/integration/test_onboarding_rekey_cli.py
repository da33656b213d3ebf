"""`cortexkit onboard rekey` and the key sources through the CLI, on PostgreSQL (issue 13 §1)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from typer.testing import CliRunner

from cortexkit.cli.main import app
from cortexkit.emulator.server import RunningEmulator
from cortexkit.onboarding.secrets import SecretBox
from cortexkit.onboarding.states import JobState, StepState
from cortexkit.onboarding.store import JobStore
from cortexkit.onboarding.store.schema import jobs
from cortexkit.onboarding.store_keys import StoreKeys
from tests.integration.onboarding_support import guid, subscription_spec

SECRET = "rekey-sp-secret-value"
K1, K2, K3 = (Fernet.generate_key().decode() for _ in range(3))


@pytest.fixture
def env(make_emulator: Callable[..., RunningEmulator], tmp_path: Path, postgres_url: str) -> dict[str, str]:
    running = make_emulator(status_delay=0)
    return {
        **running.client_env(),
        "CORTEXKIT_DATA_DIR": str(tmp_path),
        "CORTEXKIT_STORE_URL": postgres_url,
        "AZURE_CLIENT_SECRET": SECRET,
        "CORTEXKIT_STORE_KEY": "",
        "CORTEXKIT_STORE_KEY_FILE": "",
    }


def invoke(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def onboard(env: dict[str, str]) -> tuple[int, str, str]:
    args = [
        "onboard",
        "azure",
        "--subscription-id",
        guid(),
        "--tenant-id",
        guid(),
        "--name",
        f"rk-{guid()[:6]}",
    ]
    args += ["--client-id", guid(), "--service-principal-id", guid(), "--poll-interval", "0.05", "-o", "json"]
    return invoke(env, *args)


def test_a_postgresql_store_without_a_key_is_refused_before_any_job(env: dict[str, str]) -> None:
    code, out, err = onboard(env)
    assert code == 2, err
    assert "CORTEXKIT_STORE_KEY" in err and "CORTEXKIT_STORE_KEY_FILE" in err and "keyring" in err
    assert "Traceback" not in err
    code, out, _ = invoke(env, "onboard", "list", "-o", "json")  # listing needs no key
    assert code == 0 and json.loads(out) == []


def test_rotate_with_rekey_then_the_new_key_alone_reads_everything(env: dict[str, str]) -> None:
    for _ in range(2):
        code, _, err = onboard({**env, "CORTEXKIT_STORE_KEY": K1})
        assert code == 0, err

    rotated = {**env, "CORTEXKIT_STORE_KEY": f"{K2},{K1}"}
    code, out, err = invoke(rotated, "onboard", "rekey", "--dry-run", "-o", "json")
    assert code == 0, err
    assert json.loads(out)["reencrypted"] == 2 and "would re-encrypt 2 of 2" in err
    code, out, err = invoke(rotated, "onboard", "rekey", "-o", "json")
    assert code == 0 and json.loads(out)["reencrypted"] == 2, err
    assert "from CORTEXKIT_STORE_KEY" in err and K2 not in out + err and K1 not in out + err
    code, out, err = invoke(rotated, "onboard", "rekey", "-o", "json")
    assert json.loads(out)["reencrypted"] == 0 and json.loads(out)["already_current"] == 2

    # K2 alone: a new job still onboards and the rekeyed ones read back (rekey reads every secret)
    code, out, err = invoke({**env, "CORTEXKIT_STORE_KEY": K2}, "onboard", "rekey", "-o", "json")
    assert code == 0 and json.loads(out)["secrets"] == 2, err


def test_a_wrong_key_is_one_sentence_and_writes_nothing(env: dict[str, str], tmp_path: Path) -> None:
    code, _, err = onboard({**env, "CORTEXKIT_STORE_KEY": K1})
    assert code == 0, err
    code, out, err = invoke({**env, "CORTEXKIT_STORE_KEY": f"{K3},{K2}"}, "onboard", "rekey")
    assert code == 1, err
    assert "cannot be decrypted with the key(s) from CORTEXKIT_STORE_KEY" in err and "Traceback" not in err
    assert K3 not in out + err
    code, out, err = invoke({**env, "CORTEXKIT_STORE_KEY": K1}, "onboard", "rekey", "-o", "json")
    assert code == 0 and json.loads(out)["already_current"] == 1, err  # still under K1: nothing was written

    key_file = tmp_path / "team.key"
    key_file.write_text(K1)
    key_file.chmod(0o644)
    code, _, err = invoke({**env, "CORTEXKIT_STORE_KEY_FILE": str(key_file)}, "onboard", "rekey")
    assert code == 2 and f"chmod 600 {key_file}" in err and K1 not in err
    key_file.chmod(0o600)
    code, out, err = invoke(
        {**env, "CORTEXKIT_STORE_KEY_FILE": str(key_file)}, "onboard", "rekey", "-o", "json"
    )
    assert code == 0 and "CORTEXKIT_STORE_KEY_FILE" in json.loads(out)["key_source"], err


def _store_with_k1(url: str, data_dir: Path) -> JobStore:
    return JobStore(
        url, data_dir=data_dir, secret_box=SecretBox(keys=lambda: StoreKeys((K1.encode(),), "K1"))
    )


def _untouched(store: JobStore, job_id: str, events_before: int) -> None:
    """Nothing claimed or changed: still pending, no owner or lease, no step started, no new event."""
    job = store.require_job(job_id)
    assert job.state is JobState.PENDING and all(s.state is StepState.PENDING for s in job.steps)
    with store.engine.connect() as conn:
        owner, token = conn.execute(select(jobs.c.owner, jobs.c.lease_token).where(jobs.c.id == job_id)).one()
    assert owner is None and token == 0
    assert len(store.events_after(job_id, 0)) == events_before


def test_resume_without_a_key_stops_before_the_job_is_claimed(
    env: dict[str, str], postgres_url: str, tmp_path: Path
) -> None:
    """The job was made on a host with the team's key; this one has none: exit 2 up front, one sentence
    naming the sources looked at, the job as it was (not claimed, then failed on a step)."""
    store = _store_with_k1(postgres_url, tmp_path)
    job_id = store.create_job(subscription_spec(), secret="team-made-secret")
    before = len(store.events_after(job_id, 0))
    for args in (["resume", job_id], ["resume", "--all"]):
        code, out, err = invoke(env, "onboard", *args)
        assert code == 2, (args, err)
        line = err.strip()
        assert "\n" not in line and "Traceback" not in err
        assert line.startswith("Error: no key for the PostgreSQL job store"), line
        assert "CORTEXKIT_STORE_KEY and CORTEXKIT_STORE_KEY_FILE are unset" in line and "keyring" in line
        assert "set CORTEXKIT_STORE_KEY to a Fernet key" in line
        _untouched(store, job_id, before)
    code, out, err = invoke(
        {**env, "CORTEXKIT_STORE_KEY": K1},
        "onboard",
        "resume",
        job_id,
        "--poll-interval",
        "0.05",
        "-o",
        "json",
    )
    assert code == 0 and json.loads(out)[0]["state"] == "done", err  # the right key carries it on
    store.close()


def test_onboard_without_a_key_says_so_before_asking_for_the_secret(env: dict[str, str]) -> None:
    no_secret = {k: v for k, v in env.items() if k != "AZURE_CLIENT_SECRET"}
    code, _, err = onboard({**no_secret, "AZURE_CLIENT_SECRET": ""})
    assert code == 2 and "no key for the PostgreSQL job store" in err and "client secret" not in err, err
    code, out, _ = invoke(env, "onboard", "list", "-o", "json")
    assert code == 0 and json.loads(out) == []
