"""Layering rules checked on the source tree (AST, not grep, so strings in docstrings do not count).

Only `resources/` (and `cortex/` for the Cortex dialect) build Prisma requests; only `azure/` builds
Azure requests; the client core below them sends. Above them (CLI, web, onboarding engine) nothing passes
a method and a path, constructs a `RequestSpec`/`AzureRequest` or imports httpx, except the raw `api`
command (`cli/api.py`, with its pagers in `cli/paging.py`) and pcpi's generic `session_loader.request`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import cortexkit

PACKAGE = Path(cortexkit.__file__).parent
HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
SENDING_METHODS = frozenset({"request", "send", "send_raw", "stream"})
REQUEST_TYPES = frozenset({"RequestSpec", "AzureRequest"})
ALLOWED_PACKAGES = ("resources", "azure", "cortex", "emulator")
ALLOWED_MODULES = frozenset({"cli/api.py", "cli/paging.py", "session_loader.py"})


def allowed(relative: str) -> bool:
    """Request builders and the client core (the modules directly under `cortexkit/`)."""
    parts = relative.split("/")
    return len(parts) == 1 or parts[0] in ALLOWED_PACKAGES or relative in ALLOWED_MODULES


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def violations(source: str, where: str = "<source>") -> list[str]:
    """Each place in `source` that builds or sends a request by method and path, or imports httpx."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(m == "httpx" or m.startswith("httpx.") for m in modules):
                found.append(f"{where}:{node.lineno}: imports httpx")
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        if name in REQUEST_TYPES:
            found.append(f"{where}:{node.lineno}: builds a {name}")
        elif name in SENDING_METHODS and isinstance(node.func, ast.Attribute) and node.args:
            first = node.args[0]
            literal = isinstance(first, ast.Constant) and str(first.value).upper() in HTTP_METHODS
            if literal or (name == "request" and len(node.args) >= 2):
                found.append(f"{where}:{node.lineno}: .{name}() with a method and a path")
    return found


def tree_violations(root: Path = PACKAGE) -> list[str]:
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if not allowed(relative):
            found += violations(path.read_text(encoding="utf-8"), relative)
    return found


def test_nothing_above_the_resources_builds_a_request() -> None:
    assert tree_violations() == []


def test_the_check_sees_each_way_of_hand_building_a_call() -> None:
    source = """
import httpx
from cortexkit.pagination import RequestSpec
client.request("GET", "/cloud/group")
client.request(verb, path)
ctx.client.send(RequestSpec("POST", "/v2/alert", json={}))
client.send("DELETE", "/cloud/azure/1")
azure.send(AzureRequest("graph", "GET", "v1.0/applications"))
client.stream("post", f"/alert/{alert_id}")
"""
    messages = sorted(v.split(": ", 1)[1] for v in violations(source))
    assert messages == sorted(
        [
            "imports httpx",
            ".request() with a method and a path",
            ".request() with a method and a path",
            ".send() with a method and a path",  # a literal method handed to send()
            "builds a RequestSpec",
            "builds a AzureRequest",
            ".stream() with a method and a path",
        ]
    )


def test_typed_resource_calls_pass() -> None:
    source = """
client.azure.add_account(body)
client.account_groups.list()
azure.send(graph.find_applications(name))
request.form()
"""
    assert violations(source) == []


def test_the_allowed_places_are_the_builders_the_core_and_the_raw_api_command() -> None:
    assert allowed("resources/azure.py") and allowed("azure/graph.py") and allowed("client.py")
    assert allowed("cli/api.py") and allowed("session_loader.py") and allowed("cortex/client.py")
    assert not allowed("onboarding/steps.py") and not allowed("web/routes/pages.py")
    assert not allowed("cli/alerts.py") and not allowed("onboarding/provisioners/azure_api.py")
