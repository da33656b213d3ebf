"""Pure pieces of the web layer: token helpers, view models, form parsing, CSV preview, error sentences.

No server, no network, no sleeping (kept beside the other web tests because the web helper owns them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import anyio
import pytest
from starlette.datastructures import FormData

from cortexkit.onboarding.bulk import read_rows
from cortexkit.onboarding.records import JobRecord
from cortexkit.onboarding.states import JobState
from cortexkit.onboarding.store import JobStore
from cortexkit.web import security, sse
from cortexkit.web.errors import GENERIC, explain
from cortexkit.web.routes.onboard import build_preview, form_to_data
from cortexkit.web.views import end_text, event_json, format_duration, scrub, to_epoch
from tests.integration.web_support import finish, running_job


def test_tokens_compare_in_constant_time_and_refuse_empty() -> None:
    token = security.new_session_token()
    assert len(token) >= 43
    assert security.tokens_equal(token, token)
    assert not security.tokens_equal(token, None)
    assert not security.tokens_equal(token, "")
    assert not security.tokens_equal(token, token + "x")


def test_csrf_token_is_bound_to_the_session() -> None:
    a, b = security.new_session_token(), security.new_session_token()
    assert security.csrf_valid(a, security.csrf_token(a))
    assert not security.csrf_valid(b, security.csrf_token(a))
    assert a not in security.csrf_token(a)


@pytest.mark.parametrize(
    ("host", "bind", "allowed"),
    [
        ("127.0.0.1:8765", "127.0.0.1", True),
        ("localhost:8765", "127.0.0.1", True),
        ("[::1]:8765", "::1", True),
        ("attacker.example:8765", "127.0.0.1", False),
        ("10.0.0.5:8765", "127.0.0.1", False),
        (None, "127.0.0.1", False),
        ("10.0.0.5:8765", "0.0.0.0", True),
    ],
)
def test_host_check_blocks_dns_rebinding_on_loopback(host: str | None, bind: str, allowed: bool) -> None:
    assert security.host_allowed(host, bind) is allowed


def test_last_event_id_header_wins_and_junk_means_start() -> None:
    assert sse.parse_last_event_id("12", "3") == 12
    assert sse.parse_last_event_id(None, "3") == 3
    assert sse.parse_last_event_id("abc", None) == 0
    assert sse.parse_last_event_id("-4", None) == 0


def test_tail_drains_everything_then_ends_when_the_job_comes_to_rest(tmp_path: Path, store_url: str) -> None:
    store = JobStore(store_url, data_dir=tmp_path)
    job = running_job(store)
    for i in range(7):
        store.emit(job, "output", {"line": f"l{i}"})
    ids = [e.id for e in store.events_after(job, 0)]
    reads: list[int] = []

    def record() -> JobRecord | None:
        reads.append(1)
        if len(reads) == 2:  # the job comes to rest between two polls
            finish(store, job, JobState.WAITING, "apply the Terraform folder, then resume")
        return store.get_job(job)

    async def collect() -> list[sse.Frame]:
        frames = []
        async for frame in sse.tail(store, job, ids[1], job=record, poll_interval=0, batch=3):
            frames.append(frame)
        return frames

    frames = anyio.run(collect)
    delivered = [f.event.id for f in frames if f.event]
    assert delivered == [e.id for e in store.events_after(job, ids[1])], "every event, the state's too"
    assert delivered[: len(ids) - 2] == ids[2:]
    assert frames[-1].end_state is JobState.WAITING, "a job waiting for the user ends the stream too"
    store.close()


def test_scrub_hides_secret_looking_keys_at_any_depth() -> None:
    data = {"client_secret": "s", "nested": [{"x-redlock-auth": "jwt", "ok": 1}], "password": "p"}
    assert scrub(data) == {
        "client_secret": "••••",
        "nested": [{"x-redlock-auth": "••••", "ok": 1}],
        "password": "••••",
    }


def test_streamed_events_are_the_engines_events_with_scrubbed_payloads(
    tmp_path: Path, store_url: str
) -> None:
    store = JobStore(store_url, data_dir=tmp_path)
    job = running_job(store)
    store.emit(job, "output", {"line": "a", "nested": {"secret": "x"}})
    event = store.events_after(job, 0)[-1]
    data = event_json(event)
    assert (data["id"], data["job_id"], data["type"]) == (event.id, job, "output")
    assert data["payload"] == {"line": "a", "nested": {"secret": "••••"}}
    store.close()


@pytest.mark.parametrize("state", list(JobState))
def test_every_engine_state_has_a_sentence_once_at_rest(state: JobState) -> None:
    if state.at_rest:
        assert end_text(state) != f"Finished: {state}.", state


def test_times_and_durations_in_every_shape() -> None:
    dt = datetime(2026, 1, 1, tzinfo=UTC)
    assert to_epoch(dt) == dt.timestamp() == to_epoch(dt.isoformat()) == to_epoch(int(dt.timestamp() * 1000))
    assert to_epoch("not a date") is None
    assert format_duration(125) == "2 min 05 s"


def test_form_to_data_keeps_lists_booleans_and_drops_blanks_and_the_secret() -> None:
    form = FormData(
        [
            ("account_type", "account"),
            ("name", " Prod "),
            ("subscription_id", ""),
            ("features", "Remediation"),
            ("features", "Auto Protect"),
            ("monitor_flow_logs", "on"),
            ("client_secret", "hunter2"),
            ("root_sync_enabled", "on"),
        ]
    )
    data = form_to_data(form)
    assert data == {
        "account_type": "account",
        "name": "Prod",
        "features": ["Remediation", "Auto Protect"],
        "monitor_flow_logs": True,
    }


def test_tenant_forms_drop_the_subscription_and_keep_root_sync() -> None:
    data = form_to_data({"account_type": "tenant", "subscription_id": "x", "root_sync_enabled": True})
    assert "subscription_id" not in data and data["root_sync_enabled"] is True


def test_preview_counts_every_row_but_keeps_only_the_first_of_each_kind() -> None:
    good = "11111111-2222-4333-8444-555555555555"
    lines = ["name,tenant_id,client_id,service_principal_id,subscription_id"]
    lines += [f"ok {i},{good},{good},{good},{str(i).zfill(8)}-2222-4333-8444-555555555555" for i in range(5)]
    lines += ["bad"] * 7
    preview = build_preview(read_rows("\n".join(lines) + "\n"), max_problem_rows=3, max_ok_rows=2)
    assert (preview.valid, preview.problems, preview.hidden) == (5, 7, 3 + 4)
    assert [r["line"] for r in preview.rows] == [2, 3, 7, 8, 9]
    assert preview.rows[0]["values"]["subscription_id"] == lines[1][-36:]
    assert preview.rows[2]["problems"] and all(": " in p for p in preview.rows[2]["problems"])


def test_errors_become_sentences_by_class_name() -> None:
    class RateLimitError(Exception):
        pass

    class Unknown(Exception):
        pass

    info = explain(RateLimitError("429 after 5 tries"))
    assert info.status == 429 and "Wait a minute" in info.action and "429 after 5 tries" in info.message
    assert explain(Unknown("internal detail")) == GENERIC


def test_pages_share_one_client_per_profile_and_close_them() -> None:
    from cortexkit.web.backend import SharedClients

    made: list[SimpleNamespace] = []

    def factory(profile: object = None) -> SimpleNamespace:
        client = SimpleNamespace(profile=profile, closed=False)
        client.close = lambda: setattr(client, "closed", True)
        made.append(client)
        return client

    shared = SharedClients(factory)
    with shared("a") as first, shared("a") as again, shared(SimpleNamespace(profile="b")) as other:
        assert first is again and other is not first
    assert len(made) == 2 and not any(c.closed for c in made)
    shared.close()
    assert all(c.closed for c in made)
