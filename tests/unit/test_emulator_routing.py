"""The first-segment route index keeps FastAPI's semantics: order, parameters, 405s, OpenAPI."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from cortexkit.emulator.routing import index_routes


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/cloud/name")
    async def names() -> str:
        return "names"

    @app.get("/{anything}/special")
    async def anywhere(anything: str) -> str:
        return f"anywhere:{anything}"

    @app.get("/cloud/{cloud_type}")
    async def by_type(cloud_type: str) -> str:  # after the catch-all: /cloud/special is not its
        return f"type:{cloud_type}"

    @app.post("/login")
    async def login() -> str:
        return "login"

    index_routes(app)
    return app


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app")


async def test_literal_before_parameter_and_registration_order_kept() -> None:
    async with _client(_app()) as client:
        assert (await client.get("/cloud/name")).json() == "names"
        assert (await client.get("/cloud/azure")).json() == "type:azure"
        assert (await client.get("/cloud/special")).json() == "anywhere:cloud"
        assert (await client.get("/other/special")).json() == "anywhere:other"


async def test_method_mismatch_is_405_and_unknown_is_404() -> None:
    async with _client(_app()) as client:
        assert (await client.get("/login")).status_code == 405
        assert (await client.get("/nowhere/at/all")).status_code == 404
        assert (await client.get("/")).status_code == 404


async def test_openapi_still_lists_every_route() -> None:
    async with _client(_app()) as client:
        schema = (await client.get("/openapi.json")).json()
    assert set(schema["paths"]) == {
        "/cloud/name",
        "/cloud/{cloud_type}",
        "/{anything}/special",
        "/login",
    }


async def test_the_emulator_works_when_mounted_under_a_prefix() -> None:
    from cortexkit.emulator.app import create_app
    from cortexkit.emulator.config import EmulatorConfig

    outer = FastAPI()
    outer.mount("/emu", create_app(EmulatorConfig(access_key_id="AK", secret_key="SK", rate_limits="off")))
    async with _client(outer) as client:
        login = await client.post("/emu/login", json={"username": "AK", "password": "SK"})
        assert login.status_code == 200
        extend = await client.get("/emu/auth_token/extend", headers={"x-redlock-auth": login.json()["token"]})
        assert extend.status_code == 200
        cas = await client.post("/emu/cas/v1/azure_template", json={})
        assert cas.status_code == 401 and "debugMessage" in cas.json()
