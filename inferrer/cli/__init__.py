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
    rich_markup_mode=None,
    # Plain click help (no rich: it alone takes 0.2 s to import), as wide as the terminal.
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 200},
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
}
"""Command name → the module that registers it on :data:`app` when imported."""

COMMAND_SUMMARIES: dict[str, str] = {
    "infer": "Sample topics (read-only) and write the AsyncAPI document that describes them.",
    "diff": "Report where traffic (live, or a capture file) or a second spec has drifted "
    "from the committed spec.",
    "record": "Sample topics (read-only, as infer does) into a capture file for offline use.",
    "replay": "Produce capture files into a cluster, creating missing topics as captured.",
    "topics": "List the topics a run would sample (partitions, replication, approximate "
    "messages, cleanup.policy, consumer groups) without reading any message.",
    "validate": "Check AsyncAPI documents with the official @asyncapi/parser (run through node).",
}
"""Each command's one-line summary, for the root ``--help`` without importing the
commands (a test holds them to the commands' own docstrings)."""


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
    # The root --help lists COMMAND_SUMMARIES: it imports no command module.
    register([args[0]] if args and args[0] in COMMAND_MODULES else [])
    from inferrer.cli.common import install_signal_handlers

    install_signal_handlers()
    app(args=args, prog_name="infer-asyncapi")
