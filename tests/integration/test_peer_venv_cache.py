"""The peer venv cache (tests/integration/peer_support.py): two xdist workers asking for the same venv at
once build it once, and a later run reuses it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.integration.peer_support import MARKER, peer_venv, venv_dir

ROOT = Path(__file__).resolve().parents[2]
# `pip install pip` is satisfied by the pip every new venv has: no registry needed.
ASKER = """
import subprocess, sys
from pathlib import Path
from tests.integration import peer_support
builds = []
real_run = subprocess.run
def counting_run(args, *a, **k):
    if "venv" in args:
        builds.append(args)
    return real_run(args, *a, **k)
peer_support.subprocess.run = counting_run
print("ready", flush=True)
sys.stdin.readline()
python = peer_support.peer_venv("probe", ["pip"], root=Path(sys.argv[1]))
print(python, len(builds), flush=True)
"""


def test_two_processes_asking_at_once_build_the_venv_once_and_later_runs_reuse_it(tmp_path: Path) -> None:
    askers = [
        subprocess.Popen(
            [sys.executable, "-c", ASKER, str(tmp_path)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for asker in askers:
        assert asker.stdout is not None and asker.stdout.readline().strip() == "ready"
    for asker in askers:
        assert asker.stdin is not None
        asker.stdin.write("go\n")
        asker.stdin.flush()
    answers = []
    for asker in askers:
        out, err = asker.communicate(timeout=300)
        assert asker.returncode == 0, err
        answers.append(out.split())
    pythons = {python for python, _ in answers}
    assert pythons == {str(venv_dir("probe", ["pip"], tmp_path) / "bin" / "python")}
    assert sorted(int(builds) for _, builds in answers) == [0, 1]
    python = pythons.pop()
    assert subprocess.run([python, "-c", "import pip"], check=False).returncode == 0
    marker = Path(python).parents[1] / MARKER
    built = marker.stat().st_mtime_ns
    assert str(peer_venv("probe", ["pip"], root=tmp_path)) == python  # a later run: reused as it is
    assert marker.stat().st_mtime_ns == built


def test_the_venv_is_keyed_by_the_pins_and_the_python(tmp_path: Path) -> None:
    one = venv_dir("peer", ["a==1", "b==2"], tmp_path)
    assert venv_dir("peer", ["b==2", "a==1"], tmp_path) == one
    assert venv_dir("peer", ["a==1", "b==3"], tmp_path) != one
    assert f"py{sys.version_info.major}.{sys.version_info.minor}" in one.name
