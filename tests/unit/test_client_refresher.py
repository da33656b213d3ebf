"""The sync client's background refresher (issue 12 defect 12): no eager login, collected with its client,
stopped by `close()` at once, stopped by bad credentials (surfaced on the next call), alive after `fork`.

These run on the real clock with a 4 s JWT (the thread sleeps for real), over the remote-API fake."""

from __future__ import annotations

import base64
import gc
import json
import os
import threading
import time
import weakref

import httpx
import pytest

from cortexkit import errors
from cortexkit.client import Client
from tests.unit.client_support import API, KEY_ID, SECRET, FakeAPI


class JwtAPI(FakeAPI):
    """The remote-API fake minting 4 s JWTs (whole-second claims: 3 s certain, refreshed after 1.5 s)."""

    def mint(self) -> str:
        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        self.counter += 1
        now = int(time.time())
        claims = {"iat": now, "exp": now + 4, "jti": self.counter}
        token = f"{b64(b'{}')}.{b64(json.dumps(claims).encode())}.{b64(b'sig')}"
        self.valid.add(token)
        return token


@pytest.fixture
def api() -> FakeAPI:
    return JwtAPI()


def background(api: FakeAPI) -> Client:
    return Client(
        api_url=API,
        access_key_id=KEY_ID,
        secret_key=SECRET,
        transport=httpx.MockTransport(api),
        rate_limit=False,
        refresher="background",
    )


def test_no_login_before_the_first_call(api: FakeAPI) -> None:
    with background(api):
        time.sleep(0.5)
        assert api.logins == 0


def test_a_client_dropped_without_close_is_collected_and_its_thread_ends(api: FakeAPI) -> None:
    client = background(api)
    client.request("GET", "/cloud")
    thread = client._thread
    assert thread is not None and thread.is_alive()
    ref = weakref.ref(client)
    del client
    # The refresher holds the client strongly for the instant of each step (then drops it): a collection
    # made during that instant finds it alive (seen once in a loaded CI run), so allow it a moment.
    deadline = time.monotonic() + 5
    gc.collect()
    while ref() is not None and time.monotonic() < deadline:
        time.sleep(0.01)
        gc.collect()
    assert ref() is None
    thread.join(timeout=3)
    assert not thread.is_alive()


def test_close_stops_the_thread_at_once(api: FakeAPI) -> None:
    client = background(api)
    client.request("GET", "/cloud")
    started = time.monotonic()
    client.close()
    assert time.monotonic() - started < 1.0
    assert client._thread is not None and not client._thread.is_alive()


def test_refused_credentials_stop_the_refresher_and_reach_the_next_call(api: FakeAPI) -> None:
    with background(api) as client:
        client.request("GET", "/cloud")
        api.extend_status = 401  # the key was revoked: extend and login are refused from now on
        api.routes["POST /login"] = lambda r: httpx.Response(
            401, headers={"x-redlock-status": '[{"i18nKey":"invalid_credentials"}]'}
        )
        thread = client._thread
        assert thread is not None
        thread.join(timeout=8)
        assert not thread.is_alive()  # it stopped instead of retrying forever
        attempts = len(api.calls("POST /login"))
        with pytest.raises(errors.AuthenticationError):
            client.request("GET", "/cloud")
    assert attempts == 2  # the first login and the one refused


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
def test_the_refresher_and_pool_are_renewed_in_a_forked_child(api: FakeAPI) -> None:
    with background(api) as client:
        client.request("GET", "/cloud")
        pid = os.fork()
        if pid == 0:  # the child: report through the exit status only
            code = 1
            try:
                thread = client._thread
                alive = thread is not None and thread.is_alive() and thread is not threading.main_thread()
                ok = client.request("GET", "/cloud") == {"ok": True}
                code = 0 if alive and ok else 3
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
