"""`Client` over httpx.MockTransport with a fake clock and a recording sleep: the request loop's
decisions (auth, retries, idempotency, decoding, redaction) without a network or real waiting."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import httpx
import pytest

from cortexkit import errors
from cortexkit.client import Client
from cortexkit.retry import RetryConfig

API = "https://api.test.example"
KEY_ID = "key-id-1"
SECRET = "s3cr3t-value-never-logged"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


Handler = Callable[[httpx.Request], httpx.Response | None]


class FakeAPI:
    """A tiny CSPM stand-in: /login and /auth_token/extend mint opaque tokens; `routes` answer the rest.

    A route handler may return None to fall through to `{"ok": true}`. Every request is recorded.
    """

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.valid: set[str] = set()
        self.logins = 0
        self.extends = 0
        self.extend_status = 200
        self.routes: dict[str, Handler] = {}
        self.counter = 0

    def mint(self) -> str:
        self.counter += 1
        token = f"tok-{self.counter}"
        self.valid.add(token)
        return token

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = f"{request.method} {request.url.path}"
        if key == "POST /login":
            body = json.loads(request.content)
            if body != {"username": KEY_ID, "password": SECRET}:
                return httpx.Response(
                    401, headers={"x-redlock-status": '[{"i18nKey":"invalid_credentials"}]'}
                )
            self.logins += 1
            return httpx.Response(200, json={"token": self.mint(), "message": "login_successful"})
        token = request.headers.get("x-redlock-auth")
        if key == "GET /auth_token/extend":
            if self.extend_status != 200:
                return httpx.Response(self.extend_status)
            if token not in self.valid:
                return httpx.Response(401, headers={"x-redlock-status": '[{"i18nKey":"token_expired"}]'})
            self.extends += 1
            return httpx.Response(200, json={"token": self.mint()})
        if token not in self.valid:
            return httpx.Response(401)
        handler = self.routes.get(key)
        result = handler(request) if handler else None
        return result if result is not None else httpx.Response(200, json={"ok": True})

    def calls(self, key: str) -> list[httpx.Request]:
        return [r for r in self.requests if f"{r.method} {r.url.path}" == key]


def script(*responses: httpx.Response | Exception) -> Handler:
    """A handler answering with `responses` in order, then falling through to the default."""
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response | None:
        if not queue:
            return None
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return handler


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api() -> FakeAPI:
    return FakeAPI()


@pytest.fixture
def client(api: FakeAPI, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Client:
    for name in ("PRISMA_API_URL", "PRISMA_ACCESS_KEY_ID", "PRISMA_SECRET_KEY", "CORTEXKIT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    return Client(
        api_url=API,
        access_key_id=KEY_ID,
        secret_key=SECRET,
        transport=httpx.MockTransport(api),
        rate_limit=False,
        clock=clock,
        sleep=clock.sleep,
        retry=RetryConfig(max_attempts=5, deadline=None),
    )


def test_logs_in_once_and_sends_the_token(client: Client, api: FakeAPI) -> None:
    assert client.request("GET", "/cloud") == {"ok": True}
    assert client.request("GET", "/cloud") == {"ok": True}
    assert api.logins == 1
    sent = api.calls("GET /cloud")
    assert [r.headers["x-redlock-auth"] for r in sent] == ["tok-1", "tok-1"]
    assert sent[0].headers["user-agent"].startswith("cortexkit/")
    assert client.stats.logins == 1


def test_decoding(client: Client, api: FakeAPI) -> None:
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


def test_error_statuses_map_to_typed_errors(client: Client, api: FakeAPI) -> None:
    api.routes["GET /cloud/azure/x"] = lambda r: httpx.Response(
        404, headers={"x-redlock-status": '[{"i18nKey":"not_found","severity":"error","subject":null}]'}
    )
    with pytest.raises(errors.NotFoundError) as info:
        client.request("GET", "/cloud/azure/x")
    assert info.value.status == 404
    assert "not_found" in info.value.i18n_keys
    assert len(api.calls("GET /cloud/azure/x")) == 1  # a 404 is final


def test_read_retries_through_a_5xx_storm(client: Client, api: FakeAPI, clock: FakeClock) -> None:
    api.routes["GET /cloud"] = script(httpx.Response(503), httpx.Response(502), httpx.Response(500))
    assert client.request("GET", "/cloud") == {"ok": True}
    assert len(api.calls("GET /cloud")) == 4
    assert client.stats.retries == 3
    assert len(clock.sleeps) == 3 and all(0 <= s <= 4 for s in clock.sleeps)


def test_retry_after_is_honoured(client: Client, api: FakeAPI, clock: FakeClock) -> None:
    api.routes["POST /v2/alert"] = script(httpx.Response(429, headers={"Retry-After": "3"}))
    assert client.request("POST", "/v2/alert", json={"limit": 1}) == {"ok": True}
    assert clock.sleeps == [3.0]
    assert client.stats.throttled == 1


def test_read_gives_up_after_max_attempts(client: Client, api: FakeAPI) -> None:
    api.routes["GET /cloud"] = lambda r: httpx.Response(503)
    with pytest.raises(errors.ServerError):
        client.request("GET", "/cloud")
    assert len(api.calls("GET /cloud")) == 5


def test_creating_post_is_never_resent_after_an_ambiguous_failure(client: Client, api: FakeAPI) -> None:
    api.routes["POST /cas/v1/azure_account"] = script(httpx.Response(503))
    with pytest.raises(errors.OutcomeUnknownError) as info:
        client.request("POST", "/cas/v1/azure_account", json={"key": "azure-secret"})
    assert len(api.calls("POST /cas/v1/azure_account")) == 1
    assert isinstance(info.value.__cause__, errors.ServerError)


def test_creating_post_read_timeout_is_outcome_unknown(client: Client, api: FakeAPI) -> None:
    api.routes["POST /alert/dismiss"] = script(httpx.ReadTimeout("slow"))
    with pytest.raises(errors.OutcomeUnknownError):
        client.request("POST", "/alert/dismiss", json={"alerts": ["a"]})
    assert len(api.calls("POST /alert/dismiss")) == 1


def test_creating_post_retries_when_surely_not_applied(client: Client, api: FakeAPI) -> None:
    api.routes["POST /cas/v1/azure_account"] = script(
        httpx.Response(429), httpx.ConnectError("refused"), httpx.Response(200, json={"id": "new"})
    )
    assert client.request("POST", "/cas/v1/azure_account", json={}) == {"id": "new"}
    assert len(api.calls("POST /cas/v1/azure_account")) == 3


def test_caller_can_declare_a_post_idempotent(client: Client, api: FakeAPI) -> None:
    api.routes["POST /custom/lookup"] = script(httpx.Response(503))
    assert client.request("POST", "/custom/lookup", json={}, idempotent=True) == {"ok": True}
    assert len(api.calls("POST /custom/lookup")) == 2


def test_caller_can_declare_a_get_not_idempotent(client: Client, api: FakeAPI) -> None:
    api.routes["GET /custom/trigger"] = script(httpx.Response(500))
    with pytest.raises(errors.OutcomeUnknownError):
        client.request("GET", "/custom/trigger", idempotent=False)


def test_read_timeout_on_a_read_retries(client: Client, api: FakeAPI) -> None:
    api.routes["GET /cloud"] = script(httpx.ReadTimeout("slow"))
    assert client.request("GET", "/cloud") == {"ok": True}


def test_transport_errors_become_typed_errors(client: Client, api: FakeAPI) -> None:
    api.routes["GET /cloud"] = lambda r: (_ for _ in ()).throw(httpx.ConnectError("refused"))
    with pytest.raises(errors.APIConnectionError):
        client.request("GET", "/cloud")


def test_401_refreshes_once_and_replays_once(client: Client, api: FakeAPI) -> None:
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


def test_bad_credentials_raise_authentication_error(api: FakeAPI, clock: FakeClock) -> None:
    with (
        Client(
            api_url=API,
            access_key_id=KEY_ID,
            secret_key="wrong",
            transport=httpx.MockTransport(api),
            rate_limit=False,
            clock=clock,
            sleep=clock.sleep,
        ) as bad,
        pytest.raises(errors.AuthenticationError) as info,
    ):
        bad.request("GET", "/cloud")
    assert "wrong" not in str(info.value)
    assert len(api.calls("POST /login")) == 1  # a 401 on login is final


def test_proactive_extend_before_expiry(client: Client, api: FakeAPI, clock: FakeClock) -> None:
    client.request("GET", "/cloud")
    clock.now += 510  # past the refresh point (500 s for an opaque 10-minute token)
    client.request("GET", "/cloud")
    assert (api.logins, api.extends) == (1, 1)
    assert api.calls("GET /cloud")[-1].headers["x-redlock-auth"] == "tok-2"


def test_refused_extend_falls_back_to_login(client: Client, api: FakeAPI, clock: FakeClock) -> None:
    client.request("GET", "/cloud")
    api.valid.discard("tok-1")  # server revoked it, but our clock says it is still valid
    api.valid.add("tok-1-for-calls")
    clock.now += 510
    client.request("GET", "/cloud")
    assert (api.logins, api.extends) == (2, 0)


def test_failed_proactive_extend_keeps_the_old_token(client: Client, api: FakeAPI, clock: FakeClock) -> None:
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


def test_expired_token_logs_in_again(client: Client, api: FakeAPI, clock: FakeClock) -> None:
    client.request("GET", "/cloud")
    clock.now += 700
    client.request("GET", "/cloud")
    assert (api.logins, api.extends) == (2, 0)


def test_repr_and_logs_never_show_secrets(
    client: Client, api: FakeAPI, caplog: pytest.LogCaptureFixture
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


def test_rate_limiter_spaces_requests(api: FakeAPI, clock: FakeClock) -> None:
    from cortexkit.ratelimit import RateLimiter

    limiter = RateLimiter()
    with Client(
        api_url=API,
        access_key_id=KEY_ID,
        secret_key=SECRET,
        transport=httpx.MockTransport(api),
        rate_limit=limiter,
        clock=clock,
        sleep=clock.sleep,
    ) as c:
        for _ in range(15):
            c.request("POST", "/v2/alert", json={})
    # documented 2/s with burst 10: the 15 calls spread over about (15 - 9) / 1.9 seconds
    assert sum(clock.sleeps) == pytest.approx(6 / 1.9, rel=0.05)
    assert c.stats.rate_limit_wait == pytest.approx(sum(clock.sleeps))


def test_context_manager_closes(client: Client) -> None:
    with client as c:
        c.request("GET", "/cloud")
    with pytest.raises(RuntimeError):
        client.request("GET", "/cloud")


def test_request_raw_returns_the_response(client: Client) -> None:
    response = client.request_raw("GET", "/cloud")
    assert response.status_code == 200 and response.json() == {"ok": True}


def test_refresher_value_is_checked(api: FakeAPI) -> None:
    with pytest.raises(errors.ConfigurationError):
        Client(
            api_url=API,
            access_key_id=KEY_ID,
            secret_key=SECRET,
            refresher="eager",  # type: ignore[arg-type]
            transport=httpx.MockTransport(api),
        )
