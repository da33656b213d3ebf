"""Tolerant Cortex models: JSON strings or objects, ms or s, unknown enum values kept."""

from __future__ import annotations

import json
import logging

import pytest

from cortexkit.cortex import models
from cortexkit.cortex.models import Instance, InstanceDetails, epoch_seconds, maybe_json


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (1741268418, 1741268418.0),
        (1741268418123, 1741268418.123),
        ("1741268418", 1741268418.0),
        (99_999_999_999, 99_999_999_999.0),
        (100_000_000_000, 100_000_000.0),
        (None, None),
        ("x", None),
        (True, None),
        (0, None),
        (-5, None),
        (float("nan"), None),
    ],
)
def test_epoch_seconds(value: object, seconds: float | None) -> None:
    assert epoch_seconds(value) == seconds


def test_maybe_json() -> None:
    assert maybe_json('{"a": 1}') == {"a": 1}
    assert maybe_json({"a": 1}) == {"a": 1}
    assert maybe_json("{not json") == "{not json"
    assert maybe_json("plain") == "plain"


def test_instance_with_json_strings_and_ms() -> None:
    row = {
        "instance_id": "a" * 32,
        "status": "CONNECTED",
        "creation_time": 1741268418123,
        "custom_resources_tags": json.dumps([{"key": "managed_by", "value": "paloaltonetworks"}]),
        "collection_configuration": '{"audit_logs": {"enabled": true}}',
        "additional_capabilities": {"xsiam_analytics": True},
        "brand_new_field": 1,
    }
    inst = Instance.model_validate(row)
    assert inst.collection_configuration == {"audit_logs": {"enabled": True}}
    assert inst.custom_resources_tags[0]["key"] == "managed_by"
    assert inst.additional_capabilities == {"xsiam_analytics": True}
    assert inst.created_s == 1741268418.123
    assert inst.model_extra == {"brand_new_field": 1}


def test_instance_docs_shape_seconds() -> None:
    inst = Instance.model_validate({"instance_id": 7, "created_at": 1741268418, "status": 3})
    assert inst.created_s == 1741268418.0 and inst.instance_id == "7" and inst.status == "3"


def test_unknown_enum_kept_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    models._seen_unknown.clear()
    with caplog.at_level(logging.DEBUG, logger="cortexkit.cortex"):
        a = Instance.model_validate({"status": "HIBERNATING"})
        Instance.model_validate({"status": "HIBERNATING"})
    assert a.status == "HIBERNATING"
    assert [r.getMessage() for r in caplog.records].count(
        "unknown instance status value 'HIBERNATING' kept as is"
    ) == 1


def test_details_capabilities_and_tags_as_string() -> None:
    d = InstanceDetails.model_validate(
        {
            "id": "x",
            "tags": '[{"key": "k", "value": "v"}]',
            "security_capabilities": [{"name": "ADS", "status": 4}, {"name": "X", "status": 9}],
            "collection_configuration": '{"audit_logs": {"enabled": true}}',
        }
    )
    assert d.tags[0].key == "k"
    assert d.retrieving
    assert [c.label for c in d.security_capabilities] == ["Retrieving", "Unknown"]
    assert d.collection_configuration == {"audit_logs": {"enabled": True}}
