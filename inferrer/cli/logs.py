"""``-v/--verbose`` and ``-q/--quiet``: what the commands say on stderr, through the
standard :mod:`logging` module.

Levels: notes (``wrote FILE``, record counts, the summary table) are INFO, shown by
default; warnings are WARNING, written ``Warning: ...``; ``-q`` leaves warnings and
errors, ``-qq`` errors only; ``-v`` adds DEBUG notes of inferrer (``debug: ...``), ``-vv``
also the Kafka client's own log. ``Error: ...`` lines are always written. Every line
goes through :func:`~inferrer.kafka.config.redact_known`, so no secret the run was
given is ever printed.
"""

from __future__ import annotations

import logging
import sys

from inferrer.kafka.config import redact_known

LOG = logging.getLogger("inferrer.cli")
PACKAGE_LOGGER = "inferrer"
CLIENT_LOGGER = "inferrer.kafka.librdkafka"

_PREFIX = {logging.WARNING: "Warning: ", logging.DEBUG: "debug: "}


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact_known(_PREFIX.get(record.levelno, "") + record.getMessage())


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (tests replace it)."""

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass


_handler: logging.Handler | None = None


def level_for(verbose: int, quiet: int) -> int:
    """The level of the ``inferrer`` loggers for these counts of -v and -q."""
    if quiet >= 2:
        return logging.ERROR
    if quiet == 1:
        return logging.WARNING
    return logging.DEBUG if verbose >= 1 else logging.INFO


def configure_logging(verbose: int = 0, quiet: int = 0) -> None:
    """Route the ``inferrer`` loggers to stderr at the level -v/-q ask for."""
    global _handler
    package = logging.getLogger(PACKAGE_LOGGER)
    if _handler is not None:
        package.removeHandler(_handler)
    _handler = _StderrHandler()
    _handler.setFormatter(_Formatter())
    package.addHandler(_handler)
    package.setLevel(level_for(verbose, quiet))
    package.propagate = False
    # librdkafka's log is noise unless asked for: it reports every retry.
    client = logging.getLogger(CLIENT_LOGGER)
    client.setLevel(logging.DEBUG if verbose >= 2 and not quiet else logging.CRITICAL + 1)


def info_enabled() -> bool:
    return LOG.isEnabledFor(logging.INFO)
