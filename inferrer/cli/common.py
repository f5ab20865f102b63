"""Helpers every command shares: error translation and exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

import typer

from inferrer.errors import InferrerError

P = ParamSpec("P")
R = TypeVar("R")


EXIT_TERMINATED = 143
"""128 + SIGTERM, as a shell reports a process SIGTERM ended."""


class Terminated(BaseException):
    """SIGTERM arrived: unwind (deleting temporary files) and exit 143.

    A BaseException, so that no ``except Exception`` on the way swallows it."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


def install_signal_handlers() -> None:
    """Make SIGTERM unwind the run like Ctrl-C does, instead of ending it on the spot."""
    import signal

    signal.signal(signal.SIGTERM, _raise_terminated)


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn domain errors into ``Error: <one line>`` on stderr and their exit code."""
    try:
        yield
    except InferrerError as e:
        message = " ".join(str(e).split()) or e.__class__.__doc__ or "failed"
        print(f"Error: {message}", file=sys.stderr)
        raise typer.Exit(e.exit_code) from None
    except KeyboardInterrupt:
        print("Error: interrupted", file=sys.stderr)
        raise typer.Exit(130) from None
    except Terminated:
        print("Error: terminated", file=sys.stderr)
        raise typer.Exit(EXIT_TERMINATED) from None


def handles_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator form of :func:`translate_errors` for command functions."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with translate_errors():
            return fn(*args, **kwargs)

    return wrapper
