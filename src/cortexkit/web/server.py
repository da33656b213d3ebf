"""Serving the UI with uvicorn, in the foreground (`cortexkit ui`) or in a thread (tests, `cortexkit demo`).

The socket is bound before uvicorn starts so the URL, including a port the OS picked for port 0, is
known up front. uvicorn's access log is off: it would write the one-time `?token=` URL to the terminal
and to any log collector.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import uvicorn
from fastapi import FastAPI

from cortexkit.web.security import TOKEN_QUERY


@dataclass(frozen=True)
class RunningUI:
    base_url: str
    token: str = field(repr=False)

    @property
    def url(self) -> str:
        """The address to open: carries the session token once, like Jupyter's."""
        return f"{self.base_url}/?{TOKEN_QUERY}={self.token}"


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def make_server(app: FastAPI, log_level: str = "warning") -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_level=log_level,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=2,
    )
    return uvicorn.Server(config)


@contextlib.contextmanager
def serve_in_thread(app: FastAPI, token: str, host: str = "127.0.0.1", port: int = 0) -> Iterator[RunningUI]:
    """Run the app until the block exits; the port is free-picked by default so parallel tests never clash."""
    sock = bind(host, port)
    server = make_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="cortexkit-ui", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the web UI server did not start")
            time.sleep(0.01)
        yield RunningUI(base_url(sock), token)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def serve_forever(app: FastAPI, sock: socket.socket, log_level: str = "warning") -> None:
    """Foreground serving for the CLI; returns after Ctrl-C."""
    make_server(app, log_level).run(sockets=[sock])
