"""The ASGI app without a server (httpx.ASGITransport), as a library user would embed it."""

from __future__ import annotations

import httpx
import pytest

from cortexkit.emulator.app import create_app
from cortexkit.emulator.config import EmulatorConfig
from cortexkit.emulator.middleware import DroppedConnection


async def test_in_process_login_and_extend() -> None:
    app = create_app(EmulatorConfig(access_key_id="AK", secret_key="SK", rate_limits="off"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
        login = await client.post("/login", json={"username": "AK", "password": "SK"})
        assert login.status_code == 200
        extend = await client.get("/auth_token/extend", headers={"x-redlock-auth": login.json()["token"]})
        assert extend.status_code == 200
    assert app.state.emulator.stats.logins == 1


async def test_in_process_drop_raises_instead_of_closing_a_socket() -> None:
    app = create_app(EmulatorConfig(rate_limits="off"))
    app.state.emulator.faults.add_plan({"route": "POST /login", "statuses": ["drop"]})
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
        with pytest.raises(DroppedConnection):
            await client.post("/login", json={"username": "a", "password": "b"})
