"""Validate emulator responses against the official OpenAPI specs in tests/data/specs/prisma-cloud-cspm/.

Reusable by every conformance test:

    validate_response("Login.json", "POST", "/login", 200, body)

`path` may be the spec's template (`/cloud/{type}/{id}`) or a concrete path (`/cloud/azure/123`), which
is matched against the spec's templates, literal segments first. A violation raises `SpecViolation` (an
AssertionError, so pytest shows it as a failed assertion) listing every schema error with its JSON path.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30ReadValidator

# A verbatim copy of the official specs lives in tests/data/specs (SOURCES.md there says where they come
# from), so the conformance tests need nothing outside the repository; CORTEXKIT_SPECS_DIR points them at
# another copy, e.g. a newer pan.dev snapshot.
SPECS_DIR = Path(
    os.environ.get("CORTEXKIT_SPECS_DIR")
    or Path(__file__).resolve().parent / "data" / "specs" / "prisma-cloud-cspm"
)


class SpecViolation(AssertionError):
    """The body does not match the schema the spec gives for this operation and status."""


@functools.cache
def load_spec(spec_file: str) -> dict[str, Any]:
    path = Path(spec_file)
    if not path.is_absolute():
        path = SPECS_DIR / spec_file
    spec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return spec


@functools.cache
def validation_components(spec_file: str) -> dict[str, Any]:
    """The spec's components as validators use them: a copy with the time-range cycle broken.

    Several specs (Alerts, Reports, CompliancePosture, ...) declare `TimeRangeConfigModel` as `oneOf` the
    relative/absolute/to_now models, each of which is `allOf` [`TimeRangeConfigModel`, ...]: a schema that
    refers to itself without end, so validating any value against it recurses until Python gives up.
    Dropping that `oneOf` leaves each model its own fields and the base its `type`, as
    SearchMicroService.json declares it (docs/emulator-routes.md lists the correction). Only Reports.json
    has a response that carries a time range, so only its answers are affected in practice.
    """
    components: dict[str, Any] = copy.deepcopy(load_spec(spec_file).get("components", {}))
    schemas = components.get("schemas", {})
    model = schemas.get("TimeRangeConfigModel", {})
    variants = [v.get("$ref", "").rsplit("/", 1)[-1] for v in model.get("oneOf", [])]
    if any(
        part.get("$ref") == "#/components/schemas/TimeRangeConfigModel"
        for name in variants
        for part in schemas.get(name, {}).get("allOf", [])
    ):
        del model["oneOf"]
    return components


def find_path_template(spec: dict[str, Any], method: str, path: str) -> str:
    """The spec's path template for `method path` (a template or a concrete path)."""
    paths: dict[str, Any] = spec.get("paths", {})
    if path in paths and method.lower() in paths[path]:
        return path
    want = [s for s in path.split("?", 1)[0].split("/") if s]
    best, best_literals = None, -1
    for template, item in paths.items():
        if method.lower() not in item:
            continue
        parts = [s for s in template.split("/") if s]
        if len(parts) != len(want):
            continue
        literals = 0
        for t, w in zip(parts, want, strict=True):
            if t.startswith("{"):
                continue
            if t != w:
                break
            literals += 1
        else:
            if literals > best_literals:
                best, best_literals = template, literals
    if best is None:
        raise KeyError(f"{method.upper()} {path} is not in the spec")
    return best


def response_schema(spec_file: str, method: str, path: str, status: int) -> dict[str, Any] | None:
    """The JSON schema of a response, or None when the spec documents no JSON body for it."""
    spec = load_spec(spec_file)
    template = find_path_template(spec, method, path)
    responses = spec["paths"][template][method.lower()].get("responses", {})
    response = responses.get(str(status)) or responses.get("default")
    if response is None:
        raise KeyError(f"{method.upper()} {template} documents no {status} response")
    if "$ref" in response:
        response = _resolve(spec, response["$ref"])
    for media_type, content in (response.get("content") or {}).items():
        if "json" in media_type and "schema" in content:
            schema: dict[str, Any] = content["schema"]
            return schema
    return None


def validate_response(spec_file: str, method: str, path: str, status: int, body: Any) -> None:
    """Raise SpecViolation unless `body` fits the spec's schema for that operation and status."""
    schema = response_schema(spec_file, method, path, status)
    if schema is None:
        return
    # Local "#/components/..." references resolve against the root, so give the schema the components.
    root = {**schema, "components": validation_components(spec_file)}
    validator = OAS30ReadValidator(root)
    problems = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if problems:
        lines = [
            f"  at {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in problems[:20]
        ]
        raise SpecViolation(
            f"{method.upper()} {path} -> {status} does not match {spec_file}:\n" + "\n".join(lines)
        )


def _resolve(spec: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    result: dict[str, Any] = node
    return result


def _where(path: Any) -> str:
    return "/".join(map(str, path)) or "<root>"
