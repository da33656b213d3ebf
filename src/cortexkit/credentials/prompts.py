"""Asking the user for what no argument, variable or profile gave: injected so tests never read a tty."""

from __future__ import annotations

import getpass
import sys
from typing import Protocol


class Prompter(Protocol):
    """Asks the user; injected so tests never read a terminal."""

    def ask(self, prompt: str) -> str: ...

    def ask_secret(self, prompt: str) -> str: ...


class TerminalPrompter:
    """Prompts on stderr (stdout is for data) and reads the secret with getpass (no echo)."""

    def ask(self, prompt: str) -> str:
        """Ask for a plain value on stderr; read a line from stdin."""
        sys.stderr.write(prompt)
        sys.stderr.flush()
        return sys.stdin.readline().strip()

    def ask_secret(self, prompt: str) -> str:
        """Ask for a secret without echo."""
        return getpass.getpass(prompt, stream=sys.stderr).strip()


def stdin_is_tty() -> bool:
    """Whether stdin is a terminal (a prompt can be answered)."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False
