"""Child-side constructors: each tool set up the way its README and peers.md section 2 say.

Imported only inside worker processes; every third-party import is local to its function so the module
loads under any of the venvs.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from typing import Any

from bench.worker import Ctx


def cortexkit_client(ctx: Ctx, **kwargs: Any) -> Any:
    """A cortexkit Client with the library defaults (client-side rate limiting on)."""
    from cortexkit.client import Client

    return Client(
        api_url=ctx.url,
        access_key_id=ctx.access_key_id,
        secret_key=ctx.secret_key,
        verify=ctx.verify,
        **kwargs,
    )


def pcpi_session(ctx: Ctx) -> Any:
    """pcpi's CSPM session built directly: session_loader would route a non-prismacloud URL to Compute."""
    quiet = logging.getLogger("bench.pcpi")
    quiet.setLevel(logging.WARNING)
    ssm = importlib.import_module("pcpi.saas_session_manager")
    logging.getLogger().setLevel(logging.WARNING)  # pcpi calls basicConfig() and DEBUG at import
    logging.getLogger("pcpi").setLevel(logging.WARNING)
    manager = ssm.SaaSSessionManager(
        "bench", ctx.access_key_id, ctx.secret_key, ctx.url, verify=ctx.verify, logger=quiet
    )
    return manager.create_cspm_session()


def prismacloud_api(ctx: Ctx) -> Any:
    """The prismacloud-api singleton pointed at the TLS emulator (it always prefixes https://)."""
    pc = importlib.import_module("prismacloud.api").pc_api
    settings = {"url": "", "identity": ctx.access_key_id, "secret": ctx.secret_key, "verify": ctx.verify}
    pc.configure(settings, use_meta_info=False)
    pc.api = ctx.hostport
    return pc


def call(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, bool]:
    """Runs a peer call and says whether it succeeded; peers exit (SystemExit) or return None on errors."""
    try:
        result = fn(*args, **kwargs)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        return None, False
    status = getattr(result, "status_code", None)
    if result is None or (status is not None and not 200 <= status < 300):
        return result, False
    return result, True


@contextlib.contextmanager
def quiet_stdout() -> Any:
    """Peers print progress; the child's stdout goes to /dev/null anyway, this only spares the work."""
    with open("/dev/null", "w") as sink, contextlib.redirect_stdout(sink):
        yield


# prismacloud-cli takes any non-*.prismacloud.io URL for a Compute console and checks the package index
# for updates while building its --help at import. The wrapper points its CSPM host at the emulator
# (peers.md section 2) and stubs the update check, so the bench never leaves loopback.
CLI_WRAPPER = """
import os, sys
import update_checker
def _offline(self, *args, **kwargs):
    raise OSError("update check disabled by the bench (loopback only)")
update_checker.UpdateChecker.check = _offline
import prismacloud.cli.api as api
api.pc_api.api = os.environ["BENCH_HOSTPORT"]
from prismacloud.cli import cli
cli(prog_name="pc")
"""


def run_cli(ctx: Ctx, *args: str) -> tuple[int, bytes, str]:
    """One `pc` process with json output.

    The CLI configures itself at import, before its `-c env` option is parsed, from
    ~/.prismacloud/credentials.json; so the emulator's throwaway keys go there, in the scratch HOME the
    runner deletes after the run, readable by the owner only.
    """
    import json
    import os
    import subprocess
    import sys
    import tempfile

    from bench.worker import note_child_rss

    config_dir = os.path.join(os.environ["HOME"], ".prismacloud")
    os.makedirs(config_dir, mode=0o700, exist_ok=True)
    with open(os.path.join(config_dir, ".community_supported_accepted"), "w") as fh:
        fh.write("Yes")  # the first-run prompt would otherwise read stdin (EOFError)
    path = os.path.join(config_dir, "credentials.json")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            settings = {
                "identity": ctx.access_key_id,
                "secret": ctx.secret_key,
                "verify": ctx.ca_file or False,
            }
            json.dump({"url": ctx.hostport, **settings}, fh)
    env = {**os.environ, "BENCH_HOSTPORT": ctx.hostport}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", CLI_WRAPPER, "-o", "json", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        note_child_rss(usage.ru_maxrss)
        out.seek(0)
        err.seek(0)
        lines = [ln for ln in err.read().decode(errors="replace").splitlines() if ln.strip()]
        return proc.returncode, out.read(), lines[-1][:300] if lines else ""
