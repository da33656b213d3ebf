"""Property-based fuzzing of the parsers that read what a server, a user or a file hands us.

Only what the unit tests do not already cover: tests/unit/test_retry.py fuzzes Retry-After and
tests/unit/test_auth.py fuzzes JWT decoding of arbitrary text. Here: `x-redlock-status` and error bodies,
JWTs that are well-formed but carry absurd claims, the CLI's time ranges (`7d`, dates, ranges), the
emulator's RQL subset and API time ranges, and CSV rows. Each parser must either answer or raise its own
documented error with a one-line message; nothing else may escape.
"""

from __future__ import annotations

import base64
import json
import math
import string
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cortexkit.auth import DEFAULT_TTL, token_lifetime
from cortexkit.cli.timespec import TimeSpecError, parse_duration, parse_time_range
from cortexkit.emulator import rql, timerange
from cortexkit.errors import parse_error_body, parse_redlock_status
from cortexkit.onboarding.bulk import parse_csv

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


# x-redlock-status and error bodies -------------------------------------------------------------------


@FUZZ
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200), json_values.map(json.dumps)))
def test_redlock_status_never_raises_and_keys_are_one_line(value: str | bytes) -> None:
    items = parse_redlock_status(value)
    for item in items:
        assert item.i18n_key and "\n" not in item.i18n_key and item.i18n_key == item.i18n_key.strip()


def test_redlock_status_bare_json_string_is_folded_to_one_line() -> None:
    (item,) = parse_redlock_status('"invalid\\nforged log line"')
    assert "\n" not in item.i18n_key


keys = st.text(string.ascii_letters + "_ \t\n", min_size=1, max_size=30).filter(lambda k: k.strip())


@FUZZ
@given(st.lists(st.tuples(keys, st.sampled_from(["error", "warning", None])), max_size=5))
def test_redlock_status_round_trip(items: list[tuple[str, str | None]]) -> None:
    header = json.dumps([{"i18nKey": key, "severity": sev, "subject": None} for key, sev in items])
    parsed = parse_redlock_status(header)
    assert [p.i18n_key for p in parsed] == [" ".join(key.split()) for key, _ in items]


@FUZZ
@given(
    st.integers(100, 599),
    st.sampled_from([None, "", "application/json", "text/html", "text/plain; charset=latin-1"]),
    st.one_of(st.none(), st.binary(max_size=300), json_values.map(json.dumps)),
)
def test_error_body_never_raises(status: int, content_type: str | None, body: bytes | str | None) -> None:
    parsed = parse_error_body(status, content_type, body)
    assert parsed.style in {"empty", "legacy", "v2", "cas", "json", "html", "text"}
    assert parsed.text is None or len(parsed.text) <= 300


# JWTs with absurd claims -----------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


JWT_HEADER = _b64(b'{"alg":"HS256","typ":"JWT"}')
claim_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
)


@FUZZ
@given(st.dictionaries(st.sampled_from(["exp", "iat", "nbf", "sub"]), claim_values), st.floats(0, 4e9))
def test_token_lifetime_of_any_claims_is_sane(claims: dict[str, Any], now: float) -> None:
    payload = json.dumps(claims, allow_nan=True).encode()
    token = f"{JWT_HEADER}.{_b64(payload)}.c2ln"
    ttl = token_lifetime(token, now)
    assert math.isfinite(ttl) and 0 < ttl <= max(86400.0, DEFAULT_TTL)


# CLI time ranges -------------------------------------------------------------------------------------


@FUZZ
@given(st.text(max_size=40))
def test_time_range_answers_or_explains(text: str) -> None:
    try:
        result = parse_time_range(text, now=NOW)
    except TimeSpecError as exc:
        message = str(exc)
        assert message.endswith(".") and "\n" not in message
    else:
        assert result["type"] in {"relative", "absolute", "to_now"}


UNITS = {"m": "minute", "h": "hour", "d": "day", "w": "week", "mo": "month", "y": "year"}


@FUZZ
@given(st.integers(1, 100_000), st.sampled_from(sorted(UNITS)))
def test_relative_ranges_round_trip(amount: int, unit: str) -> None:
    assert parse_time_range(f"{amount}{unit}", now=NOW) == {
        "type": "relative",
        "value": {"amount": amount, "unit": UNITS[unit]},
    }
    assert parse_duration(f"{amount}{unit}") == {"amount": amount, "unit": UNITS[unit]}


@FUZZ
@given(st.dates(date(2000, 1, 1), date(2026, 11, 19)), st.integers(1, 3000))
def test_date_ranges_are_ordered_windows(start: date, days: int) -> None:
    end = min(start + timedelta(days=days), date(2026, 11, 20))
    result = parse_time_range(f"{start.isoformat()}..{end.isoformat()}", now=NOW)
    window = result["value"]
    assert result["type"] == "absolute" and window["startTime"] <= window["endTime"]
    assert window["startTime"] == int(
        datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp() * 1000
    )


# The emulator's RQL subset and API time ranges -------------------------------------------------------


@FUZZ
@given(st.text(max_size=120))
def test_rql_parse_answers_or_refuses(query: str) -> None:
    _answers_or_refuses(query)


def _answers_or_refuses(query: str) -> None:
    try:
        parsed = rql.parse(query)
    except rql.RQLError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert isinstance(parsed.conditions, tuple)


RQL_WORDS = (
    "config from cloud.resource where and AND = != IN ( ) 'aws' cloud.type api.name json.rule , NOT ' \""
)
rql_words = st.sampled_from([*RQL_WORDS.split(), "addcolumn", "'x'", "json.rule = 'a' and"])


@FUZZ
@given(st.lists(rql_words, max_size=14))
def test_rql_word_salad_answers_or_refuses(words: list[str]) -> None:
    _answers_or_refuses(" ".join(words))


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["cloud.type", "cloud.region", "api.name", "cloud.account"]),
            st.sampled_from(["=", "!="]),
            st.text(string.ascii_letters + string.digits + "-_ ", min_size=1, max_size=15),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_generated_rql_queries_parse_to_their_conditions(conditions: list[tuple[str, str, str]]) -> None:
    where = " AND ".join(f"{name} {op} '{value}'" for name, op, value in conditions)
    parsed = rql.parse(f"config from cloud.resource where {where}")
    assert [(c.field, c.operator) for c in parsed.conditions] == [(n, o) for n, o, _ in conditions]


@FUZZ
@given(st.one_of(st.none(), json_values, st.dictionaries(st.sampled_from(["type", "value"]), json_values)))
def test_api_time_range_resolves_or_refuses(time_range: Any) -> None:
    now_ms = int(NOW.timestamp() * 1000)
    try:
        window = timerange.resolve(time_range, now_ms)
    except timerange.TimeRangeError as exc:
        assert str(exc)
    else:
        assert window is None or window.start_ms <= window.end_ms


# CSV rows --------------------------------------------------------------------------------------------


@FUZZ
@given(st.text(max_size=400))
def test_csv_never_raises(text: str) -> None:
    specs, errors = parse_csv(text)
    assert all(e.line >= 1 and e.message for e in errors)
    # A bare carriage return ends a line too (old Mac line ends, or pasted into the web UI's bulk form).
    assert len(specs) <= max(1, text.count("\n") + text.count("\r") + 1)


def test_csv_with_bare_carriage_returns_is_a_row_error_not_a_crash() -> None:
    specs, errors = parse_csv("name,subscription_id,tenant_id\rx,y,z\r")
    assert errors and not specs


names = st.text(string.ascii_letters + string.digits + "-_ ", min_size=1, max_size=20).filter(
    lambda s: s.strip()
)


@FUZZ
# Names unique per file: a repeated name is a row error of its own (the API refuses a second account by it).
@given(st.lists(st.tuples(names, st.booleans()), min_size=1, max_size=8, unique_by=lambda r: r[0].strip()))
def test_csv_good_and_bad_rows_are_counted_exactly(rows: list[tuple[str, bool]]) -> None:
    lines = ["name,subscription_id,tenant_id,client_id,service_principal_id"]
    for name, good in rows:
        subscription = str(uuid.uuid4()) if good else "not-a-guid"
        lines.append(f"{name},{subscription},{uuid.uuid4()},{uuid.uuid4()},{uuid.uuid4()}")
    specs, errors = parse_csv("\n".join(lines) + "\n")
    assert len(specs) == sum(good for _, good in rows)
    bad_lines = {i + 2 for i, (_, good) in enumerate(rows) if not good}
    assert {e.line for e in errors} == bad_lines
