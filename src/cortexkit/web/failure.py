"""A failed job's cause in plain words, and what can help: resume, a secret, or new input in the wizard.

The engine records a failure as one sentence (`StepRecord.error`, `JobRecord.error`) built from the API
error's status, error keys and request id (`APIError.__str__`, the add step's refusal text). This module
reads those parts back out so the page shows them once, next to the step, and says which form field
needs new input when resuming the same job cannot help. Pure: no I/O, so it is tested on strings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from cortexkit.onboarding.model import STEP_TITLES

_STATUS = re.compile(r"(?:failed with|answered|answered with) (\d{3})\b(?: \[([^\]]*)\])?")
_REQUEST_ID = re.compile(r"\(request id ([^)\s]+)\)")
_EXCEPTION_PREFIX = re.compile(r"^(?:unexpected )?[A-Z][A-Za-z]*Error: ")

SECRET_FIELD = "client_secret"


@dataclass(frozen=True)
class Rule:
    """A known failure: the words that recognise it, what to do, and the field to change (if any)."""

    keys: tuple[str, ...]
    words: tuple[str, ...]
    fix: str
    field: str | None = None


RULES: tuple[Rule, ...] = (
    Rule(
        ("duplicate_cloud_account_name",),
        (),
        "Prisma Cloud already has an account with this name. Start again with another name.",
        "name",
    ),
    Rule(
        ("duplicate_cloud_account",),
        (),
        "This subscription (or tenant) is already onboarded. Open Cloud accounts to see it, or start "
        "again with another subscription.",
        "subscription_id",
    ),
    Rule(
        (),
        ("no azure client secret", "needs the client secret", "its secret (azure_client_secret)"),
        "The job has no Azure client secret. Give it below and resume, or edit the job and start again.",
        SECRET_FIELD,
    ),
    Rule(
        ("invalid_client", "unauthorized_client"),
        ("azure sign-in failed", "aadsts700016", "aadsts7000215"),
        "Azure refused this client id and secret. Check the app registration's client id and create a "
        "new secret for it if needed, then start again.",
        "client_id",
    ),
    Rule(
        (),
        ("needs --client-id and --service-principal-id",),
        "The app registration's client id and service principal id are required. Start again with both.",
        "client_id",
    ),
    Rule(
        ("invalid_account_group_ids", "cannot_select_zero_account_groups"),
        ("account group(s) not found", "no account group given"),
        "Pick account groups that exist in this tenant and start again.",
        "account_group_ids",
    ),
    Rule(
        (),
        ("feature(s) not supported",),
        "Choose only the features offered for this scope and start again.",
        "features",
    ),
)

_BY_STATUS: dict[int, str] = {
    401: "The API refused the access key. Check the profile on the Connection page, then resume.",
    403: "The access key's role does not allow this. Use a key that can manage cloud accounts, then resume.",
    429: "The API kept answering 'too many requests'. Wait a minute, then resume.",
}

DEFAULT_FIX = "Fix the cause shown, then resume: the job carries on from this step."
SERVER_FIX = "The API failed on its side. Resume in a moment; if it persists, check the service status."


@dataclass(frozen=True)
class Cause:
    """What the page shows next to a failed step."""

    step: str
    text: str
    """The engine's sentence without the exception class name."""
    status: int | None
    keys: tuple[str, ...]
    request_id: str | None
    fix: str
    field: str | None
    """The wizard field to change; None when resuming (after the fix) can help."""

    @property
    def step_title(self) -> str:
        return STEP_TITLES.get(self.step, self.step)

    @property
    def needs_new_input(self) -> bool:
        return self.field is not None

    @property
    def secret_missing(self) -> bool:
        return self.field == SECRET_FIELD

    def as_dict(self) -> dict[str, object]:
        return {
            "step": self.step,
            "step_title": self.step_title,
            "text": self.text,
            "status": self.status,
            "keys": list(self.keys),
            "request_id": self.request_id,
            "fix": self.fix,
            "field": self.field,
        }


def _keys(raw: str | None) -> tuple[str, ...]:
    return tuple(k.strip() for k in (raw or "").split(",") if k.strip())


def cause_of(step: str, error: str) -> Cause:
    """Read status, keys and request id out of the engine's failure sentence and pick the fix."""
    first = error.strip().splitlines()[0] if error.strip() else ""
    text = " ".join(_REQUEST_ID.sub("", _EXCEPTION_PREFIX.sub("", first)).split())
    found = _STATUS.search(first)
    status = int(found.group(1)) if found else None
    keys = _keys(found.group(2)) if found else ()
    rid = _REQUEST_ID.search(first)
    lowered = first.lower()
    for rule in RULES:
        if (
            set(rule.keys) & set(keys)
            or any(w in lowered for w in rule.words)
            or (rule.keys and any(k in lowered for k in rule.keys))
        ):
            return Cause(step, text, status, keys, rid.group(1) if rid else None, rule.fix, rule.field)
    fix = _BY_STATUS.get(status or 0) or (SERVER_FIX if status and status >= 500 else DEFAULT_FIX)
    return Cause(step, text, status, keys, rid.group(1) if rid else None, fix, None)


def job_cause(steps: Sequence[tuple[str, str | None]], job_error: str | None) -> Cause | None:
    """The cause of a failed job: its failed step's error, else the job's own (a failure between steps)."""
    for name, error in steps:
        if error:
            return cause_of(name, error)
    return cause_of("", job_error) if job_error else None
