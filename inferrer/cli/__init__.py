"""The ``infer-asyncapi`` command line: a thin layer over the library.

Each command lives in its own module, turns options into a config value, calls
one library function, renders the result and returns an exit code.
``infer-asyncapi --topics ...`` without a command name runs ``infer``.
"""

from __future__ import annotations

import sys

import typer

from inferrer import __version__

app = typer.Typer(
    name="infer-asyncapi",
    help="Infer an AsyncAPI document from live Kafka traffic, and report drift against it.\n\n"
    "Without a command name, runs `infer` (for example: infer-asyncapi --topics 'bank.*').",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"infer-asyncapi {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Infer an AsyncAPI document from live Kafka traffic, and report drift against it."""


def _register() -> None:
    # Each import adds its command(s) to `app`.
    from inferrer.cli import commands  # noqa: F401


_register()


def command_names() -> set[str]:
    import typer.main

    group = typer.main.get_group(app)
    return set(group.commands)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``infer-asyncapi`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] not in command_names() and args[0] not in ("-h", "--help", "--version"):
        args.insert(0, "infer")
    app(args=args, prog_name="infer-asyncapi")
