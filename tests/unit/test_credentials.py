"""credentials.py: precedence, profile file safety, keyring use, peer file importers.

The OS keyring is replaced by `FakeKeyring`, an in-memory fake backend defined here (never the machine's
keyring); the config dir is a tmp dir passed through `CORTEXKIT_CONFIG_DIR`.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any, ClassVar

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail
from keyrings.alt import file as alt_file  # type: ignore[import-untyped]

from cortexkit._redact import Secret
from cortexkit.credentials import (
    Credentials,
    ProfileStore,
    credentials_from_env,
    import_pcpi_credentials,
    import_prismacloud_api_credentials,
    keyring_usable,
    load_credentials,
    parse_verify,
)
from cortexkit.errors import ConfigurationError, CredentialsError

EMU = "http://127.0.0.1:8188"
FAIL: Any = fail.Keyring  # keyring's "no backend found" backend


class FakeKeyring(KeyringBackend):
    """A fake, in-memory keyring backend for tests."""

    priority = 1

    def __init__(self) -> None:  # no super().__init__: it only reads KEYRING_PROPERTY_* from the env
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


class ScriptedPrompter:
    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    def ask(self, prompt: str) -> str:
        self.asked.append(prompt)
        return self.answers.pop(0)

    def ask_secret(self, prompt: str) -> str:
        self.asked.append("secret:" + prompt)
        return self.answers.pop(0)


@pytest.fixture
def ring() -> FakeKeyring:
    return FakeKeyring()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"CORTEXKIT_CONFIG_DIR": str(tmp_path / "cfg")}


@pytest.fixture
def store(env: dict[str, str], ring: FakeKeyring) -> ProfileStore:
    return ProfileStore(env=env, keyring_backend=ring)


def creds(url: str = EMU, key: str = "AK-1", secret: str = "SK-1", **kw: Any) -> Credentials:
    return Credentials(url, key, Secret(secret), **kw)


# --- Credentials and verify --------------------------------------------------------------------------


def test_repr_and_str_hide_the_secret() -> None:
    c = Credentials("eu", "AK", "the-secret-value")  # type: ignore[arg-type]  # plain str accepted
    assert isinstance(c.secret_key, Secret)
    assert c.api_url == "https://api.eu.prismacloud.io"
    assert "the-secret-value" not in repr(c) and "the-secret-value" not in str(c)
    assert "Secret('****')" in repr(c)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"key": ""}, CredentialsError),
        ({"secret": ""}, CredentialsError),
        ({"url": "mars"}, ConfigurationError),
    ],
)
def test_invalid_credentials_are_refused(kwargs: dict[str, str], error: type[Exception]) -> None:
    with pytest.raises(error):
        creds(**kwargs)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[(v, True) for v in (None, "", "true", "True", "yes", "1", True)],
        *[(v, False) for v in ("false", "False", "no", "0", "off", False)],
    ],
)
def test_parse_verify(value: object, expected: bool) -> None:
    assert parse_verify(value) is expected


def test_parse_verify_paths(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert parse_verify(str(bundle)) == str(bundle)
    with pytest.raises(ConfigurationError, match="PC_VERIFY"):
        parse_verify(str(tmp_path / "missing.pem"), where="PC_VERIFY")


# --- precedence ---------------------------------------------------------------------------------------


def test_environment_prisma_names(env: dict[str, str], store: ProfileStore) -> None:
    env |= {"PRISMA_API_URL": "app2", "PRISMA_ACCESS_KEY_ID": "AK", "PRISMA_SECRET_KEY": "SK"}
    c = load_credentials(env=env, store=store, interactive=False)
    assert (c.api_url, c.access_key_id, c.secret_key.get_secret_value()) == (
        "https://api2.prismacloud.io",
        "AK",
        "SK",
    )
    assert c.source == "environment"
    assert c.verify is True


@pytest.mark.parametrize(
    "names",
    [
        ("PC_URL", "PC_IDENTITY", "PC_SECRET", "PC_VERIFY"),
        ("PRISMA_PCPI_URL", "PRISMA_PCPI_ID", "PRISMA_PCPI_SECRET", "PRISMA_PCPI_VERIFY"),
    ],
)
def test_environment_peer_names(env: dict[str, str], store: ProfileStore, names: tuple[str, ...]) -> None:
    env |= dict(zip(names, (EMU, "AK", "SK", "False"), strict=True))
    c = load_credentials(env=env, store=store, interactive=False)
    assert (c.api_url, c.access_key_id, c.verify) == (EMU, "AK", False)


def test_mixed_tool_sets_do_not_share_a_secret(env: dict[str, str], store: ProfileStore) -> None:
    env |= {"PRISMA_API_URL": EMU, "PC_IDENTITY": "AK", "PC_SECRET": "SK"}
    with pytest.raises(CredentialsError, match=r"environment \(PC_\*\)"):
        load_credentials(env=env, store=store, interactive=False)


def test_prisma_names_win_over_peer_names(env: dict[str, str], store: ProfileStore) -> None:
    env |= {"PRISMA_API_URL": EMU, "PRISMA_ACCESS_KEY_ID": "ours", "PRISMA_SECRET_KEY": "s"}
    env |= {"PC_URL": "eu", "PC_IDENTITY": "theirs", "PC_SECRET": "t"}
    assert load_credentials(env=env, store=store, interactive=False).access_key_id == "ours"


def test_arguments_win_field_by_field(env: dict[str, str], store: ProfileStore) -> None:
    env |= {"PRISMA_API_URL": EMU, "PRISMA_ACCESS_KEY_ID": "env-key", "PRISMA_SECRET_KEY": "env-secret"}
    c = load_credentials(api_url="eu", env=env, store=store, interactive=False)
    assert c.api_url == "https://api.eu.prismacloud.io" and c.access_key_id == "env-key"
    assert c.source == "arguments + environment"
    c = load_credentials(
        api_url=EMU, access_key_id="a", secret_key=Secret("b"), env=env, store=store, interactive=False
    )
    assert (c.access_key_id, c.secret_key.get_secret_value(), c.source) == ("a", "b", "arguments")


def test_explicit_profile_outranks_environment(env: dict[str, str], store: ProfileStore) -> None:
    store.add("prod", creds(key="profile-key"))
    env |= {"PRISMA_API_URL": "eu", "PRISMA_ACCESS_KEY_ID": "env-key", "PRISMA_SECRET_KEY": "env-secret"}
    c = load_credentials("prod", env=env, store=store, interactive=False)
    assert (c.access_key_id, c.name, c.source) == ("profile-key", "prod", "profile 'prod'")


def test_environment_outranks_the_default_profile(env: dict[str, str], store: ProfileStore) -> None:
    store.add("prod", creds(key="profile-key"))
    env |= {"PRISMA_API_URL": "eu", "PRISMA_ACCESS_KEY_ID": "env-key", "PRISMA_SECRET_KEY": "env-secret"}
    assert load_credentials(env=env, store=store, interactive=False).access_key_id == "env-key"


def test_default_profile_and_cortexkit_profile(env: dict[str, str], store: ProfileStore) -> None:
    store.add("first", creds(key="first-key"))
    store.add("second", creds(key="second-key"))
    assert load_credentials(env=env, store=store, interactive=False).access_key_id == "first-key"
    env["CORTEXKIT_PROFILE"] = "second"
    assert load_credentials(env=env, store=store, interactive=False).access_key_id == "second-key"


def test_profile_fills_what_the_environment_left(env: dict[str, str], store: ProfileStore) -> None:
    store.add("prod", creds(url="eu", key="profile-key", secret="profile-secret"))
    env["PRISMA_ACCESS_KEY_ID"] = "env-key"
    c = load_credentials(env=env, store=store, interactive=False)
    assert (c.api_url, c.access_key_id, c.secret_key.get_secret_value()) == (
        "https://api.eu.prismacloud.io",
        "env-key",
        "profile-secret",
    )
    assert c.source == "environment + profile 'prod'"


@pytest.mark.parametrize(
    "stray", [{"PRISMA_API_URL": "app3"}, {"PRISMA_SECRET_KEY": "env-secret", "PRISMA_ACCESS_KEY_ID": "k"}]
)
def test_a_secret_is_never_sent_to_another_layers_url(
    env: dict[str, str], store: ProfileStore, stray: dict[str, str]
) -> None:
    store.add("prod", creds(url="eu", key="profile-key", secret="profile-secret"))
    with pytest.raises(CredentialsError, match="refusing to send a secret") as info:
        load_credentials(env=env | stray, store=store, interactive=False)
    assert "profile-secret" not in str(info.value) and "env-secret" not in str(info.value)


def test_an_explicit_url_may_take_a_profile_secret(env: dict[str, str], store: ProfileStore) -> None:
    store.add("prod", creds(url="eu", key="profile-key", secret="profile-secret"))
    c = load_credentials("prod", api_url="app3", env=env, store=store, interactive=False)  # --region
    assert (c.api_url, c.access_key_id) == ("https://api3.prismacloud.io", "profile-key")


def test_prompt_only_when_interactive(env: dict[str, str], store: ProfileStore) -> None:
    with pytest.raises(CredentialsError, match="API URL, access key id, secret key"):
        load_credentials(env=env, store=store, interactive=False)
    prompter = ScriptedPrompter("app3", "typed-key", "typed-secret")
    c = load_credentials(env=env, store=store, interactive=True, prompter=prompter)
    assert (c.api_url, c.access_key_id, c.source) == ("https://api3.prismacloud.io", "typed-key", "prompt")
    assert prompter.asked[-1].startswith("secret:")  # the secret is read without echo


def test_prompt_asks_only_for_the_missing_fields(env: dict[str, str], store: ProfileStore) -> None:
    env |= {"PRISMA_API_URL": EMU, "PRISMA_ACCESS_KEY_ID": "AK"}
    prompter = ScriptedPrompter("typed-secret")
    c = load_credentials(env=env, store=store, interactive=True, prompter=prompter)
    assert c.secret_key.get_secret_value() == "typed-secret" and len(prompter.asked) == 1


def test_missing_credentials_never_prompt_without_a_terminal(
    env: dict[str, str], store: ProfileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cortexkit.credentials.sources.stdin_is_tty", lambda: False)
    with pytest.raises(CredentialsError, match="no credentials found"):
        load_credentials(env=env, store=store)


def test_credentials_from_env(env: dict[str, str]) -> None:
    assert credentials_from_env(env) is None
    env |= {"PC_URL": EMU, "PC_IDENTITY": "AK", "PC_SECRET": "SK"}
    found = credentials_from_env(env)
    assert found is not None and found.access_key_id == "AK"


# --- the profile store ---------------------------------------------------------------------------------


def test_secret_goes_to_the_keyring_not_the_file(store: ProfileStore, ring: FakeKeyring) -> None:
    assert store.add("prod", creds(secret="very-secret-value")) == "keyring"
    text = store.path.read_text()
    assert "very-secret-value" not in text
    assert ring.store[("cortexkit", "prod")] == "very-secret-value"
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    got = store.get("prod")
    assert got.secret_key.get_secret_value() == "very-secret-value" and got.name == "prod"


def test_list_default_and_remove(store: ProfileStore, ring: FakeKeyring) -> None:
    store.add("a", creds(key="A"))
    store.add("b", creds(key="B", verify=False), make_default=True)
    infos = {p.name: p for p in store.list()}
    assert infos["b"].is_default and not infos["a"].is_default
    assert infos["b"].verify is False and infos["a"].storage == "keyring"
    assert "SK" not in repr(infos)
    store.remove("b")
    assert store.names() == ["a"] and store.default == "a"
    assert ("cortexkit", "b") not in ring.store
    store.set_default("a")
    with pytest.raises(CredentialsError, match="no profile 'zz'"):
        store.remove("zz")
    with pytest.raises(CredentialsError, match="profiles: a"):
        store.get("zz")


def test_no_keyring_needs_explicit_insecure_storage(env: dict[str, str]) -> None:
    store = ProfileStore(env=env, keyring_backend=FAIL())
    assert not store.keyring_available
    with pytest.raises(CredentialsError, match="--insecure-storage"):
        store.add("prod", creds())
    assert not store.path.exists()
    assert store.add("prod", creds(secret="file-secret"), insecure_storage=True) == "file"
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.get("prod").secret_key.get_secret_value() == "file-secret"


def test_keyring_entry_missing(store: ProfileStore, ring: FakeKeyring) -> None:
    store.add("prod", creds())
    ring.store.clear()
    with pytest.raises(CredentialsError, match="not in the OS keyring"):
        store.get("prod")


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_group_or_world_readable_file_is_refused(store: ProfileStore, mode: int) -> None:
    store.add("prod", creds())
    os.chmod(store.path, mode)
    with pytest.raises(CredentialsError) as info:
        store.get("prod")
    assert f"chmod 600 {store.path}" in str(info.value)


def test_bad_yaml_and_missing_fields(store: ProfileStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text("profiles: [unclosed\n")
    os.chmod(store.path, 0o600)
    with pytest.raises(CredentialsError, match=r"not valid YAML \(line"):
        store.list()
    store.path.write_text(
        "profiles:\n  prod:\n    api_url: eu\n    secret_storage: file\n    secret_key: x\n"
    )
    with pytest.raises(CredentialsError, match="profile 'prod': the field 'access_key_id' is missing"):
        store.get("prod")
    store.path.write_text("- just a list\n")
    with pytest.raises(CredentialsError, match="expected a mapping"):
        store.list()


def test_invalid_profile_names(store: ProfileStore) -> None:
    for name in ("", " ", "a:b", "a\nb"):
        with pytest.raises(ConfigurationError):
            store.add(name, creds())


def test_keyring_usability_detection(ring: FakeKeyring) -> None:
    assert keyring_usable(ring)
    assert not keyring_usable(None)
    assert not keyring_usable(FAIL())

    class EmptyChainer(chainer.ChainerBackend):
        backends: ClassVar[list[Any]] = []  # a chainer that found nothing

    class FakeChainer(chainer.ChainerBackend):
        backends: ClassVar[list[Any]] = [FAIL(), FakeKeyring()]

    empty: Any = EmptyChainer
    chained: Any = FakeChainer
    assert not keyring_usable(empty())
    assert keyring_usable(chained())
    assert not keyring_usable(alt_file.PlaintextKeyring())


def test_environment_only_run_never_touches_the_keyring(env: dict[str, str]) -> None:
    store = ProfileStore(env=env)  # the real default backend, which must not be resolved
    env |= {"PRISMA_API_URL": EMU, "PRISMA_ACCESS_KEY_ID": "AK", "PRISMA_SECRET_KEY": "SK"}
    load_credentials(env=env, store=store, interactive=False)
    assert store._backend_resolved is False


# --- importers -------------------------------------------------------------------------------------------


def test_import_pcpi(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    path.write_text(
        json.dumps(
            [
                {"name": "prod", "url": "https://app.eu.prismacloud.io", "identity": "A1", "secret": "S1"}
                | {"verify": "true", "proxies": None, "project_flag": "false"},
                {"name": "lab", "url": EMU, "identity": "A2", "secret": "S2", "verify": "False"},
            ]
        )
    )
    prod, lab = import_pcpi_credentials(path)
    assert (prod.name, prod.api_url, prod.verify) == ("prod", "https://api.eu.prismacloud.io", True)
    assert (lab.name, lab.api_url, lab.verify, lab.secret_key.get_secret_value()) == ("lab", EMU, False, "S2")


def test_import_prismacloud_api_with_legacy_keys(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps({"api": "api2.prismacloud.io", "username": "A", "password": "S"}))
    c = import_prismacloud_api_credentials(path)
    assert (c.api_url, c.access_key_id, c.secret_key.get_secret_value()) == (
        "https://api2.prismacloud.io",
        "A",
        "S",
    )
    # current names win over the legacy aliases whatever the key order
    path.write_text(json.dumps({"api_endpoint": "eu", "url": "app3", "identity": "A", "secret": "S"}))
    assert import_prismacloud_api_credentials(path).api_url == "https://api3.prismacloud.io"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"url": "eu", "identity": "A"}', "the field 'secret' is missing"),
        ('{"api_compute": "https://console", "identity": "A", "secret": "S"}', "Compute console URL"),
        ('{"url": "mars", "identity": "A", "secret": "S"}', "unknown region"),
        ("[1]", None),
    ],
)
def test_import_errors_name_the_file_and_field(tmp_path: Path, content: str, message: str | None) -> None:
    path = tmp_path / "credentials.json"
    path.write_text(content)
    with pytest.raises(CredentialsError) as info:
        import_prismacloud_api_credentials(path)
    assert str(path) in str(info.value)
    if message:
        assert message in str(info.value)


def test_import_pcpi_errors(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match="no such file"):
        import_pcpi_credentials(tmp_path / "nope.json")
    path = tmp_path / "c.json"
    path.write_text('[{"name": "x", "url": "eu", "secret": "S"}]')
    with pytest.raises(CredentialsError, match="tenant 1: the field 'identity' is missing"):
        import_pcpi_credentials(path)
    path.write_text("[]")
    with pytest.raises(CredentialsError, match="list of tenants"):
        import_pcpi_credentials(path)
