"""`cortexkit onboard rekey` and the key sources through the CLI, on PostgreSQL (issue 13 §1)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from cortexkit.cli.main import app
from cortexkit.emulator.server import RunningEmulator
from tests.integration.onboarding_support import guid

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
