"""Canary secrets and the scanner that looks for them in every byte cortexkit wrote or printed.

Pure functions, so the scanning rules can be read (and tested) apart from the runs that produce output.
A canary counts as leaked in clear text or in any of the encodings a careless log line, URL or file would
use: URL-encoding, base64 (standard and URL-safe, at each of the three alignments a value can fall on
inside a longer encoded string), hex, and for a JWT its signature segment on its own.
"""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Iterable, Mapping
from pathlib import Path

ACCESS_KEY_SECRET = "CanarySK-Qx7v9Lm2Zr4Tp8Wd1Ys6Nb3Hk5"
WRONG_ACCESS_KEY_SECRET = "CanaryWrongSK-Fg8Jd2Ks7Lq4Xm9Vc1"
AZURE_CLIENT_SECRET = "CanaryAzure~Pq3.Rw8_Ty2-Ux6Vz1Bn4"
WEB_AZURE_CLIENT_SECRET = "CanaryAzureWeb~Hj5.Kl9_Mn3-Op7Qr2"
EMULATOR_SIGNING_KEY = "CanaryJwtSigningKey-Zx4Cv8Bn2Mq6Wp0"


def _base64_forms(raw: bytes) -> set[bytes]:
    forms: set[bytes] = set()
    for shift in range(3):
        # Prefix `shift` filler bytes, encode, then drop the characters that still depend on the filler
        # and the trailing ones that depend on what follows: what is left appears in any encoding of a
        # longer text that contains `raw` at that alignment.
        encoded = base64.b64encode(b"\0" * shift + raw)
        skip = (shift * 4 + 2) // 3
        keep = (len(raw) * 4) // 3 - 2
        core = encoded[skip : skip + keep]
        if len(core) >= 12:
            forms.add(core)
            forms.add(core.replace(b"+", b"-").replace(b"/", b"_"))
    return forms


def encodings(secret: str) -> set[bytes]:
    """The byte strings whose presence means `secret` leaked."""
    raw = secret.encode()
    every_char_quoted = "".join(c if c.isalnum() else f"%{ord(c):02X}" for c in secret)
    quoted = urllib.parse.quote(secret, safe="")
    forms = {raw, quoted.encode(), quoted.replace("~", "%7E").encode(), every_char_quoted.encode()}
    forms.add(raw.hex().encode())
    forms |= _base64_forms(raw)
    if secret.count(".") == 2 and secret.startswith("eyJ"):  # a JWT: its signature alone is the secret part
        forms.add(secret.rsplit(".", 1)[1].encode())
    return {form for form in forms if form}


def scan(blobs: Mapping[str, bytes], secrets: Mapping[str, str]) -> list[str]:
    """`where: which secret (which encoding)` for every hit; empty when nothing leaked."""
    patterns = {(name, form) for name, value in secrets.items() for form in encodings(value)}
    return sorted(
        f"{where}: {name} ({form[:12]!r}...)"
        for where, blob in blobs.items()
        for name, form in patterns
        if form in blob
    )


def files_under(root: Path) -> dict[str, bytes]:
    """The raw bytes of every file below `root` (SQLite databases and their -wal/-journal included)."""
    return {
        str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()
    }


def named(prefix: str, texts: Iterable[tuple[object, str | bytes]]) -> dict[str, bytes]:
    return {f"{prefix}{name}": text.encode() if isinstance(text, str) else text for name, text in texts}
