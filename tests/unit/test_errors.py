"""errors.py: the exception tree, x-redlock-status, the three error body styles, secret-free messages."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cortexkit import errors
from cortexkit.errors import ErrorBody, StatusItem

INVALID_CREDS = '[{"i18nKey":"invalid_credentials","severity":"error","subject":null}]'


# --- x-redlock-status --------------------------------------------------------------------------------


def test_documented_header_shape() -> None:
    items = errors.parse_redlock_status(
        '[{"i18nKey":"duplicate_cloud_account","severity":"error","subject":"sub-1"},'
        '{"i18nKey":"invalid_account_group_ids","severity":"warning","subject":null}]'
    )
    assert items == [
        StatusItem("duplicate_cloud_account", "error", "sub-1"),
        StatusItem("invalid_account_group_ids", "warning", None),
    ]


@pytest.mark.parametrize(
    ("header", "keys"),
    [
        (None, []),
        ("", []),
        ("   ", []),
        ("invalid_credentials", ["invalid_credentials"]),  # a bare key, as some proxies forward it
        ('{"i18nKey":"not_found"}', ["not_found"]),  # one object instead of a list
        ('"token_expired"', ["token_expired"]),
        ('["permission_error", {"i18nKey": ""}, {"nope": 1}, 3]', ["permission_error"]),
        ("Internal Server Error", []),  # prose is not a key
        ("[{", []),
        (b'[{"i18nKey":"not_found"}]', ["not_found"]),
        ("[" * 5000 + "]" * 5000, []),  # absurd nesting
    ],
)
def test_tolerant_header_parsing(header: str | bytes | None, keys: list[str]) -> None:
    assert [item.i18n_key for item in errors.parse_redlock_status(header)] == keys


@given(st.text())
def test_header_parser_never_raises_on_text(header: str) -> None:
    items = errors.parse_redlock_status(header)
    assert all(isinstance(item, StatusItem) and item.i18n_key for item in items)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(_json_values)
def test_header_parser_never_raises_on_any_json(value: object) -> None:
    items = errors.parse_redlock_status(json.dumps(value))
    assert all(isinstance(item.i18n_key, str) for item in items)


@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "i18nKey": st.from_regex(r"[a-z_]{1,30}", fullmatch=True),
                "severity": st.sampled_from(["error", "warning", "info"]),
                "subject": st.none() | st.text(max_size=20),
            }
        ),
        max_size=5,
    )
)
def test_header_round_trip(entries: list[dict[str, str | None]]) -> None:
    items = errors.parse_redlock_status(json.dumps(entries))
    assert [(i.i18n_key, i.severity, i.subject) for i in items] == [
        (e["i18nKey"], e["severity"], e["subject"]) for e in entries
    ]


# --- bodies ------------------------------------------------------------------------------------------


def test_v2_body() -> None:
    body = (
        b'{"error":{"code":"BadArgument","message":"Previous passwords cannot be reused",'
        b'"target":"password","details":{}}}'
    )
    parsed = errors.parse_error_body(400, "application/json", body)
    assert parsed.style == "v2"
    assert (parsed.code, parsed.message, parsed.target, parsed.details) == (
        "BadArgument",
        "Previous passwords cannot be reused",
        "password",
        {},
    )


def test_cas_body() -> None:
    body = json.dumps(
        {"status": 403, "timestamp": 1700000000, "message": "Tenant License Expired", "debugMessage": "lic"}
    )
    parsed = errors.parse_error_body(403, "application/json", body)
    assert (parsed.style, parsed.code, parsed.message, parsed.debug_message) == (
        "cas",
        "403",
        "Tenant License Expired",
        "lic",
    )


@pytest.mark.parametrize(
    ("ctype", "body", "style"),
    [
        (None, None, "empty"),
        ("application/json", b"", "empty"),
        ("application/json", b"  \n", "empty"),
        ("text/html", b"<html><body>Sign in</body></html>", "html"),
        (None, b"<!DOCTYPE html><html></html>", "html"),
        ("text/plain", b"upstream connect error", "text"),
        ("application/json", b'{"message": "oops"}', "json"),
        ("application/json", b"[1, 2]", "json"),
        ("application/json", b"\xff\xfe not utf-8", "text"),
        ("application/json", b'{"error": "flat string"}', "json"),
    ],
)
def test_body_styles(ctype: str | None, body: bytes | None, style: str) -> None:
    assert errors.parse_error_body(500, ctype, body).style == style


@given(st.binary(max_size=300), st.sampled_from([None, "application/json", "text/html", "text/plain"]))
def test_body_parser_never_raises(body: bytes, ctype: str | None) -> None:
    assert isinstance(errors.parse_error_body(400, ctype, body), ErrorBody)


# --- error_from_response -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.BadRequestError),
        (401, errors.AuthenticationError),
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (405, errors.BadRequestError),
        (409, errors.ConflictError),
        (413, errors.BadRequestError),
        (429, errors.RateLimitError),
        (500, errors.ServerError),
        (503, errors.ServerError),
        (504, errors.ServerError),
    ],
)
def test_class_by_status(status: int, cls: type[errors.APIError]) -> None:
    exc = errors.error_from_response(status, {}, b"", "GET", "/cloud")
    assert type(exc) is cls
    assert isinstance(exc, errors.APIError) and isinstance(exc, errors.CortexkitError)
    assert exc.status == status


def test_legacy_401_carries_keys_request_id_and_a_hint() -> None:
    headers = {"x-redlock-status": INVALID_CREDS, "x-redlock-request-id": "req-42"}
    exc = errors.error_from_response(401, headers, b"", "POST", "/login")
    assert isinstance(exc, errors.AuthenticationError)
    assert exc.i18n_keys == ("invalid_credentials",)
    assert exc.request_id == "req-42"
    assert (exc.method, exc.path) == ("POST", "/login")
    text = str(exc)
    assert "POST /login failed with 401 [invalid_credentials]" in text
    assert "PRISMA_ACCESS_KEY_ID" in text and "req-42" in text
    assert "\n" not in text


def test_headers_are_matched_case_insensitively() -> None:
    headers = {"X-Redlock-Status": INVALID_CREDS, "X-Redlock-Request-Id": "r1", "Retry-After": "7"}
    exc = errors.error_from_response(429, headers, None, "GET", "/cloud")
    assert exc.i18n_keys == ("invalid_credentials",)
    assert exc.request_id == "r1"
    assert exc.retry_after == "7"


def test_v2_message_reaches_the_sentence() -> None:
    body = b'{"error":{"code":"BadRequest","message":"timeRange is required","target":"timeRange"}}'
    exc = errors.error_from_response(
        400, {"content-type": "application/json"}, body, "POST", "/audit/api/v1/log"
    )
    assert "timeRange is required" in str(exc) and "(timeRange)" in str(exc)
    assert exc.body.code == "BadRequest"


def test_html_answer_points_at_the_api_host() -> None:
    exc = errors.error_from_response(
        403, {"content-type": "text/html"}, b"<html>login</html>", "GET", "/cloud"
    )
    assert "api.*, not app.*" in str(exc)


def test_403_gives_a_permission_hint() -> None:
    exc = errors.error_from_response(403, {}, b"", "DELETE", "/cloud/azure/1")
    assert "permission" in str(exc) and "administrator" in str(exc)


def test_5xx_says_try_later() -> None:
    assert "try again later" in str(errors.error_from_response(502, {}, b"", "GET", "/cloud"))


def test_message_never_carries_what_was_sent() -> None:
    # The error is built from the response only; even a server echoing the request is not quoted in full.
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    exc = errors.error_from_response(
        400, {"x-redlock-auth": jwt}, b"", "POST", "/login"
    )  # a header the server should never send back
    assert jwt not in str(exc) and jwt not in repr(exc)
    assert "x-redlock-auth" not in repr(exc)


def test_repr_is_compact() -> None:
    exc = errors.error_from_response(404, {"x-redlock-status": '[{"i18nKey":"not_found"}]'}, b"", "GET", "/x")
    assert repr(exc) == (
        "NotFoundError(status=404, i18n_keys=['not_found'], method='GET', path='/x', request_id=None)"
    )


def test_raw_answer_kept_for_compatibility_layers() -> None:
    exc = errors.error_from_response(404, {"a": "b"}, "body text", "GET", "/x")
    assert exc.response_body == b"body text"
    assert exc.response_headers == {"a": "b"}


def test_long_bodies_are_cut() -> None:
    exc = errors.error_from_response(400, {}, json.dumps({"message": "x" * 5000}), "GET", "/x")
    assert len(str(exc)) < 500


def test_plain_errors_take_a_message() -> None:
    for cls in (
        errors.ConfigurationError,
        errors.CredentialsError,
        errors.APIConnectionError,
        errors.APITimeoutError,
        errors.OutcomeUnknownError,
        errors.UnexpectedResponseError,
    ):
        exc = cls("something happened")
        assert isinstance(exc, errors.CortexkitError)
        assert str(exc) == "something happened"
    assert issubclass(errors.APITimeoutError, errors.APIConnectionError)


@given(
    st.integers(min_value=400, max_value=599),
    st.dictionaries(
        st.sampled_from(
            ["x-redlock-status", "X-Redlock-Request-Id", "content-type", "retry-after", "x-other"]
        ),
        st.text(max_size=40) | st.just('[{"i18nKey": "two\\nlines"}]'),
    ),
    st.binary(max_size=200) | st.just(b'{"error": {"message": "a\\nb", "target": "c\\nd"}}'),
)
def test_error_from_response_always_gives_a_typed_one_line_error(
    status: int, headers: dict[str, str], body: bytes
) -> None:
    exc = errors.error_from_response(status, headers, body, "GET", "/cloud")
    assert isinstance(exc, errors.error_class(status))
    assert exc.status == status
    assert str(exc).startswith(f"GET /cloud failed with {status}")
    assert "\n" not in str(exc)


def _public_errors() -> list[type[errors.CortexkitError]]:
    found: list[type[errors.CortexkitError]] = []
    for name in errors.__all__:
        value = getattr(errors, name)
        if isinstance(value, type) and issubclass(value, errors.CortexkitError):
            found.append(value)
    return found


@pytest.mark.parametrize("cls", _public_errors(), ids=lambda c: c.__name__)
def test_every_public_error_pickles_with_its_attributes(cls: type[errors.CortexkitError]) -> None:
    """Issue 12 defect 13: APIError could not be unpickled (ProcessPoolExecutor, Celery results)."""
    import pickle

    if issubclass(cls, errors.APIError):
        original: errors.CortexkitError = errors.error_from_response(
            _status_of(cls),
            {"x-redlock-status": '[{"i18nKey":"bad_thing"}]', "x-redlock-request-id": "req-1"},
            b'{"message": "no"}',
            "POST",
            "/v2/alert",
            response=object(),  # the live httpx response is left out of the pickle
        )
        assert type(original) is cls or cls is errors.APIError
    elif issubclass(cls, errors.RequestError):
        original = cls("GET /cloud: refused", method="GET", path="/cloud")
    else:
        original = cls("something is wrong")
    copy = pickle.loads(pickle.dumps(original))
    assert type(copy) is type(original)
    assert str(copy) == str(original)
    state = {k: v for k, v in vars(original).items() if k != "response"}
    assert {k: v for k, v in vars(copy).items() if k != "response"} == state
    if isinstance(copy, errors.APIError):
        assert isinstance(original, errors.APIError)
        assert copy.response is None and copy.status_code == original.status


def _status_of(cls: type[errors.APIError]) -> int:
    for status in (400, 401, 403, 404, 409, 429, 500):
        if errors.error_class(status) is cls:
            return status
    return 418
