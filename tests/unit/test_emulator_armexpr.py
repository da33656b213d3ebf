"""The ARM template-expression subset the emulator evaluates to name resources (emulator/armexpr.py)."""

from __future__ import annotations

import pytest

from cortexkit.emulator.armexpr import Context, ExpressionError, evaluate, is_expression, stable_name

CTX = Context(
    parameters={"name": "cortex", "count": 3, "tags": {"team": "secops"}},
    variables={"prefix": "[concat('mi-', parameters('name'))]", "plain": "v"},
    scope_objects={
        "subscription": {"id": "/subscriptions/s1", "subscriptionId": "s1"},
        "managementGroup": {"id": "/providers/Microsoft.Management/managementGroups/g", "name": "g"},
        "tenant": {"tenantId": "t1"},
    },
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[parameters('name')]", "cortex"),
        ("[variables('prefix')]", "mi-cortex"),  # a variable that is itself an expression
        ("[concat(variables('prefix'), '-', parameters('count'))]", "mi-cortex-3"),
        ("[format('{0}/{1}', parameters('name'), 'x')]", "cortex/x"),
        ("[toUpper(parameters('name'))]", "CORTEX"),
        ("[subscription().subscriptionId]", "s1"),
        ("[managementGroup().name]", "g"),
        ("[tenant().tenantId]", "t1"),
        ("[parameters('tags').team]", "secops"),
        ("[parameters('tags')['team']]", "secops"),
        ("['it''s']", "it's"),
        ("[[literal]", "[literal]"),  # `[[` escapes a leading bracket
        ("no brackets", "no brackets"),
    ],
)
def test_evaluates_the_supported_subset(text: str, expected: object) -> None:
    assert evaluate(text, CTX) == expected


def test_guid_and_unique_string_are_deterministic() -> None:
    first = evaluate("[guid(parameters('name'), 'role')]", CTX)
    assert first == evaluate("[guid(parameters('name'), 'role')]", CTX)
    assert first != evaluate("[guid(parameters('name'), 'other')]", CTX)
    assert len(str(evaluate("[uniqueString(subscription().id)]", CTX))) == 13


def test_evaluates_inside_objects_and_lists() -> None:
    body = {"name": "[parameters('name')]", "props": ["[parameters('count')]", {"t": "[parameters('tags')]"}]}
    assert evaluate(body, CTX) == {"name": "cortex", "props": [3, {"t": {"team": "secops"}}]}


@pytest.mark.parametrize(
    "text",
    [
        "[reference('x').id]",  # not emulated
        "[parameters('missing')]",
        "[concat('a']",  # unbalanced
        "[parameters('tags').nope]",
        "[]",
    ],
)
def test_unsupported_or_broken_expressions_raise(text: str) -> None:
    with pytest.raises(ExpressionError):
        evaluate(text, CTX)


def test_stable_name_and_detection() -> None:
    assert stable_name("[reference('x')]") == stable_name("[reference('x')]")
    assert is_expression("[a()]") and not is_expression("[[a]") and not is_expression("plain")
