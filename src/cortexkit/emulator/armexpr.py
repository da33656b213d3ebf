"""The small part of ARM's template expression language the emulator evaluates: enough to name resources.

A resource's `name` is often `[parameters('identityName')]` or `[guid(subscription().id, 'x')]`; the
emulator must turn it into the same name on every deployment so a redeploy finds what it made before.
Supported: string and integer literals, `parameters()`, `variables()`, `concat()`, `format()`, `guid()`,
`toLower()`, `toUpper()`, `uniqueString()`, and `subscription()`/`managementGroup()`/`tenant()` with
property access. Anything else is an `ExpressionError`; the caller falls back to a stable hash of the
text, so an unsupported expression still names the same resource every time.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[(),.\[\]]))"
)


class ExpressionError(ValueError):
    """An expression the emulator cannot evaluate (unknown function, bad syntax, unknown parameter)."""


@dataclass
class Context:
    """What an expression can see: parameter values, variables (evaluated lazily) and the scope objects."""

    parameters: Mapping[str, Any]
    variables: Mapping[str, Any] = field(default_factory=dict)
    scope_objects: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def is_expression(value: Any) -> bool:
    return (
        isinstance(value, str)
        and value.startswith("[")
        and value.endswith("]")
        and not value.startswith("[[")
    )


MAX_DEPTH = 32
"""Variables may refer to variables; deeper than this is treated as a cycle."""


def evaluate(value: Any, ctx: Context, _depth: int = 0) -> Any:
    """`value` with every expression string resolved (recursively through lists and objects).

    Raises only ExpressionError, whatever the template holds (a wrong argument count, an index out of
    range, a variable that refers to itself), so a caller can fall back instead of failing."""
    if _depth > MAX_DEPTH:
        raise ExpressionError("the template's variables refer to each other in a cycle")
    if is_expression(value):
        try:
            return _Parser(value[1:-1], ctx, _depth).parse()
        except ExpressionError:
            raise
        except (TypeError, ValueError, IndexError, KeyError, AttributeError) as exc:
            raise ExpressionError(f"cannot evaluate {value!r}: {exc}") from None
    if isinstance(value, str) and value.startswith("[["):
        return value[1:]  # `[[` escapes a literal leading bracket
    if isinstance(value, list):
        return [evaluate(v, ctx, _depth) for v in value]
    if isinstance(value, dict):
        return {k: evaluate(v, ctx, _depth) for k, v in value.items()}
    return value


def stable_name(text: str) -> str:
    """A deterministic stand-in for an expression the emulator does not evaluate."""
    return "expr-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _guid(*parts: Any) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "-".join(str(p) for p in parts)))


def _unique_string(*parts: Any) -> str:
    return hashlib.sha256("-".join(str(p) for p in parts).encode()).hexdigest()[:13]


def _format(template: Any, *args: Any) -> str:
    return re.sub(r"\{(\d+)\}", lambda m: str(args[int(m.group(1))]), str(template))


def _concat(*args: Any) -> Any:
    if args and all(isinstance(a, list) for a in args):
        return [item for a in args for item in a]
    return "".join(str(a) for a in args)


class _Parser:
    def __init__(self, text: str, ctx: Context, depth: int) -> None:
        self.ctx = ctx
        self.depth = depth
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                raise ExpressionError(f"cannot read the expression at {text[pos : pos + 20]!r}")
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            pos = match.end()
        self.pos = 0
        self.functions: dict[str, Callable[..., Any]] = {
            "parameters": self._parameter,
            "variables": self._variable,
            "concat": _concat,
            "format": _format,
            "guid": _guid,
            "uniquestring": _unique_string,
            "tolower": lambda s: str(s).lower(),
            "toupper": lambda s: str(s).upper(),
            "string": str,
            "subscription": lambda: dict(self.ctx.scope_objects.get("subscription", {})),
            "managementgroup": lambda *_: dict(self.ctx.scope_objects.get("managementGroup", {})),
            "tenant": lambda: dict(self.ctx.scope_objects.get("tenant", {})),
            "deployment": lambda: dict(self.ctx.scope_objects.get("deployment", {})),
        }

    def parse(self) -> Any:
        value = self._expr()
        if self.pos != len(self.tokens):
            raise ExpressionError("unexpected text after the expression")
        return value

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self, op: str) -> None:
        token = self._peek()
        if token is None or token != ("op", op):
            raise ExpressionError(f"expected {op!r}")
        self.pos += 1

    def _expr(self) -> Any:
        token = self._peek()
        if token is None:
            raise ExpressionError("empty expression")
        self.pos += 1
        kind, text = token
        if kind == "str":
            value: Any = text[1:-1].replace("''", "'")
        elif kind == "num":
            value = int(text)
        elif kind == "name":
            fn = self.functions.get(text.lower())
            if fn is None:
                raise ExpressionError(f"the function {text}() is not emulated")
            self._take("(")
            args: list[Any] = []
            if self._peek() != ("op", ")"):
                args.append(self._expr())
                while self._peek() == ("op", ","):
                    self.pos += 1
                    args.append(self._expr())
            self._take(")")
            value = fn(*args)
        else:
            raise ExpressionError(f"unexpected {text!r}")
        return self._accessors(value)

    def _accessors(self, value: Any) -> Any:
        while (token := self._peek()) in (("op", "."), ("op", "[")):
            self.pos += 1
            if token == ("op", "."):
                name = self._peek()
                if name is None or name[0] != "name":
                    raise ExpressionError("expected a property name after '.'")
                self.pos += 1
                key: Any = name[1]
            else:
                key = self._expr()
                self._take("]")
            try:
                value = value[key]
            except (KeyError, IndexError, TypeError):
                raise ExpressionError(f"no property {key!r}") from None
        return value

    def _parameter(self, name: str) -> Any:
        if not isinstance(name, str) or name not in self.ctx.parameters:
            raise ExpressionError(f"the template parameter {name!r} is not defined")
        return self.ctx.parameters[name]

    def _variable(self, name: str) -> Any:
        if not isinstance(name, str) or name not in self.ctx.variables:
            raise ExpressionError(f"the template variable {name!r} is not defined")
        return evaluate(self.ctx.variables[name], self.ctx, self.depth + 1)
