"""Packaging: the core install is the client library; a command whose extra is missing says which to install.

The "missing extra" runs start the real entry point in a subprocess whose import system refuses the
extra's modules (a meta-path blocker), exactly what a user without that extra sees.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from cortexkit.cli import extras

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "cortexkit"

# The core dependencies by import name, and the modules that make up the client library.
CORE_IMPORTS = {"httpx", "pydantic", "yaml", "platformdirs", "keyring", "anyio", "httpcore"}
CORE_MODULES = [
    "__init__.py",
    "client.py",
    "auth.py",
    "retry.py",
    "ratelimit.py",
    "pagination.py",
    "errors.py",
    "_http.py",
    "_redact.py",
    "regions.py",
    "limits.py",
    "session_loader.py",
]

BLOCKER = textwrap.dedent(
    """
    import sys

    BLOCKED = set(sys.argv[1].split(","))


    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None


    sys.meta_path.insert(0, Blocker())
    sys.argv = ["cortexkit", *sys.argv[2:]]
    from cortexkit.cli import run

    run()
    """
)

EVERY_OPTIONAL = sorted(extras.MODULE_EXTRAS.keys() - {"typer", "click", "rich", "jmespath"})


def _run_without(blocked: list[str], *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    # Credentials for a port nothing listens on: a command that checks its extra first never connects.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NO_COLOR": "1", "COLUMNS": "200"}
    env |= {"CORTEXKIT_CONFIG_DIR": str(tmp_path / "config"), "PRISMA_API_URL": "http://127.0.0.1:9"}
    env |= {"PRISMA_ACCESS_KEY_ID": "id", "PRISMA_SECRET_KEY": "not-a-real-key"}
    return subprocess.run(
        [sys.executable, "-c", BLOCKER, ",".join(blocked), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=env,
        check=False,
    )


def _third_party_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in {"cortexkit", "__future__"}}


def _pyproject() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]  # type: ignore[no-any-return]


# --- the mapping --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "group", "expected"),
    [
        ("fastapi", "ui", ("ui",)),
        ("fastapi", "emulator", ("emulator",)),
        ("fastapi.sse", "demo", ("ui", "emulator")),
        ("uvicorn.protocols.http", None, ("ui",)),
        ("sqlalchemy", "onboard", ("onboarding",)),
        ("sqlalchemy", "ui", ("ui",)),
        ("jinja2", "alerts", ("report",)),
        ("jinja2", "ui", ("ui",)),
        ("typer", None, ("cli",)),
        ("typer", "ui", ("cli", "ui")),
        ("typer", "demo", ("cli", "ui", "emulator")),
        ("psycopg", "onboard", ("postgres",)),
        ("redis", None, ("governor",)),
        ("no_such_package", "ui", ()),
    ],
)
def test_a_missing_module_maps_to_the_extra_the_command_needs(
    module: str, group: str | None, expected: tuple[str, ...]
) -> None:
    assert extras.extras_for(module, group) == expected


def test_the_message_is_one_sentence_naming_the_extra() -> None:
    try:
        raise RuntimeError("wrapped") from ModuleNotFoundError("No module named 'fastapi'", name="fastapi")
    except RuntimeError as exc:
        message = extras.missing_extra_message(exc, "ui")
    assert message == (
        "`cortexkit ui` needs the optional ui extra (fastapi is not installed): "
        "run pip install 'cortexkit[ui]'."
    )
    assert extras.missing_extra_message(ValueError("x"), "ui") is None
    assert extras.missing_extra_message(ModuleNotFoundError("x", name="notours"), "ui") is None


def test_every_extra_named_by_the_cli_exists_in_pyproject() -> None:
    declared = set(_pyproject()["optional-dependencies"])  # type: ignore[arg-type]
    named = {e for names in extras.MODULE_EXTRAS.values() for e in names}
    named |= {e for names in extras.GROUP_EXTRAS.values() for e in names}
    assert named <= declared
    assert {"cli", "onboarding", "ui", "emulator", "report", "postgres", "governor", "all", "dev"} <= declared


def test_every_third_party_import_is_core_or_mapped_to_an_extra() -> None:
    unmapped = {
        f"{path.relative_to(SRC)}: {name}"
        for path in SRC.rglob("*.py")
        for name in _third_party_imports(path)
        if name not in CORE_IMPORTS and name not in extras.MODULE_EXTRAS
    }
    assert not unmapped, unmapped


def test_the_client_library_imports_only_core_dependencies() -> None:
    paths = [SRC / name for name in CORE_MODULES]
    paths += sorted((SRC / "resources").glob("*.py")) + sorted(SRC.glob("credentials*.py"))
    paths += sorted((SRC / "credentials").rglob("*.py")) if (SRC / "credentials").is_dir() else []
    outside = {f"{p.relative_to(SRC)}: {n}" for p in paths for n in _third_party_imports(p) - CORE_IMPORTS}
    assert not outside, outside


def test_core_dependencies_are_the_client_library_only() -> None:
    core = {str(dep).split(">")[0].split("<")[0].split("=")[0] for dep in _pyproject()["dependencies"]}  # type: ignore[union-attr]
    assert core == {"httpx", "pydantic", "pyyaml", "platformdirs", "keyring"}


def test_the_license_is_declared_and_shipped() -> None:
    project = _pyproject()
    assert project["license"] == "Apache-2.0"
    assert "Apache License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert (SRC / "py.typed").exists()


# --- the real entry point without an extra ------------------------------------------------------------


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["alerts", "--help"], ["ui", "--help"]])
def test_version_and_help_need_only_the_cli_extra(args: list[str], tmp_path: Path) -> None:
    done = _run_without(EVERY_OPTIONAL, *args, tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("blocked", "args", "extra"),
    [
        (["fastapi", "uvicorn"], ["ui", "--port", "0"], "ui"),
        (["fastapi", "uvicorn", "jwt"], ["emulator", "serve", "--port", "0"], "emulator"),
        (["fastapi", "uvicorn"], ["demo", "--port", "0"], "ui,emulator"),
        (["sqlalchemy"], ["onboard", "list"], "onboarding"),
        (["typer"], ["--version"], "cli"),
        (["typer"], ["ui"], "cli,ui"),
        (["jinja2"], ["alerts", "report", "--output", "r.html"], "report"),
    ],
)
def test_a_command_without_its_extra_exits_2_naming_it(
    blocked: list[str], args: list[str], extra: str, tmp_path: Path
) -> None:
    done = _run_without(blocked, *args, tmp_path=tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert f"pip install 'cortexkit[{extra}]'" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not list(tmp_path.glob("*.html"))
