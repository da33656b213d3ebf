"""EmulatorConfig: validation, generated credentials, no secrets in reprs."""

from __future__ import annotations

import pytest

from cortexkit import limits
from cortexkit.emulator.clock import EmulatorClock
from cortexkit.emulator.config import EmulatorConfig


def test_defaults_match_the_documented_interface() -> None:
    config = EmulatorConfig()
    assert (config.host, config.port, config.tls, config.token_ttl) == ("127.0.0.1", 8188, False, 600.0)
    assert (config.rate_limits, config.rate_scale, config.fault_rate, config.seed) == (
        "documented",
        1.0,
        0.0,
        42,
    )
    assert (config.default_rate, config.default_burst) == (limits.DEFAULT_RATE, limits.DEFAULT_BURST)
    assert (config.alerts, config.accounts) == (5000, 12)
    assert config.credentials_generated


def test_resolved_generates_keys_once_and_keeps_given_ones() -> None:
    generated = EmulatorConfig().resolved()
    assert generated.access_key_id and generated.secret_key and generated.jwt_secret
    assert not generated.credentials_generated
    assert generated.resolved() == generated
    given = EmulatorConfig(access_key_id="AK", secret_key="SK").resolved()
    assert (given.access_key_id, given.secret_key) == ("AK", "SK")


def test_repr_hides_the_secrets() -> None:
    config = EmulatorConfig(access_key_id="AK", secret_key="very-secret-value").resolved()
    assert "very-secret-value" not in repr(config)
    assert config.jwt_secret is not None and config.jwt_secret not in repr(config)


@pytest.mark.parametrize(
    "bad",
    [
        {"rate_limits": "sometimes"},
        {"rate_scale": 0},
        {"fault_rate": 1.5},
        {"token_ttl": 0},
        {"default_burst": 0},
    ],
)
def test_invalid_values_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        EmulatorConfig(**bad)  # type: ignore[arg-type]


def test_with_overrides_rejects_unknown_fields() -> None:
    assert EmulatorConfig().with_overrides(seed=7).seed == 7
    with pytest.raises(TypeError):
        EmulatorConfig().with_overrides(sead=7)


def test_clock_only_moves_forward_and_resets() -> None:
    clock = EmulatorClock(source=lambda: 1000.0)
    assert clock.advance(30) == 1030.0
    assert clock.offset == 30
    with pytest.raises(ValueError):
        clock.advance(-1)
    clock.reset()
    assert clock.now() == 1000.0
