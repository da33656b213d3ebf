"""session_loader.py: pcpi 0.4.x file/env/user loading and sessions, over an httpx MockTransport."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import httpx
import pytest

from cortexkit import session_loader
from cortexkit._redact import Secret
from cortexkit.client import Client
from cortexkit.credentials import Credentials
from cortexkit.errors import ConfigurationError, CredentialsError, NotFoundError

API = "https://api.test.example"
COMPUTE = "https://console.test.example"
TOKEN = "opaque-session-token"


class ScriptedPrompter:
    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)

    def ask(self, prompt: str) -> str:
        return self.answers.pop(0)

    def ask_secret(self, prompt: str) -> str:
        return self.answers.pop(0)


def fake_api(request: httpx.Request) -> httpx.Response:
    """A tiny stand-in for the API: login, /cloud, a 404 with x-redlock-status, meta_info, Compute."""
    route = (request.method, request.url.host, request.url.path)
    if route == ("POST", "api.test.example", "/login"):
        body = json.loads(request.content)
        if (body["username"], body["password"]) != ("AK", "SK"):
            return httpx.Response(401, headers={"x-redlock-status": '[{"i18nKey":"invalid_credentials"}]'})
        return httpx.Response(200, json={"token": TOKEN})
    if request.headers.get("x-redlock-auth") != TOKEN:
        return httpx.Response(401)
    if route == ("GET", "api.test.example", "/cloud"):
        return httpx.Response(200, json=[{"name": "sub-1"}])
    if route == ("POST", "api.test.example", "/v2/alert"):
        return httpx.Response(
            200, json={"echo": json.loads(request.content), "params": dict(request.url.params)}
        )
    if route == ("GET", "api.test.example", "/meta_info"):
        return httpx.Response(200, json={"twistlockUrl": COMPUTE})
    if route == ("GET", "console.test.example", "/api/v1/images"):
        return httpx.Response(200, json=[{"_id": "img"}], headers={"Total-Count": "1"})
    return httpx.Response(
        404,
        headers={"x-redlock-status": '[{"i18nKey":"not_found"}]', "x-redlock-request-id": "rid-9"},
    )


def manager(secret: str = "SK") -> session_loader.SessionManager:
    creds = Credentials(API, "AK", Secret(secret), name="lab")
    client = Client(creds, transport=httpx.MockTransport(fake_api), rate_limit=False)
    return session_loader.SessionManager(creds, client=client)


def tenant_yaml(name: str = "lab", url: str = API, verify: str = "'true'") -> str:
    return f"{name}:\n  access_key: AK\n  secret_key: SK\n  api_url: {url}\n  verify: {verify}\n"


# --- sessions -------------------------------------------------------------------------------------------


def test_cspm_session_request_returns_a_response() -> None:
    with manager() as m:
        session = m.create_cspm_session()
        response = session.request("GET", "/cloud")
        assert (response.status_code, response.ok) == (200, True)
        assert response.json() == [{"name": "sub-1"}]
        assert '"sub-1"' in response.text
        assert response.url == API + "/cloud"
        assert response.headers["Content-Type"] == response.headers["content-type"] == "application/json"
        response.raise_for_status()  # no error
        assert m.client.stats.logins == 1


def test_positional_pcpi_signature_and_path_without_slash() -> None:
    with manager() as m:
        session = m.create_cspm_session()
        response = session.request("post", "v2/alert", {"limit": 1}, None, {"detailed": "true"})
        assert response.json() == {"echo": {"limit": 1}, "params": {"detailed": "true"}}
        # pcpi's logging-only options are accepted
        assert session.request("GET", "/cloud", status_ignore=[404], redlock_ignore=["x"]).ok


def test_error_status_is_returned_not_raised() -> None:
    with manager() as m:
        response = m.create_cspm_session().request("GET", "/cloud/azure/none")
        assert (response.status_code, response.ok) == (404, False)
        assert response.headers["x-redlock-request-id"] == "rid-9"
        assert response.headers["X-Redlock-Request-Id"] == "rid-9"  # case-insensitive, as in requests
        assert response.json() is None  # empty body, as pcpi scripts test for
        with pytest.raises(NotFoundError) as info:
            response.raise_for_status()
        assert info.value.i18n_keys == ("not_found",)
        assert repr(response) == "<Response [404]>"


def test_bad_credentials_fail_at_session_creation() -> None:
    from cortexkit.errors import AuthenticationError

    with manager(secret="wrong") as m, pytest.raises(AuthenticationError) as info:
        m.create_cspm_session()
    assert "wrong" not in str(info.value)


def test_cwp_session_goes_to_the_compute_console() -> None:
    with manager() as m:
        cwp = m.create_cwp_session()
        for path in ("/api/v1/images", "/images", "images"):
            response = cwp.request("GET", path)
            assert response.json() == [{"_id": "img"}]
            assert response.url == COMPUTE + "/api/v1/images"
        assert "lab" in repr(cwp) and TOKEN not in repr(cwp)


def test_unsupported_request_options() -> None:
    with manager() as m:
        session = m.create_cspm_session()
        with pytest.raises(ConfigurationError, match="data="):
            session.request("POST", "/x", data={"a": 1})
        with pytest.raises(ConfigurationError, match="verify="):
            session.request("GET", "/cloud", verify=False)


# --- the tenant file ------------------------------------------------------------------------------------


def test_parse_tenant_file_in_order() -> None:
    text = tenant_yaml("first", "https://app2.prismacloud.io/extra/path") + tenant_yaml(
        "second", API, "'False'"
    )
    first, second = session_loader.parse_tenant_file(text, "t.yml")
    assert (first.name, first.api_url, first.verify) == ("first", "https://api2.prismacloud.io", True)
    assert (second.name, second.verify) == ("second", False)
    assert second.secret_key.get_secret_value() == "SK"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lab: [unclosed\n", "not valid YAML"),
        ("- a list\n", "expected a mapping"),
        ("lab: just-a-string\n", "must be a mapping"),
        ("lab:\n  access_key: AK\n  api_url: eu\n", "the field 'secret_key' is missing"),
        ("lab:\n  url: https://c\n  uname: u\n  passwd: p\n", "self-hosted Compute"),
        ("lab:\n  access_key: AK\n  secret_key: SK\n  api_url: mars\n", "unknown region"),
    ],
)
def test_tenant_file_errors_name_the_file_and_field(text: str, message: str) -> None:
    with pytest.raises(CredentialsError) as info:
        session_loader.parse_tenant_file(text, "/x/t.yml")
    assert "/x/t.yml" in str(info.value) and message in str(info.value)


def test_render_round_trips_in_pcpi_format() -> None:
    creds = Credentials(API, "AK", Secret("SK"), verify=False, name="lab")
    text = session_loader.render_tenant_file(creds)
    assert "verify: 'false'" in text  # pcpi 0.4 read every value as a string
    (parsed,) = session_loader.parse_tenant_file(text, "t.yml")
    assert parsed == creds.__class__(API, "AK", Secret("SK"), verify=False, name="lab", source=parsed.source)


def test_load_from_file_returns_the_first_tenant(tmp_path: Path) -> None:
    path = tmp_path / "tenant_credentials.yml"
    path.write_text(tenant_yaml("one") + tenant_yaml("two"))
    path.chmod(0o600)
    m = session_loader.load_from_file(file_path=path)
    assert m.tenant == "one" and m.credentials.api_url == API
    assert [x.tenant for x in session_loader.load_all_from_file(path)] == ["one", "two"]


def test_load_from_file_expands_the_home_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "my.yml").write_text(tenant_yaml())
    assert session_loader.load_from_file(file_path="~/secrets/my.yml").tenant == "lab"


def test_missing_file_is_built_by_asking(tmp_path: Path) -> None:
    path = tmp_path / "new" / "tenant_credentials.yml"
    prompter = ScriptedPrompter("lab", "app.eu.prismacloud.io", "AK", "SK", "")
    m = session_loader.load_from_file(file_path=path, prompter=prompter)
    assert (m.tenant, m.credentials.api_url, m.credentials.verify) == (
        "lab",
        "https://api.eu.prismacloud.io",
        True,
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert session_loader.parse_tenant_file(path.read_text(), str(path))[0].access_key_id == "AK"


def test_missing_file_without_a_terminal_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session_loader, "stdin_is_tty", lambda: False)
    with pytest.raises(CredentialsError, match="no such file"):
        session_loader.load_from_file(file_path=tmp_path / "absent.yml")
    with pytest.raises(CredentialsError, match="terminal"):
        session_loader.load_from_user()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_shared_file_is_used_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "t.yml"
    path.write_text(tenant_yaml())
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="cortexkit.session_loader"):
        session_loader.load_from_file(file_path=path)
    assert f"chmod 600 {path}" in caplog.text
    assert "SK" not in caplog.text


# --- environment and user -------------------------------------------------------------------------------


def test_load_from_env_pcpi_names() -> None:
    env = {"PC_TENANT_NAME": "t", "PC_TENANT_API": API, "PC_TENANT_A_KEY": "AK", "PC_TENANT_S_KEY": "SK"}
    m = session_loader.load_from_env(env=env | {"PC_API_VERIFY": "false"})
    assert (m.tenant, m.credentials.access_key_id, m.credentials.verify) == ("t", "AK", False)


def test_load_from_env_cortexkit_names() -> None:
    env = {"PRISMA_API_URL": "gov", "PRISMA_ACCESS_KEY_ID": "AK", "PRISMA_SECRET_KEY": "SK"}
    m = session_loader.load_from_env(env=env)
    assert m.credentials.api_url == "https://api.gov.prismacloud.io"
    with pytest.raises(CredentialsError, match="PC_TENANT_API"):
        session_loader.load_from_env(env={})


def test_load_from_user() -> None:
    m = session_loader.load_from_user(prompter=ScriptedPrompter("mine", "anz", "AK", "SK", "no"))
    assert (m.tenant, m.credentials.api_url, m.credentials.verify) == (
        "mine",
        "https://api.anz.prismacloud.io",
        False,
    )
    assert "SK" not in repr(m) and "SK" not in repr(m.credentials)
