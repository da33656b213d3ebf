"""The bulk CSV preview on a Cortex connection: the rows `cortexkit onboard azure --from-csv` takes.

The preview reads the file with the CLI's own `cortexflow.csvrows.read_rows` (and the start with its
`parse_csv`, built on it), so the page refuses exactly what the CLI refuses. What is the page's own is
which rows need the shared Azure secret.
"""

from __future__ import annotations

from cortexkit.onboarding.model import JobSpec

SECRET_DEPLOYS = frozenset({"arm", "terraform"})


def secret_reason(spec: JobSpec) -> str | None:
    """Why a row needs the shared Azure secret: its deploy signs in to Azure as the operator app."""
    deploy = spec.cortex.deploy if spec.cortex is not None else None
    return f"deploy {deploy}" if deploy in SECRET_DEPLOYS else None
