"""What every workload tells the orchestrator: sizes, emulator settings, floor, and cortexkit's checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bench.model import RunResult, WorkloadResult

if TYPE_CHECKING:
    from bench.emu import Emu

# prismacloud-api and -cli hard-code https:// (peers.md section 2); cortexkit-https is cortexkit on the
# same TLS emulator, for a like-for-like row next to them.
TLS_TOOLS = frozenset({"prismacloud-api", "prismacloud-cli", "cortexkit-https"})
PEER_TOOLS = ("pcpi", "prismacloud-api", "prismacloud-cli")

_PCPI = "https://github.com/PaloAltoNetworks/pc-python-integration/blob/main/src/pcpi/"
_API = "https://github.com/PaloAltoNetworks/prismacloud-api-python/blob/main/prismacloud/api/"
_CLI = "https://github.com/PaloAltoNetworks/prismacloud-cli/blob/main/prismacloud/cli/"

# Code references from reference/peers.md section 3, as links a reader can follow.
LINKS: dict[str, str] = {
    "pcpi-no-v2-paging": _PCPI + "_session_base.py#L415-L500",
    "pcpi-no-pool": _PCPI + "_session_base.py#L511",
    "pcpi-refresh": _PCPI + "_cspm_session.py#L104",
    "pcpi-backoff": _PCPI + "_session_base.py#L57-L63",
    "pcpi-post": _PCPI + "_session_base.py#L20-L21",
    "api-v2-paging": _API + "cspm/cspm.py#L133",
    "api-refresh": _API + "pc_lib_api.py#L43",
    "api-exit": _API + "cspm/cspm.py#L149-L150",
    "api-retry": _API + "cspm/cspm.py#L33-L36",
    "cli-alert-v1": _CLI + "cspm/cmd_alert.py#L51",
    "cli-alert-cmds": _CLI + "cspm/cmd_alert.py#L28",
    "cli-configure": _CLI + "api.py#L240",
    "cli-single": _CLI + "api.py#L277",
}


class WorkloadSpec:
    """Defaults shared by the workloads; each subclass overrides what differs."""

    name = ""
    title = ""
    goal = ""
    tools: tuple[str, ...] = ("cortexkit", *PEER_TOOLS)
    ratio_note = "Ratio = work seconds / floor."

    def params(self, quick: bool) -> dict[str, Any]:
        raise NotImplementedError

    def prepare(self, params: dict[str, Any]) -> dict[str, Any]:
        """Parent-side set-up before any tool runs (for example, the ids every tool will fetch)."""
        return params

    def emulator_config(self, params: dict[str, Any], tool: str) -> dict[str, Any]:
        return {"tls": tool in TLS_TOOLS}

    def child_params(self, params: dict[str, Any], tool: str) -> dict[str, Any]:
        return params

    def floor(self, params: dict[str, Any]) -> tuple[float | None, str]:
        return None, ""

    def unsupported(self, tool: str) -> tuple[str, str] | None:
        """(reason, code link) when a tool cannot do this workload at all."""
        return None

    def timeout_s(self, params: dict[str, Any]) -> float:
        return 120.0

    def inspect(self, emu: Emu, params: dict[str, Any], tool: str) -> dict[str, Any]:
        """Reads the emulator's end state before it stops (for example, duplicate accounts)."""
        return {}

    def finish_run(self, run: RunResult, params: dict[str, Any], stats: dict[str, Any]) -> None:
        """Per-run figures once the child and the emulator counters are in (ratio, extras)."""

    def finish(self, result: WorkloadResult, params: dict[str, Any]) -> None:
        """Cross-run figures and cortexkit's checks."""

    def public_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """Parameters worth printing (long id lists left out)."""
        return {k: v for k, v in params.items() if not isinstance(v, list | dict)}
