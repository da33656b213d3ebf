"""The runner settings a process's environment gives, read the same way by `cortexkit onboard` and the UI.

`CORTEXKIT_AZURE_{LOGIN,GRAPH,ARM}_URL` and `CORTEXKIT_AZURE_CA_BUNDLE` point the Azure calls elsewhere
(the emulator in tests, a proxy or sovereign endpoint in the field); `CORTEXKIT_TERRAFORM` names the
terraform command; `CORTEXKIT_OUTAGE_RETRY_INTERVAL` (seconds, default 30) how often a bulk paused by an
API outage probes the API. Before this module the CLI read them and the UI did not, so one environment gave
`done` from the CLI and "Azure could not be reached" from the UI.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from typing import Any

from cortexkit.azure.endpoints import AzureEndpoints
from cortexkit.errors import ConfigurationError
from cortexkit.onboarding.context import RunnerSettings

TERRAFORM_ENV = "CORTEXKIT_TERRAFORM"
OUTAGE_RETRY_ENV = "CORTEXKIT_OUTAGE_RETRY_INTERVAL"


def outage_retry_interval(environ: Mapping[str, str] | None = None) -> dict[str, float]:
    """`{"outage_retry_interval": seconds}` when `CORTEXKIT_OUTAGE_RETRY_INTERVAL` sets it, else `{}`."""
    env = os.environ if environ is None else environ
    raw = env.get(OUTAGE_RETRY_ENV, "").strip()
    if not raw:
        return {}
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0.0 < value <= 3600.0:
        raise ConfigurationError(
            f"{OUTAGE_RETRY_ENV}={raw!r} is not a number of seconds between 0 and 3600; fix or unset it"
        )
    return {"outage_retry_interval": value}


def terraform_command(
    explicit: str | None = None, environ: Mapping[str, str] | None = None
) -> tuple[str, ...] | None:
    """The terraform command line: `explicit` (an option's value), else `CORTEXKIT_TERRAFORM`, else None
    (the provisioner looks on PATH)."""
    env = os.environ if environ is None else environ
    value = explicit or env.get(TERRAFORM_ENV)
    return tuple(shlex.split(value)) if value else None


def runner_settings(
    *, terraform: str | None = None, environ: Mapping[str, str] | None = None, **tunables: Any
) -> RunnerSettings:
    """`RunnerSettings(**tunables)` with the Azure endpoints, terraform command and outage probe interval
    of the environment (a tunable given here wins)."""
    return RunnerSettings(
        azure_endpoints=AzureEndpoints.from_env(environ),
        terraform_command=terraform_command(terraform, environ),
        **{**outage_retry_interval(environ), **tunables},
    )
