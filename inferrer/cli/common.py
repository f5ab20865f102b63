"""Helpers every command shares: error translation and exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

from inferrer.errors import InferrerError

P = ParamSpec("P")
R = TypeVar("R")


class _UntypedArgument(TyperArgument):
    """An argument whose metavar says it all: no ``<path>`` type column beside it."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


def _tidy_params(params: list[Any]) -> list[Any]:
    """Flags take no value: no ``<bool>`` placeholder beside them in --help."""
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
        elif type(param) is TyperArgument:
            param.__class__ = _UntypedArgument
    return params


def _one_line(help_text: str | None) -> str | None:
    """The first paragraph of a docstring on one line (a command's summary)."""
    if not help_text:
        return None
    return " ".join(help_text.strip().split("\n\n")[0].split())


class Command(TyperCommand):
    """Every command's class: one-line summaries, flags without placeholders."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("short_help") is None:
            kwargs["short_help"] = _one_line(kwargs.get("help"))
        super().__init__(*args, **kwargs)

    def get_params(self, ctx: Any) -> list[Any]:
        return _tidy_params(super().get_params(ctx))


class Group(TyperGroup):
    """The root command's class, tidied as :class:`Command` is. Its help lists every
    command from :data:`inferrer.cli.commands.COMMAND_SUMMARIES`, registered or not (a run
    registers only the command it runs)."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _tidy_params(super().get_params(ctx))

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        from inferrer.cli.commands import COMMAND_SUMMARIES

        with formatter.section("Commands"):
            formatter.write_dl(list(COMMAND_SUMMARIES.items()))


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
        from inferrer.kafka.config import redact_known

        message = redact_known(" ".join(str(e).split()) or e.__class__.__doc__ or "failed")
        print(f"Error: {message}", file=sys.stderr)
        raise typer.Exit(e.exit_code) from None
    except KeyboardInterrupt:
        print("Error: interrupted", file=sys.stderr)
        raise typer.Exit(130) from None
    except Terminated:
        print("Error: terminated", file=sys.stderr)
        raise typer.Exit(EXIT_TERMINATED) from None


Verbose = Annotated[
    int,
    typer.Option(
        "--verbose",
        "-v",
        count=True,
        metavar="",
        show_default=False,
        help="Say more on stderr: -v adds debug notes, -vv also the Kafka client's own log.",
    ),
]
Quiet = Annotated[
    int,
    typer.Option(
        "--quiet",
        "-q",
        count=True,
        metavar="",
        show_default=False,
        help="Say less on stderr: -q only warnings and errors, -qq only errors.",
    ),
]
_LOGGING_FLAGS: dict[str, Any] = {"verbose": Verbose, "quiet": Quiet}


def handles_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Give a command -v/-q (the logging level) and :func:`translate_errors`."""
    import functools
    import inspect

    from inferrer.cli.logs import configure_logging

    signature = inspect.signature(fn, eval_str=True)

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        configure_logging(int(kwargs.pop("verbose", 0)), int(kwargs.pop("quiet", 0)))  # type: ignore[call-overload]
        with translate_errors():
            return fn(*args, **kwargs)

    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=0, annotation=ann)
        for name, ann in _LOGGING_FLAGS.items()
    ]
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), *added]
    )
    wrapper.__annotations__ = {**fn.__annotations__, **_LOGGING_FLAGS}
    return wrapper
