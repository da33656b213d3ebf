"""`python -m bench [--quick] [--workloads a,b]`: runs the workloads, writes the results and the report.

Exits 1 when cortexkit regressed against bench/baseline.json, so `make bench` fails on it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import traceback
from pathlib import Path
from typing import Any

from bench import regression
from bench.environment import load_average, machine, versions
from bench.model import BenchResult, WorkloadResult
from bench.orchestrate import load_spec, run_workload
from bench.peers import PEERS, PeerEnv, ensure_peers
from bench.report import render
from bench.workloads import ORDER

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
BASELINE = HERE / "baseline.json"
DOCS = HERE.parent / "docs" / "BENCHMARKS.md"

log = logging.getLogger("bench")


def _args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="small sizes; finishes in under 3 minutes")
    p.add_argument(
        "--workloads", default=",".join(ORDER), help=f"comma-separated subset of {','.join(ORDER)}"
    )
    p.add_argument(
        "--baseline-from-last",
        action="store_true",
        help="store the last results of this mode as bench/baseline.json without running anything",
    )
    p.add_argument(
        "--render-only",
        action="store_true",
        help="rewrite docs/BENCHMARKS.md from bench/results/latest.json without running anything",
    )
    p.add_argument("--no-peers", action="store_true", help="run cortexkit and the baselines only")
    p.add_argument(
        "--update-baseline",
        action="store_true",
        help="store this run's ratios in bench/baseline.json (only the workloads that ran)",
    )
    return p.parse_args(argv)


def _results_path(quick: bool) -> Path:
    # Quick runs are CI-like checks: they never overwrite the committed full figures, and their file
    # matches the git-ignored bench/results/*.tmp so a quick run leaves the tree clean.
    return RESULTS / ("quick.json.tmp" if quick else "latest.json")


def _merge(previous: Path, result: BenchResult) -> None:
    """A run of some workloads keeps the other workloads' figures from the previous run of that mode."""
    if not previous.exists():
        return
    try:
        old = BenchResult.from_json(json.loads(previous.read_text()))
    except (ValueError, TypeError, KeyError):
        return
    if old.mode != result.mode:
        return
    # The page must say every command that produced a figure on it.
    result.commands = [*old.commands, *(c for c in result.commands if c not in old.commands)]
    fresh = {w.name for w in result.workloads}
    kept = [w for w in old.workloads if w.name not in fresh]
    result.workloads = sorted(
        [*kept, *result.workloads], key=lambda w: ORDER.index(w.name) if w.name in ORDER else 99
    )


def _new_baselines(result: BenchResult, baselines: dict[str, Any], ran: list[str]) -> dict[str, Any]:
    """`--update-baseline`: only the workloads that ran get a new reference; the others' figures on
    `result` are the previous run's, merged in by `_merge`, and their baselines stay as they were."""
    return regression.updated_baselines(result, baselines, None if set(ran) >= set(ORDER) else ran)


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    args = _args(argv)
    names = [n.strip() for n in args.workloads.split(",") if n.strip()]
    unknown = [n for n in names if n not in ORDER]
    if unknown:
        log.error("unknown workloads: %s", ", ".join(unknown))
        return 2
    baselines: dict[str, Any] = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    if args.render_only:
        DOCS.write_text(render(BenchResult.from_json(json.loads(_results_path(False).read_text()))))
        log.info("wrote %s", DOCS)
        return 0
    if args.baseline_from_last:
        last = BenchResult.from_json(json.loads(_results_path(args.quick).read_text()))
        BASELINE.write_text(json.dumps(regression.updated_baselines(last, baselines), indent=2) + "\n")
        log.info("baseline for %s mode taken from %s", last.mode, _results_path(args.quick))
        return 0
    if args.no_peers:
        peers = {p.name: PeerEnv(p, None, "--no-peers given") for p in PEERS}
    else:
        log.info("preparing peer venvs under bench/.peers-venv/ ...")
        peers = ensure_peers(log=RESULTS / "peers-install.log.tmp")
    result = BenchResult(
        generated_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        mode="quick" if args.quick else "full",
        machine=machine(),
        versions=versions(peers),
        commands=["make bench" + (" QUICK=1" if args.quick else ""), "python -m bench " + " ".join(argv)],
    )
    for name in names:
        spec = load_spec(name)
        try:
            result.workloads.append(run_workload(spec, args.quick, peers))
        except Exception as exc:  # a broken workload is reported, the others still run
            log.error("workload %s failed:\n%s", name, traceback.format_exc())
            result.workloads.append(
                WorkloadResult(
                    name=name,
                    title=spec.title,
                    goal=spec.goal,
                    params={},
                    floor_s=None,
                    floor_note="",
                    ratio_note="",
                    note=f"Not measured in this run: {type(exc).__name__}: {exc}",
                )
            )
    result.machine["load average at end (1/5/15 min)"] = load_average()
    out = _results_path(args.quick)
    _merge(out, result)
    result.regression = regression.evaluate(result, baselines)
    RESULTS.mkdir(exist_ok=True)
    out.write_text(json.dumps(result.to_json(), indent=2) + "\n")
    log.info("wrote %s", out)
    if not args.quick:
        DOCS.write_text(render(result))
        log.info("wrote %s", DOCS)
    if args.update_baseline:
        BASELINE.write_text(json.dumps(_new_baselines(result, baselines, names), indent=2) + "\n")
        log.info("updated %s", BASELINE)
    for v in result.regression["verdicts"]:
        log.info("regression %s: %s (%s)", v["workload"], "ok" if v["passed"] else "REGRESSED", v["detail"])
    return 0 if result.regression["passed"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
