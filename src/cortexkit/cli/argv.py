"""Move global options to the front of argv so they work before or after the subcommand (as in aws, az).

Click only accepts a group's options before the subcommand; `cortexkit rql "..." -o json` must work too, so
argv is rewritten before parsing. Pure function, unit-tested on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

VALUE_OPTIONS = {"--profile", "--region", "-o", "--output", "--query", "--backend"}
FLAG_OPTIONS = {"--verbose", "--debug", "--version"}
# Commands where -o/--output names a file of their own (the export and the report), not the format.
LOCAL_OUTPUT = {("alerts", "export"), ("alerts", "report")}
_OUTPUT = {"-o", "--output"}


def normalise(args: Sequence[str]) -> list[str]:
    """Return argv with every global option (and its value) moved before the first positional."""
    front: list[str] = []
    rest: list[str] = []
    positionals: list[str] = []
    items = list(args)
    index = 0
    while index < len(items):
        token = items[index]
        if token == "--":
            rest.extend(items[index:])
            break
        name, has_inline, _ = token.partition("=")
        local_output = tuple(positionals[:2]) in LOCAL_OUTPUT
        if token.startswith("-o") and len(token) > 2 and not token.startswith("--"):
            name, has_inline = "-o", "="
        if name in VALUE_OPTIONS and not (local_output and name in _OUTPUT):
            if has_inline or index + 1 >= len(items):
                front.append(token)
                index += 1
            else:
                front.extend(items[index : index + 2])
                index += 2
            continue
        if token in FLAG_OPTIONS or _is_verbose_cluster(token):
            front.append(token)
        else:
            if not token.startswith("-"):
                positionals.append(token)
            rest.append(token)
        index += 1
    return front + rest


def _is_verbose_cluster(token: str) -> bool:
    return len(token) >= 2 and token[0] == "-" and token[1] != "-" and set(token[1:]) == {"v"}
