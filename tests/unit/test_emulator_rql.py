"""The emulator's RQL subset: what parses, what it matches, and the wording of what it refuses."""

from __future__ import annotations

import pytest

from cortexkit.emulator import rql
from cortexkit.emulator.entities import Resource


def _resource(**overrides: object) -> Resource:
    base: dict[str, object] = {
        "id": "r1",
        "name": "bucket-1",
        "cloud_type": "aws",
        "account_id": "111122223333",
        "account_name": "aws-prod",
        "region_id": "us-east-1",
        "region_name": "AWS Virginia",
        "api_name": "aws-s3api-get-bucket-acl",
        "resource_type": "S3 Bucket",
        "service": "Amazon S3",
        "deleted": False,
        "insert_ts": 1,
        "created_ts": 1,
        "tags": {},
        "data": {
            "acl": {"publicRead": True},
            "versioning": {"status": "Suspended"},
            "size": 12,
            "names": ["a", "b"],
        },
    }
    base.update(overrides)
    return Resource(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("config from cloud.resource where cloud.type = 'aws'", True),
        ("config from cloud.resource where cloud.type = 'AWS'", True),
        ("config where cloud.type = 'gcp'", False),
        (
            "config from cloud.resource where cloud.account = 'aws-prod' AND cloud.region = 'AWS Virginia'",
            True,
        ),
        ("config from cloud.resource where cloud.accountid = '111122223333'", True),
        ("config from cloud.resource where cloud.region = us-east-1", True),
        ('config from cloud.resource where api.name = "aws-s3api-get-bucket-acl"', True),
        ("config from cloud.resource where api.name != 'aws-s3api-get-bucket-acl'", False),
        ("config from cloud.resource where cloud.type IN ('gcp', 'aws')", True),
        ("config from cloud.resource where cloud.type NOT IN ('gcp', 'aws')", False),
        ("config from cloud.resource where resource.status = Active", True),
        ("config from cloud.resource where resource.status = Deleted", False),
        ("config from cloud.resource where api.name = 'x' and cloud.type = 'aws'", False),
    ],
)
def test_field_conditions(query: str, expected: bool) -> None:
    assert rql.parse(query).matches(_resource()) is expected


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("acl.publicRead is true", True),
        ("acl.publicRead is false", False),
        ("versioning.status == Suspended", True),
        ("versioning.status = 'Suspended'", True),
        ("versioning.status != Enabled", True),
        ("versioning.status equals Enabled", False),
        ("versioning.status does not equal Enabled", True),
        ("versioning.status starts with Sus", True),
        ("versioning.status ends with ded", True),
        ("versioning.status contains pend", True),
        ("versioning.status does not contain pend", False),
        ("names contains a", True),
        ("size > 10", True),
        ("size <= 10", False),
        ("size >= 12", True),
        ("size < 13", True),
        ("encryption exists", False),
        ("encryption does not exist", True),
        ("missing.path != x", True),
        ("names is not empty", True),
        ("names is empty", False),
        ("versioning.status > 3", False),
    ],
)
def test_json_rule_operators(rule: str, expected: bool) -> None:
    query = f"config from cloud.resource where api.name = 'aws-s3api-get-bucket-acl' AND json.rule = {rule}"
    assert rql.parse(query).matches(_resource()) is expected


def test_a_quoted_json_rule_is_parsed_as_one_comparison() -> None:
    parsed = rql.parse('config from cloud.resource where json.rule = "acl.publicRead is true"')
    assert parsed.matches(_resource())
    assert parsed.conditions[0].field == "json.rule"


def test_cloud_type_is_reported_for_the_search_response() -> None:
    assert rql.parse("config where cloud.type = 'Azure' AND api.name = 'x'").cloud_type == "azure"
    assert rql.parse("config where api.name = 'x'").cloud_type is None


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "query is required"),
        ("event from cloud.audit_logs where operation = 'x'", "only 'config' queries"),
        ("config from cloud.network where x = 1", "config from cloud.network"),
        ("config from cloud.resource where cloud.type = 'aws' OR cloud.type = 'gcp'", "OR"),
        ("config from cloud.resource where (cloud.type = 'aws')", "parentheses"),
        ("config from cloud.resource where cloud.service = 'S3'", "unsupported field 'cloud.service'"),
        ("config from cloud.resource where cloud.type > 'aws'", "unsupported operator '>'"),
        ("config from cloud.resource where cloud.type =", "ends where a value"),
        ("config from cloud.resource where cloud.type IN 'aws'", "parenthesised list"),
        ("config from cloud.resource where json.rule = tags[*].key exists", "array selectors"),
        ("config from cloud.resource where json.rule = a matches b", "operator 'matches'"),
        ('config from cloud.resource where json.rule = "a is true and b is false"', "only one comparison"),
        ("config from cloud.resource where api.name = 'x' addcolumn y", "addcolumn"),
        ("config from cloud.resource cloud.type = 'x'", "expected 'where'"),
        ("config from cloud.resource where json.rule != x", "must be followed by '='"),
    ],
)
def test_refusals_name_the_unsupported_part(query: str, message: str) -> None:
    with pytest.raises(rql.RQLError, match=None) as info:
        rql.parse(query)
    assert message in str(info.value)


def test_tokenizer_keeps_quoted_strings_whole() -> None:
    tokens = rql.tokenize("api.name='a b' AND x!=\"c=d\"")
    assert [(t.kind, t.value) for t in tokens] == [
        ("word", "api.name"),
        ("op", "="),
        ("str", "a b"),
        ("word", "AND"),
        ("word", "x"),
        ("op", "!="),
        ("str", "c=d"),
    ]
