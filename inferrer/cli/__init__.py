"""The ``infer-asyncapi`` command line: a thin layer over the library.

Each command lives in its own module, turns options into a config value, calls
one library function, renders the result and returns an exit code.
``infer-asyncapi --topics ...`` without a command name runs ``infer``.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterable

import typer

from inferrer.cli.commands import COMMAND_MODULES
from inferrer.cli.commands import COMMAND_SUMMARIES as COMMAND_SUMMARIES
from inferrer.cli.common import Group
from inferrer.version import __version__

app = typer.Typer(
    name="infer-asyncapi",
    cls=Group,
    help="Infer an AsyncAPI document from live Kafka traffic, and report drift against it.\n\n"
    "Without a command name, runs `infer` (for example: infer-asyncapi --topics 'bank.*').",
    add_completion=True,
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
    config: str = typer.Option(
        None,
        "--config",
        metavar="FILE",
        help="Read option values from FILE (default: ./inferrer.toml, or [tool.inferrer] in "
        "./pyproject.toml); may come anywhere on the line.",
    ),
    profile: str = typer.Option(
        None,
        "--profile",
        metavar="NAME",
        help="Use the config file's [profile.NAME] (default: $INFERRER_PROFILE); may come "
        "anywhere on the line.",
    ),
) -> None:
    """Infer an AsyncAPI document from live Kafka traffic, and report drift against it."""


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


def _pop_option(args: list[str], name: str) -> str | None:
    """Remove ``name VALUE`` or ``name=VALUE`` from ``args`` (before ``--``); the last
    one given wins."""
    value = None
    i = 0
    while i < len(args) and args[i] != "--":
        if args[i] == name and i + 1 < len(args):
            value = args[i + 1]
            del args[i : i + 2]
        elif args[i].startswith(name + "="):
            value = args[i].split("=", 1)[1]
            del args[i]
        else:
            i += 1
    return value


def _default_map(config: str | None, profile: str | None) -> dict[str, dict[str, object]]:
    """click's ``default_map`` from the config file: what a flag or its environment
    variable does not set. Registers every command (a key is checked against them all)."""
    from pathlib import Path

    import typer.main

    from inferrer.config import find_config, load_settings

    nothing_asked = config is None and profile is None and "INFERRER_PROFILE" not in os.environ
    if nothing_asked and find_config() is None:
        return {}
    group = typer.main.get_command(register())
    names: dict[str, dict[str, str]] = {}  # command -> flag -> parameter name
    for command_name, command in group.commands.items():  # type: ignore[attr-defined]
        names[command_name] = {
            opt[2:]: param.name
            for param in command.params
            for opt in param.opts
            if opt.startswith("--") and opt != "--help" and param.name
        }
    flags = {c: frozenset(f) for c, f in names.items()}
    settings = load_settings(Path(config) if config else None, profile, flags)
    out: dict[str, dict[str, object]] = {}
    for command_name, by_flag in names.items():
        values = {f: v for f, v in settings.common.items() if f in by_flag}
        values.update(settings.commands.get(command_name, {}))
        if values:
            out[command_name] = {by_flag[f]: v for f, v in values.items()}
    return out


def _show_completion(shell: str) -> None:
    """``--show-completion SHELL``: the script for the shell named, whatever shell runs
    the command (typer's own flag detects the parent process's shell, which is ``sh``
    under make or cron)."""
    from typer._completion_shared import Shells, get_completion_script

    if shell not in {s.value for s in Shells}:
        sys.stderr.write(f"Shell {shell} not supported.\n")
        raise SystemExit(2)
    script = get_completion_script(
        prog_name="infer-asyncapi", complete_var="_INFER_ASYNCAPI_COMPLETE", shell=shell
    )
    print(script)
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``infer-asyncapi`` console script."""
    # A command builds a few hundred thousand long-lived objects (modules, classes,
    # the summaries) and few reference cycles: the collector's default first threshold
    # (700 allocations) has it walk them over and over during start-up, a tenth of a
    # short run's CPU. Cycles are still collected, less often.
    gc.set_threshold(50_000, 20, 20)
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:
        print(f"infer-asyncapi {__version__}")
        raise SystemExit(0)
    if len(args) == 2 and args[0] == "--show-completion":
        _show_completion(args[1])
    config = _pop_option(args, "--config")
    profile = _pop_option(args, "--profile")
    root_only = ("-h", "--help", "--version", "--install-completion", "--show-completion")
    if args and args[0] not in command_names() and args[0] not in root_only:
        args.insert(0, "infer")
    default_map: dict[str, dict[str, object]] = {}
    if args and args[0] in COMMAND_MODULES:
        from inferrer.errors import InferrerError

        try:
            default_map = _default_map(config, profile)
        except InferrerError as e:
            sys.stderr.write(f"Error: {e}\n")
            raise SystemExit(e.exit_code) from None
    # The root --help lists COMMAND_SUMMARIES: it imports no command module. Shell
    # completion (typer's, through $_INFER_ASYNCAPI_COMPLETE) needs every command.
    completing = "_INFER_ASYNCAPI_COMPLETE" in os.environ
    register(None if completing else [args[0]] if args and args[0] in COMMAND_MODULES else [])
    from inferrer.cli.common import install_signal_handlers

    install_signal_handlers()
    app(args=args, prog_name="infer-asyncapi", default_map=default_map)
