"""Evaluating the two filter dialects over plain rows: the `filter_data` AND/OR tree
(`SEARCH_FIELD`/`SEARCH_TYPE`/`SEARCH_VALUE`) and the XDR-classic list (`field`/`operator`/`value`).

A malformed filter is the caller's fault: `FilterError` becomes a 422 in the route's error shape.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from typing import Any

SEARCH_TYPES = frozenset(
    {
        "EQ",
        "NEQ",
        "GT",
        "LT",
        "GTE",
        "LTE",
        "IN",
        "NIN",
        "CONTAINS",
        "NCONTAINS",
        "WILDCARD",
        "WILDCARD_NOT",
        "RANGE",
        "IS_EMPTY",
        "NIS_EMPTY",
        "ARRAY_CONTAINS",
        "ARRAY_NOT_CONTAINS",
    }
)
CLASSIC_OPERATORS = frozenset({"in", "eq", "neq", "gte", "lte", "gt", "lt", "contains", "nin"})


class FilterError(ValueError):
    """The filter cannot be evaluated; the message names what is wrong."""


def lookup(row: Mapping[str, Any], path: str) -> Any:
    """`a.b.c` in nested objects (a literal dotted key, as in `xdm.asset.id`, wins)."""
    if path in row:
        return row[path]
    value: Any = row
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _norm(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _compare(op: str, actual: Any, wanted: Any) -> bool:
    if op in ("EQ", "NEQ"):
        same = (
            (_norm(actual) in [_norm(w) for w in wanted])
            if isinstance(wanted, list)
            else _norm(actual) == _norm(wanted)
        )
        return same if op == "EQ" else not same
    if op in ("IN", "NIN"):
        values = wanted if isinstance(wanted, list) else [wanted]
        inside = _norm(actual) in [_norm(v) for v in values]
        return inside if op == "IN" else not inside
    if op in ("CONTAINS", "NCONTAINS"):
        found = str(wanted).lower() in str(actual or "").lower()
        return found if op == "CONTAINS" else not found
    if op in ("WILDCARD", "WILDCARD_NOT"):
        hit = fnmatch.fnmatchcase(str(actual or "").lower(), str(wanted).lower())
        return hit if op == "WILDCARD" else not hit
    if op in ("IS_EMPTY", "NIS_EMPTY"):
        empty = actual in (None, "", [], {})
        return empty if op == "IS_EMPTY" else not empty
    if op in ("ARRAY_CONTAINS", "ARRAY_NOT_CONTAINS"):
        hit = isinstance(actual, list) and wanted in actual
        return hit if op == "ARRAY_CONTAINS" else not hit
    if op == "RANGE":
        if not isinstance(wanted, Mapping):
            raise FilterError('RANGE takes {"from": ..., "to": ...}')
        try:
            return (
                float(wanted.get("from", float("-inf")))
                <= float(actual)
                <= float(wanted.get("to", float("inf")))
            )
        except (TypeError, ValueError):
            return False
    a: float | str
    w: float | str
    try:
        a, w = float(actual), float(wanted)
    except (TypeError, ValueError):
        a, w = str(actual), str(wanted)  # both strings: compared as text
    return {"GT": a > w, "LT": a < w, "GTE": a >= w, "LTE": a <= w}[op]  # type: ignore[operator]


def tree_predicate(node: Any, fields: Mapping[str, str]) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate for a `{"AND"|"OR": [...]}` tree or a leaf; `fields` maps SEARCH_FIELD to row keys."""
    if node is None or node == {}:
        return lambda row: True
    if not isinstance(node, Mapping):
        raise FilterError("a filter must be an object")
    for key in ("AND", "OR"):
        if key in node:
            children = node[key]
            if not isinstance(children, list):
                raise FilterError(f"{key} takes a list")
            preds = [tree_predicate(c, fields) for c in children]
            if key == "AND":
                return lambda row: all(p(row) for p in preds)
            return lambda row: any(p(row) for p in preds)
    name, op = node.get("SEARCH_FIELD"), node.get("SEARCH_TYPE")
    if not isinstance(name, str) or not isinstance(op, str):
        raise FilterError("a filter leaf needs SEARCH_FIELD and SEARCH_TYPE")
    if op not in SEARCH_TYPES:
        raise FilterError(f"unsupported SEARCH_TYPE {op!r}")
    column = fields.get(name.upper()) or (name if not fields else None)
    if column is None:
        raise FilterError(f"unknown SEARCH_FIELD {name!r}")
    wanted = node.get("SEARCH_VALUE")
    return lambda row: _compare(op, lookup(row, column), wanted)


def tree_names(node: Any) -> list[tuple[str, str, Any]]:
    """Every (SEARCH_FIELD, SEARCH_TYPE, SEARCH_VALUE) leaf of a tree (PENDING visibility needs it)."""
    if not isinstance(node, Mapping):
        return []
    out: list[tuple[str, str, Any]] = []
    for key in ("AND", "OR"):
        for child in node.get(key) or []:
            out.extend(tree_names(child))
    if "SEARCH_FIELD" in node:
        out.append(
            (str(node["SEARCH_FIELD"]).upper(), str(node.get("SEARCH_TYPE")), node.get("SEARCH_VALUE"))
        )
    return out


def classic_predicate(filters: Any) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate for `[{"field", "operator", "value"}]` (all must hold)."""
    if filters in (None, []):
        return lambda row: True
    if not isinstance(filters, list):
        raise FilterError("filters must be a list")
    preds = []
    for f in filters:
        if not isinstance(f, Mapping) or not isinstance(f.get("field"), str):
            raise FilterError("each filter needs field, operator and value")
        op = str(f.get("operator", "")).lower()
        if op not in CLASSIC_OPERATORS:
            raise FilterError(f"unsupported operator {f.get('operator')!r}")
        upper = {
            "in": "IN",
            "nin": "NIN",
            "eq": "EQ",
            "neq": "NEQ",
            "gte": "GTE",
            "lte": "LTE",
            "gt": "GT",
            "lt": "LT",
            "contains": "CONTAINS",
        }[op]
        preds.append((f["field"], upper, f.get("value")))
    return lambda row: all(_compare(op, lookup(row, name), value) for name, op, value in preds)


def any_predicate(filters: Any, fields: Mapping[str, str]) -> Callable[[Mapping[str, Any]], bool]:
    """Assets take either dialect."""
    if isinstance(filters, Mapping):
        return tree_predicate(filters, fields)
    return classic_predicate(filters)


def sort_rows(rows: list[dict[str, Any]], sort: Any, fields: Mapping[str, str]) -> list[dict[str, Any]]:
    """`[{"FIELD", "ORDER"}]` or `{"field", "keyword"}`; unknown fields leave the order alone."""
    items = sort if isinstance(sort, list) else [sort] if isinstance(sort, Mapping) else []
    for spec in reversed(items):
        if not isinstance(spec, Mapping):
            continue
        name = spec.get("FIELD") or spec.get("field")
        order = str(spec.get("ORDER") or spec.get("keyword") or "ASC").upper()
        if not isinstance(name, str):
            continue
        column = fields.get(name.upper(), name)
        rows = sorted(
            rows,
            key=lambda r: (
                lookup(r, column) is None,
                str(lookup(r, column))
                if not isinstance(lookup(r, column), int | float)
                else lookup(r, column),
            ),
            reverse=order == "DESC",
        )
    return rows
