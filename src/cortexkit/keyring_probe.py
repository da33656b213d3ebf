"""Whether this user has a usable OS keyring, asked once a day instead of once per command.

Importing `keyring` and asking it for its backend walks the installed entry points: about 0.15 CPU-s,
paid by every command that needs a key when no keyring exists (headless hosts, containers, CI), which is
exactly where nothing is found. A negative answer is remembered in a small 0600 file in the cache dir for
`PROBE_TTL` (a keyring installed later is found within a day); a positive one is not remembered, since
the backend itself is needed then. The token cache and the job store's key sources share the file.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any, Final

PROBE_TTL: Final = 86400.0
"""Seconds a negative probe is trusted."""
MARKER_NAME: Final = "keyring-probe.json"


def usable_keyring(marker: Path) -> Any:
    """The usable OS keyring backend, or None; a recent negative answer in `marker` is trusted without
    importing keyring."""
    try:
        probe = json.loads(marker.read_text())
        if time.time() - float(probe["at"]) < PROBE_TTL and not probe["usable"]:
            return None
    except (OSError, ValueError, KeyError, TypeError):
        pass
    from cortexkit.credentials import keyring_usable, write_private

    try:
        import keyring

        backend = keyring.get_keyring()
    except Exception:  # any import/config failure of keyring means "no keyring", not a crash
        backend = None
    usable = keyring_usable(backend)
    with contextlib.suppress(OSError):
        marker.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private(marker, json.dumps({"at": time.time(), "usable": usable}))
    return backend if usable else None


__all__ = ["MARKER_NAME", "PROBE_TTL", "usable_keyring"]
