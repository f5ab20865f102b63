"""Turn the source options (live cluster or ``--from-file``) into a pipeline Source."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from inferrer.cli.options import (
    SOURCE_PANEL,
    AllowPartial,
    BootstrapServer,
    CommandConfig,
    Discriminator,
    Exclude,
    Follow,
    IncludeInternal,
    MaxMessages,
    Overrides,
    SchemaRegistry,
    Start,
    Timeout,
    Topics,
    build_sample_config,
)
from inferrer.errors import UsageError
from inferrer.kafka.plan import SampleConfig

if TYPE_CHECKING:  # the pipeline and the inference rules load when a command runs, not for --help
    from inferrer.inference.kinds import DiscriminatorChoice
    from inferrer.pipeline import Source

FromFile = Annotated[
    list[Path] | None,
    typer.Option(
        "--from-file",
        metavar="CAPTURE",
        help="Read a capture file (JSONL, as written by `record` or `kcat -C -J`), every "
        "*.jsonl in a folder, or stdin for -, instead of a cluster; repeatable. Works offline.",
        rich_help_panel=SOURCE_PANEL,
    ),
]


STDIN = Path("-")

_spooled: list[IO[bytes]] = []


def spool_stdin() -> Path:
    """Copy stdin (``--from-file -``) into an unnamed temporary file and return a path
    that opens it: captures are read more than once (``diff`` folds them, then checks
    each message), a pipe only once. The file has no name, so it is gone when the
    process ends, however it ends."""
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError("--from-file - reads a capture from stdin, but stdin is a terminal")
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - kept open for the whole run
    shutil.copyfileobj(sys.stdin.buffer, spool, 1 << 20)
    spool.flush()
    _spooled.append(spool)
    return Path(f"/proc/self/fd/{spool.fileno()}")


def _with_stdin(paths: list[Path]) -> list[Path]:
    if paths.count(STDIN) > 1:
        raise UsageError("--from-file - (stdin) can be given once")
    return [spool_stdin() if p == STDIN else p for p in paths]


def build_source(
    *,
    from_file: list[Path] | None,
    bootstrap_server: str | None,
    command_config: Path | None,
    overrides: list[str] | None,
    topics: list[str] | None,
    exclude: list[str] | None,
    include_internal: bool,
    max_messages: int,
    start: str,
    follow: str | None,
    timeout: str,
    allow_partial: bool = False,
    schema_registry: str | None = None,
) -> Source:
    """A capture-file source when ``--from-file`` is given, a live one otherwise."""
    from inferrer.capture import expand_capture_paths
    from inferrer.pipeline import Source
    from inferrer.registry.settings import registry_settings

    if from_file:
        if command_config is not None or overrides:
            raise UsageError("--from-file reads no cluster: drop --command-config and -X")
        return Source(
            capture_files=expand_capture_paths(_with_stdin(from_file)),
            topics=tuple(topics or ()),
            exclude=tuple(exclude or ()),
            include_internal=include_internal,
            registry=registry_settings(schema_registry),
            named_bootstrap=bootstrap_server or None,
        )
    if not bootstrap_server:
        raise UsageError(
            "no Kafka to read: give -b/--bootstrap-server (or set KAFKA_BOOTSTRAP_SERVERS), "
            "or --from-file CAPTURE"
        )
    sample = build_sample_config(
        bootstrap_server,
        command_config,
        overrides,
        topics,
        exclude,
        include_internal,
        max_messages,
        start,
        follow,
        timeout,
        allow_partial,
    )
    return Source(sample=sample, registry=registry_settings(schema_registry, command_config))


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """The traffic source flags of one command, as typer parsed them."""

    bootstrap_server: str | None = None
    command_config: Path | None = None
    overrides: list[str] | None = None
    topics: list[str] | None = None
    exclude: list[str] | None = None
    include_internal: bool = False
    max_messages: int = 1000
    start: str = "latest"
    follow: str | None = None
    timeout: str = "10s"
    allow_partial: bool = False
    from_file: list[Path] | None = None
    schema_registry: str | None = None
    discriminator: list[str] | None = None

    def discriminators(self) -> tuple[DiscriminatorChoice, ...]:
        """The parsed ``--discriminator`` values (exit 2 on a malformed one)."""
        from inferrer.inference.kinds import parse_discriminator

        return tuple(parse_discriminator(d) for d in self.discriminator or ())

    @property
    def live(self) -> bool:
        """True when a flag asks for a cluster (rather than capture files)."""
        return bool(self.bootstrap_server or self.topics or self.command_config or self.overrides)

    def sample_config(self) -> SampleConfig:
        """The live-sampling config these flags describe (exit 2 on bad values)."""
        return build_sample_config(
            self.bootstrap_server,
            self.command_config,
            self.overrides,
            self.topics,
            self.exclude,
            self.include_internal,
            self.max_messages,
            self.start,
            self.follow,
            self.timeout,
            self.allow_partial,
        )

    def source(self) -> Source:
        """Capture files with ``--from-file``, else a live sample."""
        fields = {f: getattr(self, f) for f in self.__dataclass_fields__ if f != "discriminator"}
        return dataclasses.replace(build_source(**fields), discriminators=self.discriminators())


NO_SOURCE_OPTIONS = SourceOptions()
"""The placeholder default of a command's ``source_options`` parameter; the
:func:`with_source_options` wrapper always passes the parsed flags instead."""

# Which flags each kind of command takes; the names are SourceOptions fields.
_CONNECT: dict[str, tuple[Any, Any]] = {
    "bootstrap_server": (BootstrapServer, None),
    "command_config": (CommandConfig, None),
    "overrides": (Overrides, None),
    "topics": (Topics, None),
    "exclude": (Exclude, None),
    "include_internal": (IncludeInternal, False),
    "schema_registry": (SchemaRegistry, None),
}
_SAMPLE: dict[str, tuple[Any, Any]] = {
    "max_messages": (MaxMessages, 1000),
    "start": (Start, "latest"),
    "follow": (Follow, None),
    "allow_partial": (AllowPartial, False),
}
_TIMEOUT: dict[str, tuple[Any, Any]] = {"timeout": (Timeout, "10s")}
_FROM_FILE: dict[str, tuple[Any, Any]] = {"from_file": (FromFile, None)}
_KINDS: dict[str, tuple[Any, Any]] = {"discriminator": (Discriminator, None)}

F = TypeVar("F", bound=Callable[..., Any])


def with_source_options(
    *, sample: bool = True, from_file: bool = True, kinds: bool = False
) -> Callable[[F], F]:
    """Give a command the shared source flags, collected into one ``source_options``
    argument (a :class:`SourceOptions`), instead of repeating ten parameters.

    ``sample=False`` leaves out --max-messages/--from/--follow (for commands that read
    no message); ``from_file=False`` leaves out --from-file; ``kinds=True`` adds
    --discriminator (for commands that tell event kinds apart).
    """
    flags = {**_CONNECT, **(_SAMPLE if sample else {}), **_TIMEOUT}
    if from_file:
        flags.update(_FROM_FILE)
    if kinds:
        flags.update(_KINDS)

    def decorate(fn: F) -> F:
        signature = inspect.signature(fn, eval_str=True)
        own = [p for name, p in signature.parameters.items() if name != "source_options"]
        added = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=ann)
            for name, (ann, default) in flags.items()
        ]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {name: kwargs.pop(name) for name in flags}
            return fn(*args, source_options=SourceOptions(**values), **kwargs)

        annotations = {k: v for k, v in fn.__annotations__.items() if k != "source_options"}
        annotations.update({name: ann for name, (ann, _) in flags.items()})
        wrapper.__annotations__ = annotations
        # The source flags come first, so --help shows the "Kafka source" panel first.
        wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*added, *(p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own)]
        )
        return wrapper  # type: ignore[return-value]

    return decorate
