"""Where the access key comes from: arguments > environment > profile (file + OS keyring) > prompt.

The peers keep secret keys in world-readable JSON, print them, or `sys.exit` when one is missing. Here the
secret is wrapped in `Secret` the moment it is read, profile files are written 0600 atomically and refused
when others can read them, and the secret itself lives in the OS keyring unless the user explicitly opts
into file storage. Everything is injectable (environment, config dir, keyring backend, prompter) so the
precedence rules are tested without touching the real machine.

Modules: `model` (the `Credentials` value, `verify` parsing), `sources` (environment names and the
resolution order), `profiles` (the YAML + keyring profile store), `importers` (pcpi / prismacloud-api
files), `prompts` (asking the user). The names below are the public surface.
"""

from __future__ import annotations

from cortexkit.credentials.importers import import_pcpi_credentials, import_prismacloud_api_credentials
from cortexkit.credentials.model import Credentials, parse_verify
from cortexkit.credentials.profiles import (
    CONFIG_DIR_ENV,
    FILE_NAME,
    KEYRING_SERVICE,
    ProfileInfo,
    ProfileStore,
    config_dir,
    keyring_usable,
)
from cortexkit.credentials.prompts import Prompter, TerminalPrompter, stdin_is_tty
from cortexkit.credentials.sources import ENV_SOURCES, PROFILE_ENV, credentials_from_env, load_credentials
from cortexkit.private_files import write_private

__all__ = [
    "CONFIG_DIR_ENV",
    "ENV_SOURCES",
    "FILE_NAME",
    "KEYRING_SERVICE",
    "PROFILE_ENV",
    "Credentials",
    "ProfileInfo",
    "ProfileStore",
    "Prompter",
    "TerminalPrompter",
    "config_dir",
    "credentials_from_env",
    "import_pcpi_credentials",
    "import_prismacloud_api_credentials",
    "keyring_usable",
    "load_credentials",
    "parse_verify",
    "stdin_is_tty",
    "write_private",
]
