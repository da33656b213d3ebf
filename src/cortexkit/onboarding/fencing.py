"""A running job's lease: the heartbeat that keeps it, and the step I/O that writes only while it holds.

A runner claims a job with a lease (`JobStore.claim`); the heartbeat renews it every third of its length
while the steps work (verify polling and a long Terraform apply included), so a live runner never looks
abandoned to another host. Every write a step makes carries the lease and is refused once another runner
took the job over; after the heartbeat saw the loss, the next write or cancel check stops the step before
its next side effect.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from cortexkit.onboarding.secrets import Secret
from cortexkit.onboarding.store import LEASE_SECONDS, JobStore, Lease, LeaseLostError

log = logging.getLogger(__name__)


class Heartbeat:
    """Renews `lease` in a daemon thread until stopped or until the lease is found lost."""

    def __init__(self, store: JobStore, lease: Lease, lease_seconds: float = LEASE_SECONDS) -> None:
        self.store = store
        self.lease = lease
        self.lease_seconds = lease_seconds
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{lease.job_id[:8]}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def check(self) -> Lease:
        """The lease, or `LeaseLostError` once the heartbeat found another runner holding the job."""
        if self.lost.is_set():
            raise LeaseLostError(self.lease)
        return self.lease

    def _beat(self) -> None:
        while not self._stop.wait(self.lease_seconds / 3):
            try:
                self.lease = self.store.renew(self.lease, self.lease_seconds)
            except LeaseLostError:
                log.warning("job %s: lease lost to another runner; stopping", self.lease.job_id)
                self.lost.set()
                return
            except Exception as exc:  # a database blip: the next beat tries again before the lease ends
                log.warning(
                    "job %s: lease renewal failed (%s); retrying", self.lease.job_id, type(exc).__name__
                )


class FencedIO:
    """The `JobIO` a step writes through: the store's calls, each carrying the runner's lease."""

    def __init__(self, store: JobStore, heartbeat: Heartbeat) -> None:
        self.store = store
        self.heartbeat = heartbeat
        self._secrets: dict[str, dict[str, Secret]] = {}

    def emit(self, job_id: str, type_: str, payload: Mapping[str, Any]) -> None:
        self.store.emit(job_id, type_, payload, lease=self.heartbeat.check())

    def checkpoint(self, job_id: str, name: str, output: Mapping[str, Any]) -> None:
        self.store.checkpoint(job_id, name, output, lease=self.heartbeat.check())

    def put_secret(self, job_id: str, name: str, secret: Secret | str) -> None:
        self._secrets.pop(job_id, None)
        self.store.put_secret(job_id, name, secret, lease=self.heartbeat.check())

    def get_secret(self, job_id: str, name: str) -> Secret | None:
        """The job's secrets are read and decrypted once per run (steps asked up to five times), all in
        one read, then kept in memory only, as `Secret` wrappers, until `forget_secrets`; while the lease
        holds, no other runner writes them, and a resumed run has a new `FencedIO` that reads them again."""
        if job_id not in self._secrets:
            self._secrets[job_id] = self.store.get_secrets(job_id)
        return self._secrets[job_id].get(name)

    def forget_secrets(self) -> None:
        """Drop the secrets read during the run (the runner calls it when the run ends)."""
        self._secrets.clear()

    def set_account_id(self, job_id: str, account_id: str) -> None:
        self.store.set_account_id(job_id, account_id, lease=self.heartbeat.check())

    def cancel_requested(self, job_id: str) -> bool:
        """Asked between steps and while polling: a lost lease stops the step here, too."""
        self.heartbeat.check()
        return self.store.cancel_requested(job_id)
