"""`cortexkit profile ...` on the emulator: add, list, show, test, import, remove; secrets never shown."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from cortexkit.cli.main import app
from cortexkit.emulator.server import RunningEmulator
from tests.integration.cli_support import cli_env, keyring_off, run_cli, run_in_process


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """No credentials in the environment, a private config dir and no OS keyring (as on a server)."""
    with keyring_off(cli_env(tmp_path / "config")) as env:
        yield env


def real(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The installed entry point in a subprocess, as a shell runs it."""
    return run_cli(args, env, stdin=stdin)


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The same through typer's runner in-process (faster), shaped like a finished subprocess."""
    return run_in_process(args, env, stdin=stdin)


def ok(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


def test_add_list_show_test_remove(emulator: RunningEmulator, env: dict[str, str], tmp_path: Path) -> None:
    secret = emulator.secret_key
    added = ok(
        real(
            env,
            "profile",
            "add",
            "lab",
            "--url",
            emulator.url,
            "--access-key-id",
            emulator.access_key_id,
            "--secret-stdin",
            "--insecure-storage",
            "-o",
            "json",
            stdin=secret + "\n",
        )
    )
    assert added["name"] == "lab" and added["storage"] == "file" and added["default"] is True

    listed = ok(cli(env, "profile", "list", "-o", "json"))
    assert [p["name"] for p in listed] == ["lab"]
    shown = ok(cli(env, "profile", "show", "lab", "-o", "json"))
    assert shown["access_key_id"] == emulator.access_key_id and "stored in the file" in shown["secret_key"]
    for done in (cli(env, "profile", "list", "-o", "yaml"), cli(env, "profile", "show", "lab", "-o", "csv")):
        assert secret not in done.stdout + done.stderr

    config = tmp_path / "config" / "credentials.yml"
    assert config.stat().st_mode & 0o777 == 0o600
    assert yaml.safe_load(config.read_text())["profiles"]["lab"]["secret_storage"] == "file"

    tested = real(env, "--profile", "lab", "profile", "test", "-o", "json")
    result = ok(tested)
    assert result["ok"] is True and result["tenant"] == "cortexkit-emulator"
    assert "tenant cortexkit-emulator" in tested.stderr and "not a documented region" in tested.stderr
    assert secret not in tested.stdout + tested.stderr

    # The default profile is used by every command when nothing else is given.
    assert ok(cli(env, "accounts", "list", "-o", "json"))

    assert cli(env, "profile", "remove", "lab").returncode == 0
    assert ok(cli(env, "profile", "list", "-o", "json")) == []


def test_secret_from_a_named_environment_variable(emulator: RunningEmulator, env: dict[str, str]) -> None:
    env = {**env, "MY_PRISMA_SECRET": emulator.secret_key}
    ok(
        cli(
            env,
            "profile",
            "add",
            "ci",
            "--url",
            emulator.url,
            "--access-key-id",
            emulator.access_key_id,
            "--secret-env",
            "MY_PRISMA_SECRET",
            "--insecure-storage",
            "-o",
            "json",
        )
    )
    assert ok(cli(env, "profile", "test", "ci", "-o", "json"))["tenant"] == "cortexkit-emulator"


def test_secret_is_never_a_flag_and_no_terminal_means_no_prompt(env: dict[str, str]) -> None:
    done = real(env, "profile", "add", "x", "--url", "eu", "--access-key-id", "AK", "--insecure-storage")
    assert done.returncode == 2 and "--secret-stdin" in done.stderr
    flagged = cli(
        env, "profile", "add", "x", "--url", "eu", "--access-key-id", "AK", "--secret-key", "s3cr3t"
    )
    assert flagged.returncode == 2 and "No such option" in flagged.stderr


def test_without_a_keyring_the_file_needs_explicit_consent(
    emulator: RunningEmulator, env: dict[str, str]
) -> None:
    done = cli(
        env,
        "profile",
        "add",
        "x",
        "--url",
        emulator.url,
        "--access-key-id",
        "AK",
        "--secret-stdin",
        stdin="secret\n",
    )
    assert done.returncode == 2 and "--insecure-storage" in done.stderr and "Traceback" not in done.stderr


def test_import_pcpi_and_prismacloud_api_files(
    emulator: RunningEmulator, env: dict[str, str], tmp_path: Path
) -> None:
    pcpi = tmp_path / "pcpi.json"
    pcpi.write_text(
        json.dumps(
            [
                {
                    "name": "tenant-a",
                    "url": emulator.url,
                    "identity": emulator.access_key_id,
                    "secret": emulator.secret_key,
                    "verify": "false",
                    "proxies": None,
                    "project_flag": "false",
                },
                {
                    "name": "tenant-b",
                    "url": "api2.eu.prismacloud.io",
                    "identity": "AK2",
                    "secret": "S2",
                    "verify": "true",
                },
            ]
        )
    )
    imported = ok(cli(env, "profile", "import", str(pcpi), "--insecure-storage", "-o", "json"))
    assert [p["name"] for p in imported] == ["tenant-a", "tenant-b"]
    assert imported[1]["api_url"] == "https://api2.eu.prismacloud.io"
    assert emulator.secret_key not in json.dumps(imported)

    legacy = tmp_path / "credentials.json"
    legacy.write_text(
        json.dumps(
            {
                "api_endpoint": emulator.url,
                "access_key_id": emulator.access_key_id,
                "secret_key": emulator.secret_key,
            }
        )
    )
    ok(
        cli(
            env,
            "profile",
            "import",
            str(legacy),
            "--from",
            "prismacloud-api",
            "--name",
            "old",
            "--insecure-storage",
            "-o",
            "json",
        )
    )
    assert ok(cli(env, "profile", "test", "old", "-o", "json"))["tenant"] == "cortexkit-emulator"
    again = cli(env, "profile", "import", str(pcpi), "--insecure-storage")
    assert again.returncode == 2 and "--overwrite" in again.stderr


def test_runner_sees_the_same_profiles(emulator: RunningEmulator, env: dict[str, str]) -> None:
    runner = CliRunner()
    added = runner.invoke(
        app,
        [
            "profile",
            "add",
            "r",
            "--url",
            emulator.url,
            "--access-key-id",
            emulator.access_key_id,
            "--secret-stdin",
            "--insecure-storage",
            "-o",
            "json",
        ],
        input=emulator.secret_key + "\n",
        env=env,
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["profile", "list", "-o", "jsonl"], env=env)
    assert [json.loads(line)["name"] for line in listed.stdout.splitlines()] == ["r"]
    unknown = runner.invoke(app, ["--profile", "nope", "accounts", "list"], env=env)
    assert unknown.exit_code == 2 and "profiles: r" in unknown.stderr
