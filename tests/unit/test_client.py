"""`Client` and `AsyncClient` over httpx.MockTransport with a fake clock and a recording sleep: the request
loop's decisions (auth, retries, idempotency, decoding, redaction) without a network or real waiting.

Every test runs against both clients (the `client` fixture is parametrised), so the two cannot drift.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from cortexkit import errors
from tests.unit.client_support import (
    API,
    KEY_ID,
    SECRET,
    AsyncDriver,
    Driver,
    FakeAPI,
    FakeClock,
    async_transport,
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


# -- issue 12: one test per defect, on both clients --------------------------------------------------------


def test_a_failing_slow_extend_falls_back_to_login(client: Driver, api: FakeAPI, clock: FakeClock) -> None:
    """Defect 2: the extend ran the full retry policy and outlived the token; callers got its error
    although /login worked. Each extend attempt here takes 95 s and fails, so the old token (refresh at
    500 s, expiry at 600 s) runs out during the first one: the same caller must log in."""

    def slow_failure(request: httpx.Request) -> httpx.Response:
        clock.now += 95
        return httpx.Response(503)

    client.request("GET", "/cloud")
    api.routes["GET /auth_token/extend"] = slow_failure
    clock.now += 510
    assert client.request("GET", "/cloud") == {"ok": True}
    assert len(api.calls("GET /auth_token/extend")) == 1  # its own short budget: no 5-attempt storm
    assert api.logins == 2
    assert api.calls("GET /cloud")[-1].headers["x-redlock-auth"] == "tok-2"


def test_retry_after_http_date_waits_until_that_date(client: Driver, api: FakeAPI, clock: FakeClock) -> None:
    """Defect 3: a Retry-After date was compared with the monotonic clock, so it meant a 120 s wait."""
    from cortexkit.retry import http_date

    api.routes["GET /cloud"] = script(
        httpx.Response(503, headers={"Retry-After": http_date(time.time() + 3)})
    )
    assert client.request("GET", "/cloud") == {"ok": True}
    assert len(clock.sleeps) == 1 and 1.0 <= clock.sleeps[0] <= 3.5


def test_explicit_arguments_beat_a_verify_variable_in_the_environment(
    make: Make, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Defect 5: PC_VERIFY=false (or PRISMA_PCPI_VERIFY, PRISMA_VERIFY) turned verification off for
    explicit arguments, silently."""
    for name in ("PC_VERIFY", "PRISMA_PCPI_VERIFY", "PRISMA_VERIFY"):
        monkeypatch.setenv(name, "false")
    caplog.set_level(logging.WARNING, logger="cortexkit")
    explicit = make()  # api_url, key and secret passed as arguments
    assert explicit.client._core.settings.verify is True  # type: ignore[attr-defined]
    assert make(verify=True).client._core.settings.verify is True  # type: ignore[attr-defined]
    assert "verification is OFF" not in caplog.text
    monkeypatch.setenv("PC_URL", API)
    monkeypatch.setenv("PC_IDENTITY", KEY_ID)
    monkeypatch.setenv("PC_SECRET", SECRET)
    from_env = make(api_url=None, access_key_id=None, secret_key=None)
    assert from_env.client._core.settings.verify is False  # type: ignore[attr-defined]
    warnings = [r for r in caplog.records if "verification is OFF" in r.getMessage()]
    assert len(warnings) == 1 and "PC_VERIFY" in warnings[0].getMessage()


def _rendered_locals(error: BaseException) -> str:
    """Every local of every cortexkit frame in the traceback (and its causes), rendered as `pytest -l`
    (repr) and rich's `show_locals` (pretty printing) render them."""
    from rich.pretty import pretty_repr

    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        tb = current.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            if str(frame.f_globals.get("__name__", "")).startswith("cortexkit"):
                for name, value in frame.f_locals.items():
                    parts.append(f"{name}={value!r} {pretty_repr(value)}")
            tb = tb.tb_next
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


def test_traceback_locals_never_show_the_secret_or_the_token(client: Driver, api: FakeAPI) -> None:
    """Defect 6: send_raw's `headers` held the raw JWT and the login RequestSpec's repr showed the password;
    Sentry's include_local_variables, rich's show_locals and pytest -l print frame locals."""
    api.routes["POST /cas/v1/azure_account"] = lambda r: httpx.Response(500)
    with pytest.raises(errors.OutcomeUnknownError) as after_login:
        client.request("POST", "/cas/v1/azure_account", json={"name": "sub-1"})
    api.routes["POST /login"] = lambda r: httpx.Response(500)
    api.valid.clear()
    with pytest.raises(errors.ServerError) as during_login:
        client.request("GET", "/cloud")
    for info in (after_login, during_login):
        text = _rendered_locals(info.value)
        assert "headers=" in text or "spec=" in text  # the frames were really inspected
        for secret in (SECRET, "tok-1"):  # the caller's own `json` argument is the caller's to guard
            assert secret not in text


def test_timeouts_contexts_and_http_client_are_accepted(make: Make, api: FakeAPI) -> None:
    """Defect 9: verify=ssl.SSLContext, timeout=httpx.Timeout(...) and timeout=None raised TypeError;
    http_client=, default_headers=, a per-call timeout= and max_retries= did not exist."""
    import ssl

    assert make(verify=ssl.create_default_context()).request("GET", "/cloud") == {"ok": True}
    assert make(timeout=httpx.Timeout(5.0, connect=2.0)).request("GET", "/cloud") == {"ok": True}
    assert make(timeout=None).request("GET", "/cloud") == {"ok": True}
    tagged = make(default_headers={"x-team": "secops"})
    assert tagged.request("GET", "/cloud", timeout=1.5) == {"ok": True}
    assert api.calls("GET /cloud")[-1].headers["x-team"] == "secops"
    api.routes["GET /flaky"] = lambda r: httpx.Response(503)
    with pytest.raises(errors.ServerError):
        make(max_retries=1).request("GET", "/flaky")
    assert len(api.calls("GET /flaky")) == 2
    with pytest.raises(errors.ServerError):
        tagged.request("GET", "/flaky", max_retries=0)
    assert len(api.calls("GET /flaky")) == 3


def test_an_http_client_the_caller_built_is_used_and_left_open(make: Make, api: FakeAPI) -> None:
    """Defect 9: `http_client=` injection, as openai-python has it."""
    sync = make().kind == "sync"
    own: httpx.Client | httpx.AsyncClient = (
        httpx.Client(base_url=API, transport=httpx.MockTransport(api))
        if sync
        else httpx.AsyncClient(base_url=API, transport=async_transport(api))
    )
    driver = make(http_client=own)
    assert driver.request("GET", "/cloud") == {"ok": True}
    driver.close()
    assert not own.is_closed
    with pytest.raises(errors.ConfigurationError, match="http_client"):
        make(http_client=httpx.AsyncClient() if sync else httpx.Client())


def test_rate_limit_waits_count_against_the_deadline(make: Make, clock: FakeClock) -> None:
    """Defect 14: a rate-limiter wait was not part of the retry deadline."""
    from cortexkit.ratelimit import RateLimiter
    from cortexkit.retry import RetryConfig

    limiter = RateLimiter()
    for _ in range(20):  # other callers hold the next 20 slots of 2/s: about 5 s of waiting
        limiter.reserve("POST", "/v2/alert", clock.now)
    limited = make(rate_limit=limiter, retry=RetryConfig(deadline=2.0))
    with pytest.raises(errors.APITimeoutError, match="deadline"):
        limited.request("POST", "/v2/alert", json={})
    assert clock.sleeps == []  # it did not sleep 5 s first to fail afterwards


def test_plain_http_compute_console_is_refused(client: Driver, api: FakeAPI) -> None:
    """Defect 14: a Compute base URL over plain http to another host would carry the JWT in clear."""
    api.routes["GET /meta_info"] = lambda r: httpx.Response(
        200, json={"twistlockUrl": "http://cwp.example.com"}
    )
    sent = len(api.requests)
    with pytest.raises(errors.ConfigurationError, match="plain http"):
        _compute_get(client)
    assert all(r.url.host != "cwp.example.com" for r in api.requests[sent:])


def _compute_get(client: Driver) -> Any:
    from cortexkit.pagination import RequestSpec

    spec = RequestSpec("GET", "/api/v1/images", base_url="http://cwp.example.com")
    if isinstance(client, AsyncDriver):
        return client.run(client.client.send(spec))
    return client.client.send(spec)  # type: ignore[attr-defined]


def test_api_errors_carry_what_callers_look_for(client: Driver, api: FakeAPI) -> None:
    """Defect 15: `.status_code` (with `.status`), `.request_id`, `.method`, `.path`, `.response`; a
    connection error keeps its cause."""
    api.routes["GET /cloud/x"] = lambda r: httpx.Response(
        404, json={"message": "gone"}, headers={"x-redlock-request-id": "req-42"}
    )
    with pytest.raises(errors.NotFoundError) as info:
        client.request("GET", "/cloud/x")
    error = info.value
    assert (error.status_code, error.status, error.request_id) == (404, 404, "req-42")
    assert (error.method, error.path) == ("GET", "/cloud/x")
    assert error.response is not None and error.response.json() == {"message": "gone"}
    api.routes["GET /down"] = lambda r: (_ for _ in ()).throw(httpx.ConnectError("refused"))
    with pytest.raises(errors.APIConnectionError) as down:
        client.request("GET", "/down")
    assert (down.value.method, down.value.path) == ("GET", "/down")
    assert isinstance(down.value.__cause__, httpx.ConnectError)


def test_a_region_as_the_first_argument(make: Make) -> None:
    """Ergonomics: `Client("eu", ...)` works; bad constructor input is a ConfigurationError saying how to
    pass credentials (it was a bare AttributeError / TypeError)."""
    regional = make(credentials=API, api_url=None)
    assert regional.client.api_url == API  # type: ignore[attr-defined]
    with pytest.raises(errors.ConfigurationError, match="PRISMA_ACCESS_KEY_ID"):
        make(credentials=42, api_url=None)
    with pytest.raises(errors.ConfigurationError, match="must be a string"):
        make(access_key_id=123)


def test_cortexkit_log_turns_on_redacted_debug_logging(
    make: Make, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ergonomics: `CORTEXKIT_LOG=debug` without code (as OPENAI_LOG); secrets stay masked."""
    from cortexkit.logs import HANDLER_NAME

    logger = logging.getLogger("cortexkit")
    level = logger.level
    monkeypatch.setenv("CORTEXKIT_LOG", "debug")
    try:
        client = make()
        client.request("POST", "/cas/v1/azure_account", json={"clientSecret": "azure-client-secret"})
    finally:
        for handler in [h for h in logger.handlers if h.get_name() == HANDLER_NAME]:
            logger.removeHandler(handler)
        logger.setLevel(level)
    err = capsys.readouterr().err
    assert "POST /login -> 200" in err and "POST /cas/v1/azure_account -> 200" in err
    for secret in (SECRET, "tok-1", "azure-client-secret"):
        assert secret not in err
    monkeypatch.setenv("CORTEXKIT_LOG", "loud")
    with pytest.raises(errors.ConfigurationError, match="CORTEXKIT_LOG must be one of debug"):
        make()


def test_secret_and_redacting_filter_are_public_names() -> None:
    import cortexkit
    from cortexkit._redact import RedactingFilter, Secret

    assert cortexkit.Secret is Secret and cortexkit.RedactingFilter is RedactingFilter
    assert {"Secret", "RedactingFilter"} <= set(cortexkit.__all__)


def test_iter_pages_exposes_token_and_total(client: Driver, api: FakeAPI) -> None:
    """Ergonomics: page-level iteration with `has_next_page`, `next_page_token` and `totalRows`."""
    import json

    from cortexkit.pagination import AlertPager

    pages = {None: ("p2", [{"id": "a1"}, {"id": "a2"}]), "p2": ("", [{"id": "a3"}])}

    def alerts(request: httpx.Request) -> httpx.Response:
        token, items = pages[json.loads(request.content).get("pageToken")]
        return httpx.Response(200, json={"items": items, "nextPageToken": token, "totalRows": 3})

    api.routes["POST /v2/alert"] = alerts
    pager = AlertPager({"limit": 2})
    if isinstance(client, AsyncDriver):

        async def collect() -> list[Any]:
            return [page async for page in client.client.iter_pages(pager)]

        got = client.run(collect())
    else:
        got = list(client.client.iter_pages(pager))  # type: ignore[attr-defined]
    assert [[item["id"] for item in page.items] for page in got] == [["a1", "a2"], ["a3"]]
    assert [(p.has_next_page, p.next_page_token, p.total) for p in got] == [(True, "p2", 3), (False, None, 3)]


def test_the_login_counts_against_the_deadline(make: Make, api: FakeAPI, clock: FakeClock) -> None:
    """Defect 14 (a guard: the pre-redesign client already bounded this case by the shared policy): the
    login a call triggers is sent with what is left of that call's deadline, not a fresh one."""
    from cortexkit.retry import RetryConfig

    def slow_outage(request: httpx.Request) -> httpx.Response:
        clock.now += 3
        return httpx.Response(503)

    api.routes["POST /login"] = slow_outage
    with pytest.raises(errors.CortexkitError):
        make(retry=RetryConfig(max_attempts=10, deadline=10.0, base=0.1, cap=0.1)).request("GET", "/cloud")
    assert len(api.calls("POST /login")) <= 4  # 3 s each: the 10 s deadline allows no more
    assert clock.now - 1000.0 <= 12.5
