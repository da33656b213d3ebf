"""The wait-for-Cortex verdict: pending, retrieving, connected or needs attention (reference §3.5)."""

from __future__ import annotations

from typing import Any

from cortexkit.cortex.models import InstanceDetails
from cortexkit.cortex.progress import progress


def details(*codes: Any, status: str = "ENABLED") -> InstanceDetails:
    caps = [{"name": f"CAP{i}", "description": f"Capability {i}", "status": c} for i, c in enumerate(codes)]
    return InstanceDetails.model_validate({"id": "a" * 32, "status": status, "security_capabilities": caps})


def test_pending_until_the_template_ran() -> None:
    assert progress(None).state == "pending"
    assert progress(details(0, 0), "PENDING").state == "pending"
    assert not progress(details(0), "pending").done


def test_retrieving_while_any_capability_is_at_4_even_beside_an_error() -> None:
    found = progress(details(0, 4, 3), "CONNECTED")
    assert found.state == "retrieving" and found.retrieving == ("Capability 1",) and not found.done
    assert "still retrieving: Capability 1" in found.message()


def test_connected_when_every_capability_is_connected_or_disabled() -> None:
    found = progress(details(0, 2, 0), "CONNECTED")
    assert found.state == "connected" and found.done and not found.problems


def test_warning_error_and_unknown_codes_need_the_user_with_what_failed() -> None:
    found = progress(details(0, 1, 3, 9), "CONNECTED")
    assert found.state == "needs_attention" and found.done
    assert [p.name for p in found.problems] == ["CAP1", "CAP2", "CAP3"]
    text = found.message()
    assert (
        "Capability 1 is Warning" in text and "Capability 2 is Error" in text and "unknown state (9)" in text
    )


def test_an_instance_in_error_needs_the_user_even_with_clean_capabilities() -> None:
    found = progress(details(0, 0, status="ERROR"))
    assert found.state == "needs_attention" and found.message().startswith(
        "needs attention: the instance is ERROR"
    )
