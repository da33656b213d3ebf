"""Every route module listed in `routes.ROUTE_MODULES` exists and exposes an APIRouter."""

from __future__ import annotations

import importlib.util

import pytest
from fastapi import APIRouter

from cortexkit.emulator import routes


@pytest.mark.parametrize("name", routes.ROUTE_MODULES)
def test_listed_route_module_imports(name: str) -> None:
    assert importlib.util.find_spec(f"cortexkit.emulator.routes.{name}") is not None, name
    assert isinstance(routes.load_router(name), APIRouter)


def test_missing_module_is_skipped_not_fatal() -> None:
    assert routes.load_router("no_such_module_xyz") is None


def test_route_modules_are_unique() -> None:
    assert len(set(routes.ROUTE_MODULES)) == len(routes.ROUTE_MODULES)
