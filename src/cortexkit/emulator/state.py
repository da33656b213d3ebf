"""The tenant's mutable state: what the routes read and change.

Generated data (accounts, groups, policies, alerts) comes from `datagen` and is rebuilt from the seed on
`reset()`; only what clients change is stored here, so a reset is cheap and a million alerts cost nothing
until they are looked at.
"""

from __future__ import annotations

import threading
from typing import Any

from cortexkit.emulator.clock import Clock
from cortexkit.emulator.config import EmulatorConfig


class TenantState:
    """All data of the single emulated tenant. Handlers take `lock` around read-modify-write sequences."""

    def __init__(self, config: EmulatorConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.lock = threading.RLock()
        # Free slots for route modules owned by other parts (e.g. the Azure identity side).
        self.extensions: dict[str, Any] = {}
        self.reset()

    def reset(self) -> None:
        """Forget every change clients made and rebuild the generated data from the seed."""
        with self.lock:
            self.extensions = {}
