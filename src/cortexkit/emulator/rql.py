"""The subset of RQL the emulator understands, parsed into predicates over generated resources.

Supported (docs/emulator-routes.md lists it with examples):

    config [from cloud.resource] where <condition> [AND <condition>]...

    condition := field (= | !=) value
               | field [NOT] IN (value, ...)
               | json.rule = <path> <json-operator> [value]      (optionally the whole rule in quotes)
    field     := cloud.type | cloud.account | cloud.accountid | cloud.region | api.name | resource.status
    json-operator := is true | is false | exists | does not exist | == | = | != | equals | does not equal
                   | contains | does not contain | starts with | ends with | > | < | >= | <=

Everything else (OR, parentheses, `network from`, `event from`, addcolumn, finding, ...) raises
`RQLError` whose message names the unsupported part, which the routes turn into a 400.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cortexkit.emulator.entities import Resource

FIELDS = ("cloud.type", "cloud.account", "cloud.accountid", "cloud.region", "api.name", "resource.status")
_CASE_FREE_FIELDS = frozenset({"cloud.type", "resource.status"})
_TOKEN = re.compile(
    r"\s*(?:(?P<str>'[^']*'|\"[^\"]*\")|(?P<op>!=|==|>=|<=|=|>|<)|(?P<punct>[(),])|(?P<word>[^\s'\"()=,!<>]+))"
)
_JSON_WORD_OPS: tuple[tuple[str, ...], ...] = (
    ("does", "not", "exist"),
    ("does", "not", "equal"),
    ("does", "not", "contain"),
    ("is", "not", "empty"),
    ("starts", "with"),
    ("ends", "with"),
    ("is", "true"),
    ("is", "false"),
    ("is", "empty"),
    ("exists",),
    ("equals",),
    ("contains",),
)
_UNSUPPORTED_WORDS = {
    "or": "OR (only AND is supported)",
    "addcolumn": "addcolumn",
    "as": "AS (joins)",
    "with": "WITH (joins)",
    "xor": "XOR",
    "finding": "finding queries",
    "count": "count()",
}


class RQLError(ValueError):
    """The query uses RQL the emulator does not support (or is malformed); the message says what."""


@dataclass(frozen=True)
class Token:
    kind: str
    text: str

    @property
    def value(self) -> str:
        return self.text[1:-1] if self.kind == "str" else self.text

    def word(self) -> str:
        return self.text.lower() if self.kind == "word" else ""


def tokenize(query: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    text = query.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise RQLError(f"cannot parse the query near {text[pos : pos + 20]!r}")
        kind = match.lastgroup or "word"
        tokens.append(Token(kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


Predicate = Callable[[Resource], bool]


@dataclass(frozen=True)
class Condition:
    """One condition, kept readable for error messages and tests."""

    field: str
    operator: str
    values: tuple[Any, ...]
    predicate: Predicate


@dataclass(frozen=True)
class ConfigQuery:
    query: str
    conditions: tuple[Condition, ...]

    def matches(self, resource: Resource) -> bool:
        return all(c.predicate(resource) for c in self.conditions)

    @property
    def cloud_type(self) -> str | None:
        """The cloud the query is pinned to by `cloud.type = x`, as the search response echoes it."""
        for c in self.conditions:
            if c.field == "cloud.type" and c.operator == "=":
                return str(c.values[0]).lower()
        return None


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = tokenize(query)
        self.pos = 0

    def peek(self, offset: int = 0) -> Token | None:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else None

    def next(self, what: str) -> Token:
        token = self.peek()
        if token is None:
            raise RQLError(f"the query ends where {what} was expected")
        self.pos += 1
        return token

    def expect_word(self, word: str) -> None:
        token = self.next(f"'{word}'")
        if token.word() != word:
            raise RQLError(f"expected '{word}', found {token.text!r}")

    def parse(self) -> ConfigQuery:
        first = self.next("'config'")
        if first.word() != "config":
            raise RQLError(f"only 'config' queries are supported, not {first.text!r}")
        token = self.peek()
        if token is not None and token.word() == "from":
            self.pos += 1
            source = self.next("a source")
            if source.word() != "cloud.resource":
                raise RQLError(f"unsupported source 'config from {source.text}' (only cloud.resource)")
        self.expect_word("where")
        conditions = [self.condition()]
        while self.peek() is not None:
            joiner = self.next("AND")
            if joiner.word() != "and":
                raise RQLError(f"unsupported RQL: {_UNSUPPORTED_WORDS.get(joiner.word(), repr(joiner.text))}")
            conditions.append(self.condition())
        return ConfigQuery(self.query, tuple(conditions))

    def condition(self) -> Condition:
        token = self.next("a condition")
        if token.text == "(":
            raise RQLError("unsupported RQL: parentheses (grouping)")
        name = token.word()
        if name in _UNSUPPORTED_WORDS:
            raise RQLError(f"unsupported RQL: {_UNSUPPORTED_WORDS[name]}")
        if name == "json.rule":
            op = self.next("'='")
            if op.text != "=":
                raise RQLError(f"json.rule must be followed by '=', not {op.text!r}")
            return self.json_rule()
        if name not in FIELDS:
            raise RQLError(f"unsupported field {token.text!r} (supported: {', '.join(FIELDS)}, json.rule)")
        return self.field_condition(name)

    def field_condition(self, name: str) -> Condition:
        op = self.next("an operator")
        negate = False
        if op.word() == "not":
            negate = True
            op = self.next("IN")
        if op.word() == "in":
            values = self.value_list()
            return _field(name, "not in" if negate else "in", values)
        if negate or op.text not in ("=", "!="):
            raise RQLError(f"unsupported operator {op.text!r} for {name} (use =, !=, IN, NOT IN)")
        value = self.next("a value")
        if value.kind not in ("str", "word"):
            raise RQLError(f"expected a value after {name} {op.text}")
        return _field(name, op.text, (value.value,))

    def value_list(self) -> tuple[str, ...]:
        if self.next("'('").text != "(":
            raise RQLError("IN must be followed by a parenthesised list")
        values: list[str] = []
        while True:
            token = self.next("a value")
            if token.kind not in ("str", "word"):
                raise RQLError(f"expected a value in the IN list, found {token.text!r}")
            values.append(token.value)
            sep = self.next("',' or ')'")
            if sep.text == ")":
                return tuple(values)
            if sep.text != ",":
                raise RQLError(f"expected ',' or ')' in the IN list, found {sep.text!r}")

    def json_rule(self) -> Condition:
        token = self.peek()
        if token is not None and token.kind == "str":
            self.pos += 1
            inner = _Parser.__new__(_Parser)
            inner.query, inner.tokens, inner.pos = self.query, tokenize(token.value), 0
            condition = inner.json_expression()
            if inner.peek() is not None:
                raise RQLError(f"unsupported json.rule: only one comparison is supported ({token.value!r})")
            return condition
        return self.json_expression()

    def json_expression(self) -> Condition:
        path_token = self.next("a JSON path")
        if path_token.kind != "word":
            raise RQLError(f"expected a JSON path after json.rule =, found {path_token.text!r}")
        path = path_token.text
        if "[" in path or "*" in path:
            raise RQLError(f"unsupported json.rule path {path!r} (array selectors)")
        op = self.next("a json.rule operator")
        if op.kind == "op":
            value = self.next("a value")
            return _json(path, "=" if op.text == "==" else op.text, _literal(value))
        words = [op.word()]
        for candidate in _JSON_WORD_OPS:
            if candidate[0] != words[0]:
                continue
            size = len(candidate)
            following = [self.peek(i) for i in range(size - 1)]
            if all(t is not None and t.word() == w for t, w in zip(following, candidate[1:], strict=True)):
                self.pos += size - 1
                name = " ".join(candidate)
                if name in (
                    "starts with",
                    "ends with",
                    "equals",
                    "does not equal",
                    "contains",
                    "does not contain",
                ):
                    return _json(path, name, _literal(self.next("a value")))
                return _json(path, name, None)
        raise RQLError(f"unsupported json.rule operator {op.text!r}")


def _literal(token: Token) -> Any:
    if token.kind == "str":
        return token.value
    word = token.text
    if word.lower() in ("true", "false"):
        return word.lower() == "true"
    try:
        return int(word)
    except ValueError:
        pass
    try:
        return float(word)
    except ValueError:
        return word


def _resource_field(resource: Resource, name: str) -> tuple[str, ...]:
    """The values a field may match on (a region by id or name, an account by name or id)."""
    if name == "cloud.type":
        return (resource.cloud_type,)
    if name == "cloud.account":
        return (resource.account_name, resource.account_id)
    if name == "cloud.accountid":
        return (resource.account_id,)
    if name == "cloud.region":
        return (resource.region_name, resource.region_id)
    if name == "api.name":
        return (resource.api_name,)
    return ("deleted" if resource.deleted else "active",)


def _field(name: str, op: str, values: tuple[str, ...]) -> Condition:
    fold = name in _CASE_FREE_FIELDS
    wanted = {v.lower() for v in values} if fold else set(values)

    def hit(resource: Resource) -> bool:
        have = _resource_field(resource, name)
        return any((h.lower() if fold else h) in wanted for h in have)

    negated = op in ("!=", "not in")
    return Condition(name, op, values, (lambda r: not hit(r)) if negated else hit)


_MISSING = object()


def lookup(data: Any, path: str) -> Any:
    node = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _same(have: Any, want: Any) -> bool:
    if isinstance(have, bool) or isinstance(want, bool):
        return str(have).lower() == str(want).lower()
    if isinstance(have, int | float) and isinstance(want, int | float):
        return float(have) == float(want)
    return str(have) == str(want)


def _json(path: str, op: str, value: Any) -> Condition:
    def check(resource: Resource) -> bool:
        have = lookup(resource.data, path)
        if op == "exists":
            return have is not _MISSING
        if op == "does not exist":
            return have is _MISSING
        if have is _MISSING:
            return op in ("!=", "does not equal", "does not contain")
        if op in ("is true", "is false"):
            return have is (op == "is true")
        if op in ("is empty", "is not empty"):
            empty = have in (None, "", [], {})
            return empty if op == "is empty" else not empty
        if op in ("=", "equals"):
            return _same(have, value)
        if op in ("!=", "does not equal"):
            return not _same(have, value)
        if op in ("contains", "does not contain"):
            found = str(value) in have if isinstance(have, str | list) else False
            return found if op == "contains" else not found
        if op == "starts with":
            return isinstance(have, str) and have.startswith(str(value))
        if op == "ends with":
            return isinstance(have, str) and have.endswith(str(value))
        if not isinstance(have, int | float) or not isinstance(value, int | float) or isinstance(have, bool):
            return False
        return {">": have > value, "<": have < value, ">=": have >= value, "<=": have <= value}[op]

    return Condition("json.rule", op, (path, value), check)


def parse(query: str) -> ConfigQuery:
    """Parse `query`; raises RQLError naming what is unsupported or malformed."""
    if not isinstance(query, str) or not query.strip():
        raise RQLError("query is required")
    return _Parser(query).parse()
