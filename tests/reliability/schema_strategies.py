"""Hypothesis strategies from the OpenAPI 3.0 request schemas of the official specs.

A small stand-in for schemathesis (not installed here: it pulls a large dependency tree whose hypothesis
pin fights the project's). It covers what the Prisma Cloud specs use: `$ref`, objects with `required`,
strings (enums, uuid/date-time formats), numbers, booleans and arrays. `valid_or_broken` mixes
spec-conforming bodies with arbitrary JSON, so both the happy path and the refusals are exercised.
"""

from __future__ import annotations

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


def from_schema(spec: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    schema = _resolve(spec, schema)
    if depth > MAX_DEPTH:
        return st.none()
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            return st.one_of([from_schema(spec, s, depth + 1) for s in schema[combinator]])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties: dict[str, Any] = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        return st.fixed_dictionaries(
            {name: from_schema(spec, sub, depth + 1) for name, sub in properties.items() if name in required},
            optional={
                name: from_schema(spec, sub, depth + 1)
                for name, sub in properties.items()
                if name not in required
            },
        )
    if kind == "array":
        return st.lists(from_schema(spec, schema.get("items") or {}, depth + 1), max_size=3)
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


def request_body(spec_file: str, path: str, method: str) -> st.SearchStrategy[Any]:
    spec = load_spec(spec_file)
    body = spec["paths"][path][method]["requestBody"]
    (content,) = [c for media, c in body["content"].items() if "json" in media]
    return from_schema(spec, content["schema"])


def valid_or_broken(spec_file: str, path: str, method: str) -> st.SearchStrategy[Any]:
    """Four spec-shaped bodies for every arbitrary one."""
    valid = request_body(spec_file, path, method)
    return st.one_of(valid, valid, valid, valid, ARBITRARY_JSON)
