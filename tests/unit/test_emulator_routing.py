"""The first-segment route index keeps FastAPI's semantics: order, parameters, 405s, OpenAPI."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

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


def test_literal_before_parameter_and_registration_order_kept() -> None:
    client = TestClient(_app())
    assert client.get("/cloud/name").json() == "names"
    assert client.get("/cloud/azure").json() == "type:azure"
    assert client.get("/cloud/special").json() == "anywhere:cloud"
    assert client.get("/other/special").json() == "anywhere:other"


def test_method_mismatch_is_405_and_unknown_is_404() -> None:
    client = TestClient(_app())
    assert client.get("/login").status_code == 405
    assert client.get("/nowhere/at/all").status_code == 404
    assert client.get("/").status_code == 404


def test_openapi_still_lists_every_route() -> None:
    schema = TestClient(_app()).get("/openapi.json").json()
    assert set(schema["paths"]) == {
        "/cloud/name",
        "/cloud/{cloud_type}",
        "/{anything}/special",
        "/login",
    }
