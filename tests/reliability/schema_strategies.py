"""Hypothesis strategies from the OpenAPI 3.0 request schemas of the official specs.

A small stand-in for schemathesis (its wheel is in the local mirror, but it pulls a large dependency
tree whose hypothesis pin fights the project's). It covers what the Prisma Cloud specs use: `$ref`,
objects with `required`, strings (enums, uuid/date-time formats), numbers, booleans and arrays, for
request bodies, query parameters and path parameters. `valid_or_broken` mixes spec-conforming values
with arbitrary JSON, so both the happy path and the refusals are exercised.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from tests.spec_validation import load_spec

MAX_DEPTH = 4
ARBITRARY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = spec
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


# What a "wrong type" field gets: each is a type some handler may not expect (unhashable ones included).
WRONG_TYPES = st.sampled_from([{}, [], None, 0, -1, True, "", "x", [{}], {"a": []}, 1.5])


def from_schema(
    spec: dict[str, Any], schema: dict[str, Any], depth: int = 0, *, broken: bool = False
) -> st.SearchStrategy[Any]:
    """Values matching `schema`; with `broken`, any field at any depth may instead hold a wrong type."""
    shaped = _from_schema(spec, schema, depth, broken)
    if broken and depth > 0:
        return st.one_of(shaped, shaped, shaped, WRONG_TYPES)
    return shaped


def _from_schema(
    spec: dict[str, Any], schema: dict[str, Any], depth: int, broken: bool
) -> st.SearchStrategy[Any]:
    schema = _resolve(spec, schema)
    if depth > MAX_DEPTH:
        return st.none()
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            return st.one_of([from_schema(spec, s, depth + 1, broken=broken) for s in schema[combinator]])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties: dict[str, Any] = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        return st.fixed_dictionaries(
            {
                name: from_schema(spec, sub, depth + 1, broken=broken)
                for name, sub in properties.items()
                if name in required
            },
            optional={
                name: from_schema(spec, sub, depth + 1, broken=broken)
                for name, sub in properties.items()
                if name not in required
            },
        )
    if kind == "array":
        return st.lists(from_schema(spec, schema.get("items") or {}, depth + 1, broken=broken), max_size=3)
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "uuid":
            return st.uuids().map(str)
        if fmt == "date-time":
            return st.datetimes().map(lambda d: d.isoformat() + "Z")
        return st.text(max_size=40)
    if kind == "integer":
        low, high = (-(2**31), 2**31) if schema.get("format") == "int32" else (-(2**53), 2**53)
        return st.integers(schema.get("minimum", low), schema.get("maximum", high))
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False, width=32)
    if kind == "boolean":
        return st.booleans()
    return ARBITRARY_JSON


def request_body(spec_file: str, path: str, method: str, *, broken: bool = False) -> st.SearchStrategy[Any]:
    spec = load_spec(spec_file)
    body = spec["paths"][path][method]["requestBody"]
    (content,) = [c for media, c in body["content"].items() if "json" in media][:1]
    return from_schema(spec, content["schema"], broken=broken)


def valid_or_broken(spec_file: str, path: str, method: str) -> st.SearchStrategy[Any]:
    """Spec-shaped bodies, bodies with wrong-typed fields at any depth, and arbitrary JSON (2:2:1)."""
    valid = request_body(spec_file, path, method)
    typed_wrong = request_body(spec_file, path, method, broken=True)
    return st.one_of(valid, typed_wrong, valid, typed_wrong, ARBITRARY_JSON)


def has_json_body(spec_file: str, path: str, method: str) -> bool:
    body = load_spec(spec_file)["paths"][path][method].get("requestBody") or {}
    return any("json" in media for media in (body.get("content") or {}))


def parameters(spec_file: str, path: str, method: str, where: str) -> dict[str, dict[str, Any]]:
    """The operation's parameters located `where` ("query" or "path"), by name, with their schemas."""
    spec = load_spec(spec_file)
    item = spec["paths"][path]
    out: dict[str, dict[str, Any]] = {}
    for raw in [*item.get("parameters", []), *item[method].get("parameters", [])]:
        param = _resolve(spec, raw)
        if param.get("in") == where:
            out[str(param["name"])] = {"schema": param.get("schema") or {}, "required": param.get("required")}
    return out


def _as_text(value: Any) -> str:
    """A generated value as a query or path string (booleans the way the API spells them)."""
    if isinstance(value, bool):
        return str(value).lower()
    return value if isinstance(value, str) else json.dumps(value)


def parameter_value(spec_file: str, schema: dict[str, Any]) -> st.SearchStrategy[str]:
    """Spec-shaped values three times in four, arbitrary text otherwise."""
    shaped = from_schema(load_spec(spec_file), schema).map(_as_text)
    return st.one_of(shaped, shaped, shaped, st.text(max_size=30))


def query_params(spec_file: str, path: str, method: str) -> st.SearchStrategy[dict[str, str]]:
    """Query strings from the documented parameters (required ones present three times in four)."""
    params = parameters(spec_file, path, method, "query")
    optional = {name: parameter_value(spec_file, p["schema"]) for name, p in params.items()}
    return st.fixed_dictionaries({}, optional=optional)
