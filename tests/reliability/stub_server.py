"""A tiny scripted HTTP server on 127.0.0.1:0 that answers what a broken or foreign server would.

Each path maps to a list of answers served in turn (the last one repeats), so a test can say "the first
call gets a 503 with an absurd Retry-After, the next one succeeds". `/login` answers a valid-looking
token unless the script overrides it.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

LOGIN_OK = b'{"token": "stub.token.value", "message": "login_successful", "customerNames": []}'


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})


Script = Mapping[str, Sequence[Answer]]


@contextmanager
def stub_server(script: Script) -> Iterator[str]:
    """Serve `script` until the block ends; yields the base URL."""
    served: dict[str, int] = {}
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            path = self.path.split("?", 1)[0]
            answers = script.get(path) or ([Answer(body=LOGIN_OK)] if path == "/login" else [Answer(404)])
            with lock:
                index = served.get(path, 0)
                served[path] = index + 1
            answer = answers[min(index, len(answers) - 1)]
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, format: str, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
