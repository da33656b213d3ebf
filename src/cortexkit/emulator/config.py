"""Configuration of one emulator instance.

A plain dataclass so the CLI, the test fixtures and `run_emulator(**overrides)` all build it the same way;
`resolved()` fills in generated credentials once, so every component sees the same keys.
"""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from cortexkit import limits

RateLimitMode = Literal["documented", "off"]


@dataclass(frozen=True)
class EmulatorConfig:
    """Every knob of the emulator. Field names match the `cortexkit emulator serve` flags."""

    host: str = "127.0.0.1"
    port: int = 8188
    tls: bool = False
    token_ttl: float = 600.0
    rate_limits: RateLimitMode = "documented"
    rate_scale: float = 1.0
    default_rate: float = limits.DEFAULT_RATE
    default_burst: int = limits.DEFAULT_BURST
    fault_rate: float = 0.0
    seed: int = 42
    alerts: int = 5000
    accounts: int = 12
    access_key_id: str | None = None
    secret_key: str | None = field(default=None, repr=False)
    status_delay: float = 120.0
    # Whether `GET /cloud/{cloud_type}/{id}` answers for an account still pending (within `status_delay` of
    # its add). Prisma does not document it; False answers 404 until the account settles, the case the
    # Terraform provider's poll-until-found allows, while `GET /cloud?includePendingAccounts=true` lists it.
    pending_by_id: bool = True
    # Seconds to send in Retry-After on an injected 503 (the only status the API documents it for).
    retry_after: int = 1
    # Also send Retry-After on 429 responses (the real API documents none; off by default).
    retry_after_on_429: bool = False
    # Upper bound, in seconds, of an injected latency fault.
    fault_latency: float = 1.5
    customer_name: str = "cortexkit-emulator"
    prisma_id: str = "100000000000000001"
    # HS256 signing key for the emulator's JWTs; generated when None. Never logged.
    jwt_secret: str | None = field(default=None, repr=False)
    # The Cortex dialect (emulator/cortex/): its API key (generated when None), the key type it was
    # created as, the accepted clock skew of signed timestamps, the tenant-wide limit and the data sizes.
    cortex_api_key_id: int | None = None
    cortex_api_key: str | None = field(default=None, repr=False)
    cortex_api_key_type: str = "advanced"
    cortex_skew: float = 300.0
    cortex_rate: float = 10.0
    cortex_burst: int = 10
    cortex_instances: int = 7
    cortex_issues: int = 300
    cortex_assets: int = 250
    cortex_audit_logs: int = 150

    def __post_init__(self) -> None:
        if self.rate_limits not in ("documented", "off"):
            raise ValueError(f"rate_limits must be 'documented' or 'off', not {self.rate_limits!r}")
        if self.rate_scale <= 0:
            raise ValueError("rate_scale must be positive")
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
        if self.token_ttl <= 0:
            raise ValueError("token_ttl must be positive")
        if self.default_rate <= 0 or self.default_burst < 1:
            raise ValueError("default_rate must be positive and default_burst at least 1")
        if self.cortex_api_key_type not in ("advanced", "standard"):
            raise ValueError("cortex_api_key_type must be 'advanced' or 'standard'")
        if self.cortex_api_key_id is not None and self.cortex_api_key_id <= 0:
            raise ValueError("cortex_api_key_id must be a positive integer")
        if self.cortex_skew <= 0 or self.cortex_rate <= 0 or self.cortex_burst < 1:
            raise ValueError("cortex_skew and cortex_rate must be positive, cortex_burst at least 1")

    @property
    def credentials_generated(self) -> bool:
        """True when no access key was configured, so `resolved()` will invent one."""
        return self.access_key_id is None or self.secret_key is None

    @property
    def cortex_key_generated(self) -> bool:
        """True when no Cortex API key was configured, so `resolved()` will invent one."""
        return self.cortex_api_key_id is None or not self.cortex_api_key

    def resolved(self) -> EmulatorConfig:
        """This config with the access key, secret key and JWT secret filled in (generated when absent)."""
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        return dataclasses.replace(
            self,
            access_key_id=self.access_key_id or str(uuid.uuid4()),
            secret_key=self.secret_key or secrets.token_urlsafe(24),
            jwt_secret=self.jwt_secret or secrets.token_urlsafe(32),
            cortex_api_key_id=self.cortex_api_key_id or 1 + secrets.randbelow(999),
            cortex_api_key=self.cortex_api_key or "".join(secrets.choice(alphabet) for _ in range(128)),
        )

    def with_overrides(self, **overrides: Any) -> EmulatorConfig:
        """A copy with some fields replaced; unknown names raise TypeError, as a typo should."""
        return dataclasses.replace(self, **overrides)
