"""The pure per-call state of a Cortex request: headers per attempt, and what to do after each outcome.

`CortexClient` and `AsyncCortexClient` drive the same `CallState`; only the sleeping and the I/O differ.
The request id is made once per call and kept across its retries (the Go SDK's `X-Request-ID:
req_<32 hex>`), while the auth headers are signed afresh for every attempt.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cortexkit.cortex.auth import Signer
from cortexkit.pagination import RequestSpec
from cortexkit.retry import Failure, RetryPolicy, Verdict

REQUEST_ID_HEADER = "X-Request-ID"

READ_ONLY = re.compile(
    r"""^/?(
      api_keys/validate/?
    | public_api/v\d+/(healthcheck|get_tenant_info)/?
    | public_api/v\d+/[a-z_/-]*/(get_[a-z_]+|list_[a-z_]+|search|schema|management_logs|agents_reports)/?
    | public_api/v\d+/(issue|issue_exceptions|rule|policy)/search/?
    | public_api/v\d+/assets(/.*)?
    | public_api/v\d+/asset-groups/?
    | public_api/v\d+/compliance/get_[a-z_]+/?
    | public_api/v\d+/xql/(get_query_results|get_query_results_stream|get_quota)/?
    )$""",
    re.VERBOSE,
)
"""Cortex calls that only read: safe to resend. Everything else (create_instance_template, edit_instance,
enable/disable, delete, issue update, add/edit standards, start_xql_query) is never resent blindly."""


def is_read_only(method: str, path: str) -> bool:
    method = method.upper()
    if method in ("GET", "HEAD", "OPTIONS"):
        return True
    return READ_ONLY.match(path.split("?", 1)[0]) is not None


def new_request_id() -> str:
    return f"req_{secrets.token_hex(16)}"


@dataclass
class CallState:
    """One call across its attempts. Pure: no I/O, no sleeping; the clock reading is passed in."""

    spec: RequestSpec
    signer: Signer
    policy: RetryPolicy
    started: float
    request_id: str = field(default_factory=new_request_id)
    attempt: int = 0
    sent: float = 0.0

    def __post_init__(self) -> None:
        given = {k.lower(): v for k, v in (self.spec.headers or {}).items()}
        if given.get("x-request-id"):
            self.request_id = given["x-request-id"]

    @property
    def idempotent(self) -> bool:
        if self.spec.idempotent is not None:
            return self.spec.idempotent
        return is_read_only(self.spec.method, self.spec.path)

    def next_attempt(self) -> tuple[str, dict[str, str], bytes | None]:
        """URL, headers and body of the next attempt (auth signed now, request id kept)."""
        self.attempt += 1
        spec = self.spec
        url = spec.path if spec.base_url is None else spec.base_url.rstrip("/") + spec.path
        headers = {
            k: v
            for k, v in (spec.headers or {}).items()
            if k.lower() not in ("authorization", "x-xdr-auth-id", "x-xdr-nonce", "x-xdr-timestamp")
        }
        headers[REQUEST_ID_HEADER] = self.request_id
        headers.update(self.signer.headers())
        content = None
        if spec.json is not None:
            headers["Content-Type"] = "application/json"
            content = json.dumps(spec.json, separators=(",", ":")).encode()
        return url, headers, content

    def after_status(self, status: int, now: float, retry_after: str | None = None) -> tuple[Verdict, float]:
        return self._decide(now, status=status, retry_after=retry_after)

    def after_failure(self, failure: Failure, now: float) -> tuple[Verdict, float]:
        return self._decide(now, failure=failure)

    def _decide(
        self,
        now: float,
        *,
        status: int | None = None,
        failure: Failure | None = None,
        retry_after: str | None = None,
    ) -> tuple[Verdict, float]:
        spec = self.spec
        d = self.policy.decide(
            attempt=self.attempt,
            started=self.started,
            now=now,
            idempotent=self.idempotent,
            status=status,
            failure=failure,
            retry_after=retry_after,
            max_attempts=None if spec.max_retries is None else spec.max_retries + 1,
            deadline=spec.deadline,
        )
        return d.verdict, d.delay


def unwrap_reply(body: Any) -> Any:
    """`{"reply": X}` -> X; anything else unchanged."""
    if isinstance(body, Mapping) and "reply" in body:
        return body["reply"]
    return body
