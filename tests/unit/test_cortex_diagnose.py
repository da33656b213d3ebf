"""`auth status`'s verdicts from what the probes saw (pure): each cause told apart, each with its fix."""

from __future__ import annotations

import pytest

from cortexkit.cortex.diagnose import SKEW_SUSPECT, Observation, skew_from, verdict


@pytest.mark.parametrize(
    ("obs", "problem", "code", "fix_has"),
    [
        (Observation("advanced", None), None, 0, None),
        (Observation("advanced", 401, other_type_tried=True), "wrong_key_type", 4, "=standard"),
        (Observation("standard", 401, other_type_tried=True), "wrong_key_type", 4, "=advanced"),
        (Observation("advanced", 401, 401, True, skew=-900.0), "clock_skew", 4, "timedatectl"),
        (Observation("advanced", 401, 401, True, skew=5.0), "bad_key", 4, "CORTEXCLOUD_API_KEY_ID"),
        (Observation("standard", 401, 401, True, skew=900.0), "bad_key", 4, "CORTEXCLOUD_API_KEY_ID"),
        (Observation("advanced", 402), "licence", 4, "license"),
        (Observation("advanced", None, read_status=402), "licence", 4, "license"),
        (Observation("advanced", None, read_status=403), "role", 4, "role"),
        (Observation("advanced", 404), "wrong_url", 4, "Copy API URL"),
        (Observation("advanced", None, html=True), "wrong_url", 4, "api-<tenant fqdn>"),
        (Observation("advanced", 0), "unreachable", 1, "proxy"),
        (Observation("advanced", 503), "server", 1, "later"),
    ],
)
def test_verdicts(obs: Observation, problem: str | None, code: int, fix_has: str | None) -> None:
    found = verdict(obs)
    assert (found.problem, found.exit_code, found.ok) == (problem, code, problem is None)
    if fix_has is not None:
        assert found.fix is not None and fix_has in found.fix


def test_a_wrong_key_type_wins_over_a_skewed_clock() -> None:
    # The other type worked, so the clock was not the reason (a standard key is not time-signed).
    assert verdict(Observation("standard", 401, None, True, skew=900.0)).problem == "wrong_key_type"


def test_skew_is_measured_against_the_servers_date_header() -> None:
    assert skew_from("Mon, 07 Dec 2026 12:00:00 GMT", 1_796_644_830.0) == pytest.approx(30.0)
    assert skew_from(None, 1.0) is None and skew_from("not a date", 1.0) is None


def test_the_skew_line_is_a_minute_either_way() -> None:
    def problem(skew: float) -> str | None:
        return verdict(Observation("advanced", 401, 401, True, skew=skew)).problem

    assert problem(SKEW_SUSPECT - 1) == problem(-(SKEW_SUSPECT - 1)) == "bad_key"
    assert problem(SKEW_SUSPECT) == problem(-SKEW_SUSPECT) == "clock_skew"
