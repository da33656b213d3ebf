"""The emulator's Cortex Cloud dialect (`/public_api/...`, `/api_keys/validate`): state in `models.py`,
HTTP in `responses.py`. Shares no code with the client's `cortexkit.cortex` (DESIGN.md)."""

from .responses import install

__all__ = ["install"]
