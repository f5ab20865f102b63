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


def handles_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator form of :func:`translate_errors` for command functions."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with translate_errors():
            return fn(*args, **kwargs)

    return wrapper
