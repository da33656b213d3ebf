"""`CORTEXKIT_LOG=debug` (or `info`): redacted logging of the `cortexkit` logger to stderr without code.

The openai and anthropic SDKs read `OPENAI_LOG` / `ANTHROPIC_LOG` the same way. The handler carries a
`RedactingFilter`, and the client's own DEBUG lines already mask passwords, secrets and JWTs, so turning
this on in production does not write a credential to a log.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

from cortexkit._redact import RedactingFilter
from cortexkit.errors import ConfigurationError

LOG_ENV = "CORTEXKIT_LOG"
HANDLER_NAME = "cortexkit-env"
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}


def setup_from_env(env: Mapping[str, str] | None = None) -> logging.Handler | None:
    """Attach one stderr handler to the `cortexkit` logger when `CORTEXKIT_LOG` is set (idempotent)."""
    value = (os.environ if env is None else env).get(LOG_ENV, "").strip().lower()
    if not value:
        return None
    level = LEVELS.get(value)
    if level is None:
        raise ConfigurationError(f"{LOG_ENV} must be one of {', '.join(LEVELS)}, not {value!r}")
    logger = logging.getLogger("cortexkit")
    for handler in logger.handlers:
        if handler.get_name() == HANDLER_NAME:
            handler.setLevel(level)
            logger.setLevel(min(level, logger.level or level))
            return handler
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setLevel(level)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(min(level, logger.level or level))
    return handler


__all__ = ["LOG_ENV", "setup_from_env"]
