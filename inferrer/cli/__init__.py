"""The ``infer-asyncapi`` command line: a thin layer over the library.

Each command lives in its own module, turns options into a config value, calls
one library function, renders the result and returns an exit code.
``infer-asyncapi --topics ...`` without a command name runs ``infer``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

import typer

from inferrer import __version__
from inferrer.cli.common import Group

app = typer.Typer(
    name="infer-asyncapi",
    cls=Group,
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


COMMAND_MODULES: dict[str, str] = {
    "infer": "inferrer.cli.infer_cmd",
    "diff": "inferrer.cli.diff_cmd",
    "record": "inferrer.cli.record_cmd",
    "replay": "inferrer.cli.replay_cmd",
    "topics": "inferrer.cli.topics_cmd",
    "validate": "inferrer.cli.validate_cmd",
    "watch": "inferrer.cli.watch_cmd",
}
"""Command name → the module that registers it on :data:`app` when imported."""


def register(names: Iterable[str] | None = None) -> typer.Typer:
    """Import the modules of the named commands (all by default): each import adds its
    command to :data:`app`. A run imports only the command it runs, so that a short run
    (``--version``, ``infer`` of a small file) does not pay for every command's imports."""
    import importlib

    for name in COMMAND_MODULES if names is None else names:
        importlib.import_module(COMMAND_MODULES[name])
    return app


def command_names() -> set[str]:
    return set(COMMAND_MODULES)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``infer-asyncapi`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:
        print(f"infer-asyncapi {__version__}")
        raise SystemExit(0)
    if args and args[0] not in command_names() and args[0] not in ("-h", "--help", "--version"):
        args.insert(0, "infer")
    register([args[0]] if args and args[0] in COMMAND_MODULES else None)
    from inferrer.cli.common import install_signal_handlers

    install_signal_handlers()
    app(args=args, prog_name="infer-asyncapi")
