"""The three error body styles, and which one each path family gets."""

from __future__ import annotations

import json

import pytest

from cortexkit.emulator import errors


def test_redlock_error_is_empty_body_plus_header() -> None:
    response = errors.RedlockError(401, "invalid_credentials").response()
    assert response.status_code == 401
    assert response.body == b""
    assert json.loads(response.headers["x-redlock-status"]) == [
        {"i18nKey": "invalid_credentials", "severity": "error", "subject": None}
    ]


def test_redlock_error_with_several_keys_and_a_subject() -> None:
    response = errors.RedlockError(
        400, "missing_required_parameter", "bad_request", subject="name"
    ).response()
    statuses = json.loads(response.headers["x-redlock-status"])
    assert [s["i18nKey"] for s in statuses] == ["missing_required_parameter", "bad_request"]
    assert {s["subject"] for s in statuses} == {"name"}


def test_v2_error_body() -> None:
    response = errors.V2Error(400, "BadRequest", "timeRange is required", target="timeRange").response()
    assert json.loads(bytes(response.body)) == {
        "error": {
            "code": "BadRequest",
            "message": "timeRange is required",
            "target": "timeRange",
            "details": [],
        }
    }


def test_cas_error_body() -> None:
    response = errors.CasError(400, "duplicate_cloud_account", debug="already onboarded").response()
    body = json.loads(bytes(response.body))
    assert set(body) == {"status", "timestamp", "message", "debugMessage"}
    assert body["status"] == "400 BAD_REQUEST"
    assert body["message"] == "duplicate_cloud_account"
    assert body["timestamp"].endswith("Z")


def test_extra_headers_are_kept() -> None:
    response = errors.CasError(503, "busy", headers={"Retry-After": "1"}).response()
    assert response.headers["retry-after"] == "1"


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/cas/v1/azure_account", errors.CasError),
        ("/audit/api/v1/log", errors.V2Error),
        ("/cloud", errors.RedlockError),
        ("/login", errors.RedlockError),
        ("/v2/alert", errors.RedlockError),
        ("/compute/api/v1/images", errors.ComputeError),
    ],
)
def test_error_for_path_picks_the_routes_style(path: str, kind: type[errors.EmulatorError]) -> None:
    assert isinstance(errors.error_for_path(path, 429), kind)


def test_v2_codes_follow_the_status() -> None:
    error = errors.error_for_path("/audit/api/v1/log", 429)
    assert isinstance(error, errors.V2Error) and error.code == "TooManyRequests"
