"""Running the emulator over real HTTP: in a background thread for tests, or in the foreground for the CLI.

The listening socket is bound before uvicorn starts, so the URL (and a port chosen by the OS when the
config says 0) is known up front, and two test runs never race for a port.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from .app import create_app
from .config import EmulatorConfig
from .core import TRANSPORT_STATE_KEY, Emulator
from .tls import TLSFiles, generate_tls_files

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunningEmulator:
    """A started emulator: where it listens, the keys to log in with, and the live `Emulator`."""

    url: str
    access_key_id: str
    secret_key: str = field(repr=False)
    emulator: Emulator = field(repr=False)
    ca_file: Path | None = None

    def client_env(self) -> dict[str, str]:
        """The PRISMA_* environment a client needs to reach this emulator."""
        env = {
            "PRISMA_API_URL": self.url,
            "PRISMA_ACCESS_KEY_ID": self.access_key_id,
            "PRISMA_SECRET_KEY": self.secret_key,
        }
        if self.ca_file is not None:
            env["REQUESTS_CA_BUNDLE"] = str(self.ca_file)
            env["SSL_CERT_FILE"] = str(self.ca_file)
        return env

    def cortex_env(self) -> dict[str, str]:
        """The CORTEXCLOUD_* environment (the Terraform provider's names) a Cortex client needs."""
        cfg = self.emulator.config
        return {
            "CORTEXCLOUD_API_URL": self.url,
            "CORTEXCLOUD_API_KEY_ID": str(cfg.cortex_api_key_id),
            "CORTEXCLOUD_API_KEY": cfg.cortex_api_key or "",
            "CORTEXCLOUD_API_KEY_TYPE": cfg.cortex_api_key_type,
        }


def _protocol_class() -> type[asyncio.Protocol]:
    """uvicorn's fastest available HTTP protocol, subclassed to expose each connection's transport.

    The fault middleware needs the transport to drop a connection without answering; uvicorn copies
    `app_state` into every request's `scope["state"]`, so a per-connection copy carries it there.
    """
    base: type[Any]
    if importlib.util.find_spec("httptools") is not None:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as base
    else:
        from uvicorn.protocols.http.h11_impl import H11Protocol as base

    class TransportExposingProtocol(base):  # type: ignore[misc]
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            state: dict[str, Any] = getattr(self, "app_state", {})
            self.app_state = {**state, TRANSPORT_STATE_KEY: transport}
            super().connection_made(transport)

    return TransportExposingProtocol


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def build_server(
    config: EmulatorConfig, sock: socket.socket, tls: TLSFiles | None, log_level: str = "warning"
) -> tuple[uvicorn.Server, Emulator]:
    """A uvicorn server for `config` (not started) and the `Emulator` it serves."""
    emulator = Emulator(config)
    app = create_app(emulator=emulator)
    uv_config = uvicorn.Config(
        app,
        http=_protocol_class(),
        loop="auto",
        lifespan="off",
        log_level=log_level,
        access_log=False,
        server_header=False,
        backlog=2048,
        timeout_keep_alive=30,
        ssl_certfile=str(tls.cert_file) if tls else None,
        ssl_keyfile=str(tls.key_file) if tls else None,
    )
    return uvicorn.Server(uv_config), emulator


def url_for(sock: socket.socket, tls: bool) -> str:
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"{'https' if tls else 'http'}://{host}:{port}"


@contextlib.contextmanager
def run_emulator(config: EmulatorConfig | None = None, **overrides: Any) -> Iterator[RunningEmulator]:
    """Start the emulator in a daemon thread on a free loopback port (unless `port` is given).

    `run_emulator(seed=7, rate_limits="off")` overrides fields of the default config. Stops on exit.
    """
    base = config or EmulatorConfig(port=0)
    if config is None and "port" not in overrides:
        overrides["port"] = 0
    cfg = base.with_overrides(**overrides) if overrides else base
    with contextlib.ExitStack() as stack:
        tls_files: TLSFiles | None = None
        if cfg.tls:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cortexkit-emulator-")))
            tls_files = generate_tls_files(tmp)
        sock = bind_socket(cfg.host, cfg.port)
        stack.callback(sock.close)
        server, emulator = build_server(cfg, sock, tls_files)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="cortexkit-emulator", daemon=True
        )
        thread.start()
        _wait_started(server, thread)
        try:
            yield RunningEmulator(
                url=url_for(sock, cfg.tls),
                access_key_id=emulator.access_key_id,
                secret_key=emulator.config.secret_key or "",
                emulator=emulator,
                ca_file=tls_files.ca_file if tls_files else None,
            )
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            if thread.is_alive():  # pragma: no cover - a handler that never returns
                server.force_exit = True
                thread.join(timeout=5)


def _wait_started(server: uvicorn.Server, thread: threading.Thread, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the emulator server thread stopped during start-up")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise TimeoutError("the emulator did not start in time")
        time.sleep(0.005)
