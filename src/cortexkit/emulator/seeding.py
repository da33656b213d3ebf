"""Stable randomness: hashes and UUIDs that depend only on the seed, never on the Python process."""

from __future__ import annotations

import hashlib
import random
import uuid


def mix(*parts: int | str) -> int:
    """A 64-bit hash of the parts: stable across runs and Python versions (unlike `hash`)."""
    digest = hashlib.blake2b(":".join(str(p) for p in parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def seeded_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from `rng` (so the same seed gives the same ids)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
