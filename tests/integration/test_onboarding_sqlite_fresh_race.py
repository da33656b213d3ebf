"""Processes opening one brand-new SQLite store at the same instant (a `cortexkit ui` and a CLI bulk started
together): every one opens it, creates its job and reads it back.

Before the fix, `PRAGMA journal_mode=WAL` ran before `PRAGMA busy_timeout`, and switching a new file to
WAL answers SQLITE_BUSY at once (no busy wait) when another opener holds a lock: "database is locked" in
1 run of 4 of an outage test, and here in 5 of 120 rounds of 12 processes (12 of 1,440 opens).
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cortexkit.cli.main import app
from cortexkit.onboarding.store import SCHEMA_VERSION, JobStore
from cortexkit.onboarding.store import engine as store_engine
from cortexkit.onboarding.store.engine import StoreLockedError
from cortexkit.onboarding.store_keys import local_key_file
from tests.trials import trial_counts

pytestmark = pytest.mark.xdist_group("sqlite-fresh-race")  # 12 processes: keep them off a busy worker

PROCESSES = 12

# One process per racer for every round (starting Python costs ~1 CPU-s on this machine). Each round:
# "ready", then a block reading that round's gate pipe; the parent closes the pipe's write end, so every
# racer's read returns at the same instant and all open the round's brand-new store together.
RACER = """
import json, os, sys
from pathlib import Path
from cortexkit.onboarding.model import JobSpec
from cortexkit.onboarding.store import JobStore
base, gates, name = Path(sys.argv[1]), [int(fd) for fd in sys.argv[2].split(",")], sys.argv[3]
spec = JobSpec(
    name=name,
    subscription_id="11111111-2222-3333-4444-555555555555",
    tenant_id="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
    client_id="99999999-8888-7777-6666-555555555555",
    service_principal_id="12345678-1234-1234-1234-123456789012",
)
for round_, gate in enumerate(gates):
    print("ready", flush=True)
    os.read(gate, 1)
    data_dir = base / f"round-{round_}" / "store"
    try:
        store = JobStore(f"sqlite:///{data_dir / 'jobs.db'}", data_dir=data_dir)
        job = store.create_job(spec, secret="s3cret-" + name)
        secret = store.get_secret(job, "client_secret")
        answer = {"name": store.require_job(job).spec.name,
                  "secret_ok": secret is not None and secret.reveal() == "s3cret-" + name}
        store.close()
    except Exception as exc:
        answer = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"}
    print(json.dumps(answer), flush=True)
"""


@contextmanager
def _opener_mid_switch(db: Path, seconds: float | None) -> Iterator[None]:
    """Another opener of the brand-new file `db` in the middle of its own switch to WAL: a connection
    holding the write lock on the still rollback-journal file (released after `seconds`; None: held
    until the block ends). SQLite in this process stands in for the other process: it keeps its locks
    between connections of one process just as between processes."""
    db.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.close(os.open(db, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(seconds, other.rollback) if seconds is not None else None
    if timer is not None:
        timer.start()
    try:
        yield
    finally:
        if timer is not None:
            timer.join()
        else:
            other.rollback()
        other.close()


def test_opening_a_new_store_waits_for_another_opener_switching_it_to_wal(tmp_path: Path) -> None:
    """Failed at once with "database is locked" before the fix: the WAL switch is not covered by the busy
    timeout, so a process that met another one mid-switch gave up instead of waiting its turn."""
    db = tmp_path / "store" / "jobs.db"
    with _opener_mid_switch(db, seconds=0.5):
        store = JobStore(f"sqlite:///{db}", data_dir=db.parent)
    try:
        assert store.schema_version == SCHEMA_VERSION
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        store.close()


def test_a_store_locked_longer_than_the_switch_budget_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No endless wait and no "database is locked" traceback: one sentence naming the file and what to
    do, exit 1 from the CLI."""
    monkeypatch.setattr(store_engine, "WAL_SWITCH_SECONDS", 0.3)
    db = tmp_path / "store" / "jobs.db"
    with _opener_mid_switch(db, seconds=None):
        with pytest.raises(StoreLockedError) as caught:
            JobStore(f"sqlite:///{db}", data_dir=db.parent)
        result = CliRunner().invoke(app, ["onboard", "list", "--data-dir", str(db.parent)])
    message = str(caught.value)
    assert (
        str(db) in message and "locked by other processes" in message and "run the command again" in message
    )
    assert result.exit_code == 1, result.output
    assert str(db) in result.stderr and "Traceback" not in result.output + result.stderr


@trial_counts(quick=50, full=500)
def test_threads_creating_a_new_key_file_together_all_get_the_one_key(tmp_path: Path, trials: int) -> None:
    """The key file was created empty, then written: a racer that found it in between read "holds no key"
    (69 of 200 rounds of 16 threads). Now it is written aside and linked into place."""
    failed = 0
    for trial in range(trials):
        path = tmp_path / f"trial-{trial}" / "jobs.key"
        barrier = threading.Barrier(16)
        got: list[object] = []

        def create(path: Path = path, barrier: threading.Barrier = barrier, got: list[object] = got) -> None:
            barrier.wait()
            try:
                got.append(local_key_file(path).keys)
            except Exception as exc:  # counted as the race lost
                got.append(exc)

        threads = [threading.Thread(target=create) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if len({repr(g) for g in got}) != 1 or not isinstance(got[0], tuple):
            failed += 1
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert [p.name for p in path.parent.iterdir()] == ["jobs.key"]  # no staged file left behind
    assert failed == 0, f"{failed} of {trials} rounds did not all get the one key"


def test_a_key_file_is_still_created_where_hard_links_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fake of a file system without hard links (os.link refused): the key file is created in place."""

    def no_links(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    path = tmp_path / "store" / "jobs.key"
    first = local_key_file(path)
    assert local_key_file(path).keys == first.keys
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["jobs.key"]


def _check_store(data_dir: Path) -> None:
    """The store all racers of a round shared: one schema, every job, WAL, private modes."""
    db = data_dir / "jobs.db"
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        assert conn.execute("SELECT count(*) FROM jobs").fetchone()[0] == PROCESSES
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    for path in (db, data_dir / "jobs.key"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


@trial_counts(quick=20, full=300)
def test_processes_opening_a_brand_new_sqlite_store_together_all_succeed(tmp_path: Path, trials: int) -> None:
    """`trials` rounds of PROCESSES racers on a fresh file each (300 rounds, 3,600 opens under --soak)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORTEXKIT_STORE")}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"  # the key goes to jobs.key
    gates = [os.pipe() for _ in range(trials)]
    try:
        racers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    RACER,
                    str(tmp_path),
                    ",".join(str(r) for r, _ in gates),
                    f"racer-{i}",
                ],
                stdout=subprocess.PIPE,
                text=True,
                env=env,
                pass_fds=[r for r, _ in gates],
            )
            for i in range(PROCESSES)
        ]
    finally:
        for read_end, _ in gates:
            os.close(read_end)
    unreleased = [w for _, w in gates]
    failed: dict[int, list[str]] = {}
    try:
        for round_ in range(trials):
            assert all(r.stdout is not None and r.stdout.readline().strip() == "ready" for r in racers)
            os.close(unreleased.pop(0))
            answers = [json.loads(r.stdout.readline()) for r in racers if r.stdout is not None]
            if errors := [a["error"] for a in answers if "error" in a]:
                failed[round_] = errors
                continue
            assert sorted(a["name"] for a in answers) == sorted(f"racer-{i}" for i in range(PROCESSES))
            assert all(a["secret_ok"] for a in answers)
            _check_store(tmp_path / f"round-{round_}" / "store")
    finally:
        for release in unreleased:  # only after a failed assertion: stop the racers, not wait for them
            os.close(release)
        for racer in racers:
            if unreleased:
                racer.kill()
            racer.wait(timeout=60)
    opens = sum(len(e) for e in failed.values())
    assert failed == {}, (
        f"{len(failed)} of {trials} rounds failed ({opens} opens): {list(failed.items())[:3]}"
    )
