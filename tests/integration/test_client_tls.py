"""TLS settings over a real TLS emulator: the CA bundle path works, an untrusted certificate fails at
once (no backoff: waiting cannot fix it), and verify=False is honoured."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from pathlib import Path

import pytest

from cortexkit import errors
from cortexkit._http import HttpSettings
from cortexkit.client import Client
from cortexkit.emulator.server import RunningEmulator
from cortexkit.retry import RetryConfig


@pytest.fixture
def tls_emulator(make_emulator: Callable[..., RunningEmulator]) -> RunningEmulator:
    running = make_emulator(tls=True)
    assert running.url.startswith("https://") and running.ca_file is not None
    return running


def connect(running: RunningEmulator, verify: bool | str | ssl.SSLContext) -> Client:
    return Client(
        api_url=running.url,
        access_key_id=running.access_key_id,
        secret_key=running.secret_key,
        verify=verify,
        retry=RetryConfig(max_attempts=3, base=0.01, cap=0.01),
    )


def test_ca_bundle_path(tls_emulator: RunningEmulator) -> None:
    with connect(tls_emulator, str(tls_emulator.ca_file)) as client:
        assert isinstance(client.request("GET", "/cloud"), list)


def test_untrusted_certificate_fails_without_retrying(tls_emulator: RunningEmulator) -> None:
    with connect(tls_emulator, True) as client:
        with pytest.raises(errors.APIConnectionError):
            client.request("GET", "/cloud")
        assert client.stats.retries == 0


def test_verify_false(tls_emulator: RunningEmulator) -> None:
    with connect(tls_emulator, False) as client:
        assert isinstance(client.request("GET", "/cloud"), list)


def test_missing_ca_bundle_is_a_clear_error(tls_emulator: RunningEmulator) -> None:
    # issue 11 §3: a ConfigurationError naming the path, not a bare FileNotFoundError
    with pytest.raises(errors.ConfigurationError, match=r"CA bundle /nonexistent/ca\.pem .*does not exist"):
        connect(tls_emulator, "/nonexistent/ca.pem")


def test_requests_ca_bundle_is_honoured(
    tls_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12 defect 8: users behind TLS inspection have REQUESTS_CA_BUNDLE set (pcpi and
    prismacloud-api honour it); it was ignored. CURL_CA_BUNDLE comes after it, as in requests."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_emulator.ca_file))
    with connect(tls_emulator, True) as client:
        assert isinstance(client.request("GET", "/cloud"), list)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.setenv("CURL_CA_BUNDLE", str(tls_emulator.ca_file))
    with connect(tls_emulator, True) as client:
        assert isinstance(client.request("GET", "/cloud"), list)


def test_an_untrusted_certificate_says_what_to_set(
    tls_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12 defect 8: the message said "ConnectError"; it names the failure, the host and the fix."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
    with connect(tls_emulator, True) as client, pytest.raises(errors.APIConnectionError) as info:
        client.request("GET", "/cloud")
    message = str(info.value)
    assert "certificate verify failed for 127.0.0.1" in message
    assert "REQUESTS_CA_BUNDLE" in message


def test_an_ssl_context_is_accepted_as_verify(tls_emulator: RunningEmulator) -> None:
    """Issue 12 defect 9: verify=ssl.SSLContext raised TypeError."""
    context = ssl.create_default_context(cafile=str(tls_emulator.ca_file))
    with connect(tls_emulator, context) as client:
        assert isinstance(client.request("GET", "/cloud"), list)


def test_ssl_contexts_are_built_once_per_bundle_and_again_when_it_changes(
    tls_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A bulk onboarding builds an Azure client per step of every job, and loading a CA bundle costs
    about 50 ms of CPU each time: the context is built once per bundle and shared; a bundle file that
    changes (a rotated corporate CA) is read again."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    assert HttpSettings(base_url="").ssl_verify() is HttpSettings(base_url="").ssl_verify()
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(Path(tls_emulator.ca_file).read_bytes())
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    first = HttpSettings(base_url="").ssl_verify()
    assert first is HttpSettings(base_url="").ssl_verify()
    bundle.write_bytes(bundle.read_bytes() + b"\n")
    assert HttpSettings(base_url="").ssl_verify() is not first
    with connect(tls_emulator, True) as client:
        assert isinstance(client.request("GET", "/cloud"), list)
