"""`public_api/v1/compliance/*`: standards, controls and assessment results (Go SDK `compliance/`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from cortexkit.cortex.models import AssessmentResult, Control, Standard
from cortexkit.cortex.paging import CortexPager
from cortexkit.cortex.resources._base import AsyncCortexResource, CortexResource, Paged

BASE = "/public_api/v1/compliance"


def _body(filters: Sequence[Mapping[str, Any]] | None) -> dict[str, Any]:
    return {"filters": [dict(f) for f in filters or ()]}


def standards_pager(filters: Sequence[Mapping[str, Any]] | None = None) -> Paged[Standard]:
    return Paged(CortexPager(f"{BASE}/get_standards", _body(filters)), Standard)


def controls_pager(filters: Sequence[Mapping[str, Any]] | None = None) -> Paged[Control]:
    return Paged(CortexPager(f"{BASE}/get_controls", _body(filters)), Control)


def results_pager(filters: Sequence[Mapping[str, Any]] | None = None) -> Paged[AssessmentResult]:
    return Paged(CortexPager(f"{BASE}/get_assessment_results", _body(filters)), AssessmentResult)


class Compliance(CortexResource):
    def standards(self, filters: Sequence[Mapping[str, Any]] | None = None) -> Iterator[Standard]:
        return self._iter(standards_pager(filters))

    def controls(self, filters: Sequence[Mapping[str, Any]] | None = None) -> Iterator[Control]:
        return self._iter(controls_pager(filters))

    def assessment_results(
        self, filters: Sequence[Mapping[str, Any]] | None = None
    ) -> Iterator[AssessmentResult]:
        return self._iter(results_pager(filters))


class AsyncCompliance(AsyncCortexResource):
    def standards(self, filters: Sequence[Mapping[str, Any]] | None = None) -> AsyncIterator[Standard]:
        return self._iter(standards_pager(filters))

    def controls(self, filters: Sequence[Mapping[str, Any]] | None = None) -> AsyncIterator[Control]:
        return self._iter(controls_pager(filters))

    def assessment_results(
        self, filters: Sequence[Mapping[str, Any]] | None = None
    ) -> AsyncIterator[AssessmentResult]:
        return self._iter(results_pager(filters))
