"""One emulator's Azure cloud: the tenants' hierarchy, the preflight answers and the ARM deployments.

Kept in `TenantState.extensions` so an emulator reset starts a fresh cloud, as it starts a fresh tenant;
one lock guards all of it (route handlers run in the thread pool and can interleave).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from .azurearm import ArmDeployments
from .azuredirectory import AzureDirectory

EXTENSION_KEY = "azure_cloud"


@dataclass
class AzureCloud:
    directory: AzureDirectory
    arm: ArmDeployments
    lock: threading.RLock = field(default_factory=threading.RLock)


def azure_cloud(emulator: Any) -> AzureCloud:
    """The cloud of `emulator` (anything with `.state.extensions`, `.state.lock` and `.config.seed`)."""
    state = emulator.state
    with state.lock:
        cloud = state.extensions.get(EXTENSION_KEY)
        if cloud is None:
            directory = AzureDirectory(emulator.config.seed)
            cloud = state.extensions[EXTENSION_KEY] = AzureCloud(directory, ArmDeployments(directory))
        assert isinstance(cloud, AzureCloud)
        return cloud
