"""`Client` and `AsyncClient` over httpx.MockTransport with a fake clock and a recording sleep: the request
loop's decisions (auth, retries, idempotency, decoding, redaction) without a network or real waiting.

Every test runs against both clients (the `client` fixture is parametrised), so the two cannot drift.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from cortexkit import errors
from tests.unit.client_support import (
    KEY_ID,
    SECRET,
    AsyncDriver,
    Driver,
    FakeAPI,
    FakeClock,
    make_driver,
    script,
)

Make = Callable[..., Driver]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api() -> FakeAPI:
    return FakeAPI()


@pytest.fixture(params=["sync", "async"])
def make(
    request: pytest.FixtureRequest, api: FakeAPI, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Make]:
    """Builds clients of the parametrised kind; closes them (and the async one's loop) afterwards."""
    for name in ("PRISMA_API_URL", "PRISMA_ACCESS_KEY_ID", "PRISMA_SECRET_KEY", "CORTEXKIT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    made: list[Driver] = []

    def build(**kw: Any) -> Driver:
        driver = make_driver(request.param, api, clock, **kw)
        made.append(driver)
        return driver

    yield build
    for driver in made:
        if isinstance(driver, AsyncDriver):
            driver.dispose()
        else:
            driver.close()


@pytest.fixture
def client(make: Make) -> Driver:
    return make()


def test_logs_in_once_and_sends_the_token(client: Driver, api: FakeAPI) -> None:
    assert client.request("GET", "/cloud") == {"ok": True}
    assert client.request("GET", "/cloud") == {"ok": True}
    assert api.logins == 1
    sent = api.calls("GET /cloud")
    assert [r.headers["x-redlock-auth"] for r in sent] == ["tok-1", "tok-1"]
    assert sent[0].headers["user-agent"].startswith("cortexkit/")
    assert client.stats.logins == 1


def test_decoding(client: Driver, api: FakeAPI) -> None:
    api.routes["GET /text"] = lambda r: httpx.Response(
        200, text="a,b\n1,2\n", headers={"content-type": "text/csv"}
    )
    api.routes["GET /empty"] = lambda r: httpx.Response(200)
    api.routes["GET /html"] = lambda r: httpx.Response(
        200, text="<html><body>login</body></html>", headers={"content-type": "text/html"}
    )
    api.routes["GET /broken"] = lambda r: httpx.Response(
        200, content=b'{"items": [1, 2', headers={"content-type": "application/json"}
    )
    assert client.request("GET", "/text") == "a,b\n1,2\n"
    assert client.request("GET", "/empty") is None
    with pytest.raises(errors.UnexpectedResponseError):
        client.request("GET", "/html")
    with pytest.raises(errors.UnexpectedResponseError):
        client.request("GET", "/broken")


def test_error_statuses_map_to_typed_errors(client: Driver, api: FakeAPI) -> None:
    api.routes["GET /cloud/azure/x"] = lambda r: httpx.Response(
        404, headers={"x-redlock-status": '[{"i18nKey":"not_found","severity":"error","subject":null}]'}
    )
    with pytest.raises(errors.NotFoundError) as info:
        client.request("GET", "/cloud/azure/x")
    assert info.value.status == 404
    assert "not_found" in info.value.i18n_keys
    assert len(api.calls("GET /cloud/azure/x")) == 1  # a 404 is final


def test_read_retries_through_a_5xx_storm(client: Driver, api: FakeAPI, clock: FakeClock) -> None:
    api.routes["GET /cloud"] = script(httpx.Response(503), httpx.Response(502), httpx.Response(500))
    assert client.request("GET", "/cloud") == {"ok": True}
    assert len(api.calls("GET /cloud")) == 4
    assert client.stats.retries == 3
    assert len(clock.sleeps) == 3 and all(0 <= s <= 4 for s in clock.sleeps)


def test_retry_after_is_honoured(client: Driver, api: FakeAPI, clock: FakeClock) -> None:
    api.routes["POST /v2/alert"] = script(httpx.Response(429, headers={"Retry-After": "3"}))
    assert client.request("POST", "/v2/alert", json={"limit": 1}) == {"ok": True}
    assert clock.sleeps == [3.0]
    assert client.stats.throttled == 1


def test_read_gives_up_after_max_attempts(client: Driver, api: FakeAPI) -> None:
    api.routes["GET /cloud"] = lambda r: httpx.Response(503)
    with pytest.raises(errors.ServerError):
        client.request("GET", "/cloud")
    assert len(api.calls("GET /cloud")) == 5


def test_creating_post_is_never_resent_after_an_ambiguous_failure(client: Driver, api: FakeAPI) -> None:
    api.routes["POST /cas/v1/azure_account"] = script(httpx.Response(503))
    with pytest.raises(errors.OutcomeUnknownError) as info:
        client.request("POST", "/cas/v1/azure_account", json={"key": "azure-secret"})
    assert len(api.calls("POST /cas/v1/azure_account")) == 1
    assert isinstance(info.value.__cause__, errors.ServerError)


def test_creating_post_read_timeout_is_outcome_unknown(client: Driver, api: FakeAPI) -> None:
    api.routes["POST /alert/dismiss"] = script(httpx.ReadTimeout("slow"))
    with pytest.raises(errors.OutcomeUnknownError):
        client.request("POST", "/alert/dismiss", json={"alerts": ["a"]})
    assert len(api.calls("POST /alert/dismiss")) == 1


def test_creating_post_retries_when_surely_not_applied(client: Driver, api: FakeAPI) -> None:
    api.routes["POST /cas/v1/azure_account"] = script(
        httpx.Response(429), httpx.ConnectError("refused"), httpx.Response(200, json={"id": "new"})
    )
    assert client.request("POST", "/cas/v1/azure_account", json={}) == {"id": "new"}
    assert len(api.calls("POST /cas/v1/azure_account")) == 3


def test_caller_can_declare_a_post_idempotent(client: Driver, api: FakeAPI) -> None:
    api.routes["POST /custom/lookup"] = script(httpx.Response(503))
    assert client.request("POST", "/custom/lookup", json={}, idempotent=True) == {"ok": True}
    assert len(api.calls("POST /custom/lookup")) == 2


def test_caller_can_declare_a_get_not_idempotent(client: Driver, api: FakeAPI) -> None:
    api.routes["GET /custom/trigger"] = script(httpx.Response(500))
    with pytest.raises(errors.OutcomeUnknownError):
        client.request("GET", "/custom/trigger", idempotent=False)


def test_read_timeout_on_a_read_retries(client: Driver, api: FakeAPI) -> None:
    api.routes["GET /cloud"] = script(httpx.ReadTimeout("slow"))
    assert client.request("GET", "/cloud") == {"ok": True}


def test_transport_errors_become_typed_errors(client: Driver, api: FakeAPI) -> None:
    api.routes["GET /cloud"] = lambda r: (_ for _ in ()).throw(httpx.ConnectError("refused"))
    with pytest.raises(errors.APIConnectionError):
        client.request("GET", "/cloud")


def test_401_refreshes_once_and_replays_once(client: Driver, api: FakeAPI) -> None:
    client.request("GET", "/cloud")
    api.valid.clear()  # the server forgets every token
    assert client.request("GET", "/cloud") == {"ok": True}
    assert api.logins == 2
    assert client.stats.replays_401 == 1
    # a token refused again right after a refresh reaches the caller as an authentication error
    api.routes["GET /cloud"] = lambda r: httpx.Response(401)
    with pytest.raises(errors.AuthenticationError):
        client.request("GET", "/cloud")
    assert api.logins == 3


def test_bad_credentials_raise_authentication_error(make: Make, api: FakeAPI) -> None:
    bad = make(secret_key="wrong")
    with pytest.raises(errors.AuthenticationError) as info:
        bad.request("GET", "/cloud")
    assert "wrong" not in str(info.value)
    assert len(api.calls("POST /login")) == 1  # a 401 on login is final


def test_proactive_extend_before_expiry(client: Driver, api: FakeAPI, clock: FakeClock) -> None:
    client.request("GET", "/cloud")
    clock.now += 510  # past the refresh point (500 s for an opaque 10-minute token)
    client.request("GET", "/cloud")
    assert (api.logins, api.extends) == (1, 1)
    assert api.calls("GET /cloud")[-1].headers["x-redlock-auth"] == "tok-2"


def test_refused_extend_falls_back_to_login(client: Driver, api: FakeAPI, clock: FakeClock) -> None:
    client.request("GET", "/cloud")
    api.valid.discard("tok-1")  # server revoked it, but our clock says it is still valid
    api.valid.add("tok-1-for-calls")
    clock.now += 510
    client.request("GET", "/cloud")
    assert (api.logins, api.extends) == (2, 0)


def test_failed_proactive_extend_keeps_the_old_token(client: Driver, api: FakeAPI, clock: FakeClock) -> None:
    client.request("GET", "/cloud")
    api.extend_status = 500
    clock.now += 510
    assert client.request("GET", "/cloud") == {"ok": True}
    assert api.calls("GET /cloud")[-1].headers["x-redlock-auth"] == "tok-1"
    assert client.stats.refresh_failures == 1
    extends_tried = len(api.calls("GET /auth_token/extend"))
    client.request("GET", "/cloud")  # within the retry interval: no new extend attempt
    assert len(api.calls("GET /auth_token/extend")) == extends_tried
    api.extend_status = 200
    clock.now += 31
    client.request("GET", "/cloud")
    assert api.extends == 1


def test_expired_token_logs_in_again(client: Driver, api: FakeAPI, clock: FakeClock) -> None:
    client.request("GET", "/cloud")
    clock.now += 700
    client.request("GET", "/cloud")
    assert (api.logins, api.extends) == (2, 0)


def test_repr_and_logs_never_show_secrets(
    client: Driver, api: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="cortexkit")
    api.routes["GET /cloud"] = script(httpx.Response(503))
    client.request("GET", "/cloud", params={"q": "1"})
    client.request("POST", "/cas/v1/azure_account", json={"key": "azure-client-secret"})
    text = caplog.text + repr(client) + str(client)
    assert "GET /cloud" in caplog.text
    for secret in (SECRET, "tok-1", "azure-client-secret"):
        assert secret not in text
    assert KEY_ID in repr(client)


def test_rate_limiter_spaces_requests(make: Make, clock: FakeClock) -> None:
    from cortexkit.ratelimit import RateLimiter

    c = make(rate_limit=RateLimiter())
    for _ in range(15):
        c.request("POST", "/v2/alert", json={})
    # documented 2/s with burst 10: the 15 calls spread over about (15 - 9) / 1.9 seconds
    assert sum(clock.sleeps) == pytest.approx(6 / 1.9, rel=0.05)
    assert c.stats.rate_limit_wait == pytest.approx(sum(clock.sleeps))


def test_close_closes_the_pool(client: Driver) -> None:
    client.request("GET", "/cloud")
    client.close()
    with pytest.raises(RuntimeError):
        client.request("GET", "/cloud")


def test_request_raw_returns_the_response(client: Driver) -> None:
    response = client.request_raw("GET", "/cloud")
    assert response.status_code == 200 and response.json() == {"ok": True}


def test_refresher_value_is_checked(make: Make) -> None:
    with pytest.raises(errors.ConfigurationError):
        make(refresher="eager")
