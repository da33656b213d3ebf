"""Which limiter a client gets: the shared governor by default, the process's own when it is off."""

from __future__ import annotations

from pathlib import Path

import pytest

from cortexkit import errors
from cortexkit.governor import (
    SharedLimiter,
    TenantRateLimiter,
    cortex_limiter,
    enabled,
    prisma_limiter,
    tenant_id,
)
from cortexkit.governor_file import FileBucketStore
from cortexkit.ratelimit import shared_limiter


@pytest.mark.parametrize(
    ("argument", "env", "expected"),
    [
        (None, {}, True),
        (None, {"CORTEXKIT_GOVERNOR": "off"}, False),
        (None, {"CORTEXKIT_GOVERNOR": " False "}, False),
        (None, {"CORTEXKIT_GOVERNOR": "on"}, True),
        (True, {"CORTEXKIT_GOVERNOR": "off"}, True),
        (False, {}, False),
    ],
)
def test_on_unless_turned_off(argument: bool | None, env: dict[str, str], expected: bool) -> None:
    assert enabled(argument, env) is expected


def test_default_is_a_file_budget_shared_in_the_process(tmp_path: Path) -> None:
    a = prisma_limiter("https://api.example.test", "key-a", directory=tmp_path)
    assert isinstance(a, SharedLimiter) and isinstance(a.store, FileBucketStore)
    assert prisma_limiter("https://api.example.test", "key-a", directory=tmp_path) is a
    assert prisma_limiter("https://api.example.test", "key-b", directory=tmp_path) is not a
    assert a.fallback is shared_limiter("https://api.example.test", "key-a")
    assert "key-a" not in str(a.store.path)  # the file is named by a hash, never the key
    assert tenant_id("https://api.example.test", "key-a") in str(a.store.path)


def test_off_is_the_process_limiter() -> None:
    limiter = prisma_limiter("https://api.example.test", "k", governor=False)
    assert limiter is shared_limiter("https://api.example.test", "k")


def test_cortex_budget_is_one_tenant_bucket_for_every_route(tmp_path: Path) -> None:
    limiter = cortex_limiter("https://api-x.xdr.example.test/", directory=tmp_path)
    assert isinstance(limiter, SharedLimiter)
    assert limiter.classify("GET", "/a") == limiter.classify("POST", "/b/c") == ("tenant", 10.0, 10)
    alone = cortex_limiter("https://api-x.xdr.example.test", governor=False)
    assert isinstance(alone, TenantRateLimiter)
    waits = [alone.reserve(m, p, 0.0) for m, p in [("GET", "/a"), ("POST", "/b")] * 6]
    assert waits[:9] == [0.0] * 9 and waits[9] > 0  # one burst for every route, not one per route


def test_governor_url_from_the_environment_must_be_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORTEXKIT_GOVERNOR_URL", "http://wrong.example.test")
    with pytest.raises(errors.ConfigurationError, match="redis://"):
        prisma_limiter("https://api.example.test", "k3")
