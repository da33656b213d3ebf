"""Cortex credentials: the Terraform provider's names, URL normalisation, the key never shown."""

from __future__ import annotations

import pytest

from cortexkit.cortex.credentials import CortexCredentials, load_cortex_credentials, normalise_api_url
from cortexkit.cortex.profiles import add_profile, load_profile, profile_backend
from cortexkit.credentials import ProfileStore
from cortexkit.errors import CredentialsError


@pytest.mark.parametrize(
    ("given", "wanted"),
    [
        ("https://api-acme.xdr.us.paloaltonetworks.com", "https://api-acme.xdr.us.paloaltonetworks.com"),
        ("https://api-acme.xdr.us.paloaltonetworks.com/", "https://api-acme.xdr.us.paloaltonetworks.com"),
        ("acme.xdr.us.paloaltonetworks.com", "https://api-acme.xdr.us.paloaltonetworks.com"),
        (
            "https://acme.xdr.eu.paloaltonetworks.com/dashboard",
            "https://api-acme.xdr.eu.paloaltonetworks.com",
        ),
        ("api-acme.xdr.us.paloaltonetworks.com", "https://api-acme.xdr.us.paloaltonetworks.com"),
        ("http://127.0.0.1:8188", "http://127.0.0.1:8188"),
    ],
)
def test_normalise(given: str, wanted: str) -> None:
    assert normalise_api_url(given) == wanted


@pytest.mark.parametrize("bad", ["", "   ", "not a url"])
def test_bad_url(bad: str) -> None:
    with pytest.raises(CredentialsError):
        normalise_api_url(bad)


def test_env_names_and_defaults() -> None:
    env = {
        "CORTEXCLOUD_API_URL": "acme.xdr.us.paloaltonetworks.com",
        "CORTEXCLOUD_API_KEY": "sekret",
        "CORTEXCLOUD_API_KEY_ID": "12",
    }
    creds = load_cortex_credentials(env=env)
    assert (creds.api_url, creds.api_key_id, creds.api_key_type) == (
        "https://api-acme.xdr.us.paloaltonetworks.com",
        12,
        "advanced",
    )
    assert creds.source == "environment"
    assert "sekret" not in repr(creds) and "sekret" not in str(creds)


def test_arguments_win_over_env() -> None:
    env = {
        "CORTEXCLOUD_API_URL": "http://127.0.0.1:1",
        "CORTEXCLOUD_API_KEY": "a",
        "CORTEXCLOUD_API_KEY_ID": "1",
        "CORTEXCLOUD_API_KEY_TYPE": "standard",
    }
    creds = load_cortex_credentials(api_key_id=5, env=env)
    assert creds.api_key_id == 5 and creds.api_key_type == "standard"


@pytest.mark.parametrize("key_id", ["abc", "0", "-3", "1.5"])
def test_key_id_must_be_positive_int(key_id: str) -> None:
    env = {
        "CORTEXCLOUD_API_URL": "http://127.0.0.1:1",
        "CORTEXCLOUD_API_KEY": "a",
        "CORTEXCLOUD_API_KEY_ID": key_id,
    }
    with pytest.raises(CredentialsError, match="positive integer"):
        load_cortex_credentials(env=env)


def test_missing_names_the_variables() -> None:
    with pytest.raises(CredentialsError, match="CORTEXCLOUD_API_KEY_ID, CORTEXCLOUD_API_KEY"):
        load_cortex_credentials(env={"CORTEXCLOUD_API_URL": "x.example.com"})


def test_bad_key_type() -> None:
    with pytest.raises(CredentialsError, match="advanced' or 'standard"):
        CortexCredentials("http://127.0.0.1:1", 1, "k", "premium")  # type: ignore[arg-type]


class MemoryKeyring:
    """A fake of the OS keyring (none runs here): a dict."""

    priority = 1

    def __init__(self) -> None:
        self.data: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, name: str, value: str) -> None:
        self.data[(service, name)] = value

    def get_password(self, service: str, name: str) -> str | None:
        return self.data.get((service, name))

    def delete_password(self, service: str, name: str) -> None:
        self.data.pop((service, name), None)


def test_profile_round_trip(tmp_path: pytest.TempPathFactory) -> None:
    store = ProfileStore(tmp_path / "credentials.yml", keyring_backend=MemoryKeyring())  # type: ignore[operator]
    creds = CortexCredentials("acme.xdr.us.paloaltonetworks.com", 9, "the-key", "standard")
    where = add_profile("cx", creds, store=store, insecure_storage=True)
    assert where == "file"
    assert profile_backend("cx", store=store) == "cortex"
    loaded = load_profile("cx", store=store)
    assert loaded is not None and loaded.api_key.get_secret_value() == "the-key"
    assert (
        loaded.api_key_type == "standard" and loaded.api_url == "https://api-acme.xdr.us.paloaltonetworks.com"
    )
    got = load_cortex_credentials("cx", store=store, env={})
    assert got.name == "cx" and got.api_key_id == 9
