"""Which optional extra a missing module belongs to, and the sentence that tells the user to install it.

The core install is the client library only; each command group needs an extra (pyproject.toml). When a
command's import fails because its extra is not installed, the CLI answers with one sentence naming the
extra (exit 2) instead of a traceback. This module imports nothing beyond the standard library, so it
works whatever is missing.
"""

from __future__ import annotations

# Top-level import name -> the extras that install it, the usual one first.
MODULE_EXTRAS: dict[str, tuple[str, ...]] = {
    "typer": ("cli",),
    "click": ("cli",),
    "rich": ("cli",),
    "jmespath": ("cli",),
    "sqlalchemy": ("onboarding",),
    "cryptography": ("onboarding", "emulator"),
    "fastapi": ("ui", "emulator"),
    "starlette": ("ui", "emulator"),
    "uvicorn": ("ui", "emulator"),
    "jinja2": ("report", "ui"),
    "markupsafe": ("report", "ui"),
    "multipart": ("ui",),
    "python_multipart": ("ui",),
    "jwt": ("emulator",),
    "psycopg": ("postgres",),
    "redis": ("governor",),
}

# Command group -> the extras it needs beyond `cli` (what `pip install` should name for that command).
GROUP_EXTRAS: dict[str, tuple[str, ...]] = {
    "onboard": ("onboarding",),
    "ui": ("ui",),
    "emulator": ("emulator",),
    "demo": ("ui", "emulator"),
}


# Extras that install other extras (pyproject.toml: `ui = ["cortexkit[onboarding]", ...]`).
INCLUDES: dict[str, tuple[str, ...]] = {"ui": ("onboarding",)}


def extras_for(module: str, group: str | None = None) -> tuple[str, ...]:
    """The extras to install for a missing module, preferring those the running command group needs."""
    top = module.split(".", 1)[0]
    providers = MODULE_EXTRAS.get(top)
    if not providers:
        return ()
    wanted = GROUP_EXTRAS.get(group or "", ())
    if providers == ("cli",):
        # No CLI at all: name the command's own extras too, so one install is enough.
        return ("cli", *wanted)
    covered = {extra for want in wanted for extra in (want, *INCLUDES.get(want, ()))}
    if covered.intersection(providers):
        return wanted
    return providers[:1]


def ensure(*modules: str) -> None:
    """Raise ModuleNotFoundError for the first of `modules` not installed, before any slow work starts."""
    import importlib.util

    for module in modules:
        if importlib.util.find_spec(module) is None:
            raise ModuleNotFoundError(f"No module named {module!r}", name=module)


def missing_module(exc: BaseException) -> str | None:
    """The name of the module whose absence caused `exc` (following the chain), if one did."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ModuleNotFoundError) and current.name:
            return current.name
        current = current.__cause__ or current.__context__
    return None


def install_hint(extras: tuple[str, ...]) -> str:
    """`pip install 'cortexkit[ui,emulator]'`."""
    return f"pip install 'cortexkit[{','.join(extras)}]'"


def missing_extra_message(exc: BaseException, group: str | None = None) -> str | None:
    """One sentence naming the extra to install, or None when `exc` is not a missing optional module."""
    module = missing_module(exc)
    if module is None:
        return None
    extras = extras_for(module, group)
    if not extras:
        return None
    what = f"`cortexkit {group}`" if group in GROUP_EXTRAS else "this command"
    plural = "s" if len(extras) > 1 else ""
    return (
        f"{what} needs the optional {', '.join(extras)} extra{plural} "
        f"({module.split('.', 1)[0]} is not installed): run {install_hint(extras)}."
    )
