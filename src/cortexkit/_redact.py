"""The one place that knows what a secret looks like and how to hide it.

Secret keys, JWTs and Azure client secrets must never reach logs, exception text, reprs or output. Rather
than trusting every call site to remember, values are wrapped in `Secret` as soon as they are read, and
anything that prints request data (debug logs, the CLI's `api` command) goes through these functions.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any, Final

MASK: Final = "****"

SENSITIVE_HEADERS: Final = frozenset(
    {"x-redlock-auth", "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)

# Lower-cased JSON keys whose values are secrets. `key` alone covers pcpi's `secret_key`-less payloads
# such as Azure `{"key": ...}` client secrets; `password` covers the /login body.
SENSITIVE_KEYS: Final = frozenset(
    {
        "password",
        "passwd",
        "key",
        "secret",
        "secret_key",
        "secretkey",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "clientsecret",
        "client_secret",
        "privatekey",
        "private_key",
        "apikey",
        "api_key",
        "x-redlock-auth",
        "authorization",
    }
)

# Three base64url segments, the first starting like a JSON object header (`{"` -> `eyJ`).
JWT_RE: Final = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
# `"password": "..."`-style pairs inside free text (a logged body that is not valid JSON any more).
_PAIR_RE: Final = re.compile(
    r"""(?ix)
    (["']?(?:password|passwd|secret(?:_?key)?|client_?secret|token|access_token|x-redlock-auth|
          authorization|private_?key|api_?key)["']?\s*[:=]\s*)
    (?:"[^"]*"|'[^']*'|(?:Bearer\s+)?[^\s,;&}]+)
    """
)


class Secret:
    """A string that does not show itself: repr/str print `****`; `get_secret_value()` (or `reveal()`)
    gives it out. The one wrapper for access keys, JWTs and Azure client secrets alike.

    Equality compares the hidden values so tests and config diffs still work; hashing is allowed for use
    as dict keys (the hash does not reveal the value). Copies share the value; pickling is refused, so a
    secret never lands in a pickle (a cache, a task queue) by accident.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret wraps a str")
        self._value = value

    def get_secret_value(self) -> str:
        """The clear text; call it only where the value goes on the wire or into a keyring."""
        return self._value

    def reveal(self) -> str:
        """The clear text (the onboarding engine's spelling of `get_secret_value`)."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    def __str__(self) -> str:
        return MASK

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return other._value == self._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self  # immutable: `dataclasses.asdict` and `copy.deepcopy` of a holder keep working

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled; store it in the keyring instead")


def redact_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Mask JWTs, `key: value` secret pairs and any of the given literal secrets in free text."""
    for secret in secrets:
        if secret and len(secret) >= 4:  # masking 1-3 chars would shred ordinary text
            text = text.replace(secret, MASK)
    text = JWT_RE.sub(MASK, text)
    return _PAIR_RE.sub(lambda m: m.group(1) + MASK, text)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of the headers with credential-bearing ones masked."""
    return {k: (MASK if k.lower() in SENSITIVE_HEADERS else redact_text(v)) for k, v in headers.items()}


def _sensitive(key: object, value: object) -> bool:
    return isinstance(key, str) and key.lower() in SENSITIVE_KEYS and value not in (None, "")


def redact_json(value: Any) -> Any:
    """A deep copy of decoded JSON with secret-named fields masked and JWT-looking strings hidden."""
    if isinstance(value, Mapping):
        return {k: (MASK if _sensitive(k, v) else redact_json(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_json(v) for v in value]
    if isinstance(value, Secret):
        return MASK
    if isinstance(value, str):
        return JWT_RE.sub(MASK, value)
    return value


class RedactedDict(dict[str, Any]):
    """A dict (headers, a login body) whose repr masks secret-named keys and JWT-shaped values.

    httpx reads it as the plain dict it is; only its repr changes, so a traceback rendered with locals
    (Sentry's `include_local_variables`, rich's `show_locals`, `pytest -l`) shows `****` instead.
    """

    def __repr__(self) -> str:
        return repr(redact_json(dict(self)))

    __str__ = __repr__


def redact_body(body: bytes | str | None) -> str:
    """A printable, redacted version of an HTTP body (JSON or not)."""
    if body is None:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        decoded = json.loads(text)
    except (ValueError, RecursionError):
        return redact_text(text)
    return json.dumps(redact_json(decoded), separators=(",", ":"))


class RedactingFilter(logging.Filter):
    """A logging filter that scrubs secrets from records before any handler formats them.

    Attach it to a handler (or to the `cortexkit` logger) so that even a stray `log.debug(body)` from a
    library underneath cannot write a token. Literal secrets known at runtime can be added with
    `add_secret`.
    """

    def __init__(self, name: str = "", secrets: tuple[str, ...] = ()) -> None:
        super().__init__(name)
        self._secrets: tuple[str, ...] = tuple(s for s in secrets if s)

    def add_secret(self, value: str | Secret) -> None:
        """Also mask this literal value wherever it appears in a record."""
        clear = value.get_secret_value() if isinstance(value, Secret) else value
        if clear and clear not in self._secrets:
            self._secrets = (*self._secrets, clear)

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub the record in place; never drops it."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a broken format string: scrub what we can
            message = str(record.msg)
        record.msg = redact_text(message, self._secrets)
        record.args = None
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text, self._secrets)
        return True


def install_log_filter(logger: logging.Logger | None = None) -> RedactingFilter:
    """Attach one `RedactingFilter` to the logger's handlers (the root logger's by default) and return it."""
    target = logger if logger is not None else logging.getLogger()
    for handler in target.handlers:
        for existing in handler.filters:
            if isinstance(existing, RedactingFilter):
                return existing
    flt = RedactingFilter()
    target.addFilter(flt)
    for handler in target.handlers:
        handler.addFilter(flt)
    return flt


__all__ = [
    "JWT_RE",
    "MASK",
    "SENSITIVE_HEADERS",
    "SENSITIVE_KEYS",
    "RedactedDict",
    "RedactingFilter",
    "Secret",
    "install_log_filter",
    "redact_body",
    "redact_headers",
    "redact_json",
    "redact_text",
]
