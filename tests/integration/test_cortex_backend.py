"""One backend interface, two dialects: the same questions to the emulator's Prisma and Cortex APIs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cortexkit.client import Client
from cortexkit.cortex.backend import Backend, CortexBackend, PrismaBackend, dialect_for
from cortexkit.credentials import load_credentials
from cortexkit.emulator.server import RunningEmulator

from .cortex_support import cortex_client


@pytest.fixture(params=["prisma", "cortex"])
def backend(request: pytest.FixtureRequest, emulator: RunningEmulator) -> Iterator[Backend]:
    if request.param == "cortex":
        made: Backend = CortexBackend(cortex_client(emulator))
    else:
        env = emulator.client_env()
        creds = load_credentials(
            api_url=env["PRISMA_API_URL"],
            access_key_id=env["PRISMA_ACCESS_KEY_ID"],
            secret_key=env["PRISMA_SECRET_KEY"],
            interactive=False,
        )
        made = PrismaBackend(Client(creds), creds)
    try:
        yield made
    finally:
        made.close()


def test_whoami_cloud_accounts_and_alerts_answer_on_either_dialect(backend: Backend) -> None:
    me = backend.whoami()
    assert me.dialect == backend.dialect and me.api_url == backend.api_url and me.key_id
    assert me.tenant == "cortexkit-emulator"
    if backend.dialect == "cortex":
        assert me.key_type == "advanced" and me.role == "admin"
    accounts = list(backend.cloud_accounts(cloud="azure", max_items=20))
    assert accounts and all(a.dialect == backend.dialect and a.account_id for a in accounts)
    assert {str(a.cloud).lower() for a in accounts} == {"azure"}
    alerts = list(backend.alerts(status="open", max_items=25))
    assert len(alerts) == 25 and all(a.id and a.severity for a in alerts)


def test_the_environment_picks_the_dialect_and_both_at_once_is_refused(emulator: RunningEmulator) -> None:
    from cortexkit import errors

    prisma, cortex = emulator.client_env(), emulator.cortex_env()
    assert dialect_for(env={**prisma, "CORTEXKIT_CONFIG_DIR": "/nonexistent"}) == "prisma"
    assert dialect_for(env={**cortex, "CORTEXKIT_CONFIG_DIR": "/nonexistent"}) == "cortex"
    with pytest.raises(errors.ConfigurationError, match="--backend prisma"):
        dialect_for(env={**prisma, **cortex, "CORTEXKIT_CONFIG_DIR": "/nonexistent"})
    assert dialect_for(backend="cortex", env={**prisma, **cortex}) == "cortex"
