"""The one exception hierarchy of inferrer.

Library code raises these; the CLI translates them, in one place, into
``Error: <one line>`` on stderr and the documented exit code. Findings of a
drift report are values, never exceptions.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_DRIFT = 1
EXIT_USAGE = 2
EXIT_CANNOT_RUN = 3


class InferrerError(Exception):
    """Base class of every error inferrer raises on purpose."""

    exit_code: int = EXIT_CANNOT_RUN


class UsageError(InferrerError):
    """The user asked for something that cannot be done as asked (exit 2)."""

    exit_code = EXIT_USAGE


class NoTopicsMatched(UsageError):
    """The topic patterns selected no topic on the cluster (exit 2)."""


class ConfigError(UsageError):
    """A client configuration (flags, -X, properties file) is invalid (exit 2)."""


class CouldNotRun(InferrerError):
    """The tool could not do its work: broker unreachable, unreadable input (exit 3)."""

    exit_code = EXIT_CANNOT_RUN


class BrokerUnreachable(CouldNotRun):
    """No broker answered at the bootstrap address within the timeout."""


class PartialSample(CouldNotRun):
    """A sample ended early (a topic timed out, the broker stopped answering) and
    partial results were not allowed (exit 3)."""


class SpecError(CouldNotRun):
    """An AsyncAPI document could not be read or understood."""


class CaptureError(CouldNotRun):
    """A capture file could not be read or written."""


class ObservationError(CouldNotRun):
    """Saved observations (a file, or a watch snapshot's) could not be read or understood."""


class LauncherError(CouldNotRun):
    """The local development broker could not be resolved, started or stopped."""


class OutputError(CouldNotRun):
    """An output file could not be written."""


class ToolingMissing(CouldNotRun):
    """An external tool inferrer runs (node, the AsyncAPI parser) is not installed."""
