"""The options every command that reads a cluster shares, and their conversion to a
:class:`~inferrer.kafka.sampler.SampleConfig`.

Use them as parameter annotations::

    def infer(
        bootstrap_server: BootstrapServer = None,
        command_config: CommandConfig = None,
        overrides: Overrides = None,
        topics: Topics = None,
        exclude: Exclude = None,
        include_internal: IncludeInternal = False,
        max_messages: MaxMessages = 1000,
        start: Start = "latest",
        follow: Follow = None,
        timeout: Timeout = "10s",
    ) -> None:
        config = build_sample_config(bootstrap_server, command_config, overrides, topics, ...)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from inferrer.errors import UsageError
from inferrer.kafka.config import BOOTSTRAP_ENV, build_client_config
from inferrer.kafka.plan import SampleConfig, parse_start, parse_wait

LOG = logging.getLogger("inferrer.cli")

SOURCE_PANEL = "Kafka source"

BootstrapServer = Annotated[
    str | None,
    typer.Option(
        "--bootstrap-server",
        "-b",
        metavar="HOST:PORT",
        envvar=BOOTSTRAP_ENV,
        show_envvar=True,
        help="Kafka bootstrap address(es), host:port[,host:port]. With --from-file it only "
        "names the cluster the capture came from (the document's server): nothing connects.",
        rich_help_panel=SOURCE_PANEL,
    ),
]
CommandConfig = Annotated[
    Path | None,
    typer.Option(
        "--command-config",
        metavar="FILE",
        help="Java-style client properties file (security.protocol, sasl.mechanism, "
        "sasl.jaas.config, ssl.*), as Kafka's own tools take.",
        rich_help_panel=SOURCE_PANEL,
    ),
]
Overrides = Annotated[
    list[str] | None,
    typer.Option(
        "-X",
        metavar="KEY=VALUE",
        help="librdkafka setting, as in kcat; repeatable; wins over the properties file.",
        rich_help_panel=SOURCE_PANEL,
    ),
]
Topics = Annotated[
    list[str] | None,
    typer.Option(
        "--topics",
        "-t",
        metavar="PATTERN",
        help="Topics to read: a shell glob (bank.*) or a regex prefixed re:; repeatable. "
        "Default: all topics.",
        rich_help_panel=SOURCE_PANEL,
    ),
]
Exclude = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude",
        metavar="PATTERN",
        help="Topics to leave out, same syntax as --topics; repeatable.",
        rich_help_panel=SOURCE_PANEL,
    ),
]
IncludeInternal = Annotated[
    bool,
    typer.Option(
        "--include-internal",
        help="Also select internal topics (__consumer_offsets, _schemas, _confluent-*, __*).",
        rich_help_panel=SOURCE_PANEL,
    ),
]
MaxMessages = Annotated[
    int,
    typer.Option(
        "--max-messages",
        min=1,
        metavar="N",
        help="Messages to read per topic, spread across its partitions.",
        rich_help_panel=SOURCE_PANEL,
    ),
]
Start = Annotated[
    str,
    typer.Option(
        "--from",
        metavar="WHEN",
        help="latest (the newest N), earliest, an ISO-8601 time, or a duration back from "
        "now such as 1h.",
        rich_help_panel=SOURCE_PANEL,
    ),
]
Follow = Annotated[
    str | None,
    typer.Option(
        "--follow",
        metavar="DURATION",
        help="Also wait this long (30s, 5m) for new messages.",
        rich_help_panel=SOURCE_PANEL,
    ),
]
AllowPartial = Annotated[
    bool,
    typer.Option(
        "--allow-partial",
        help="Accept a partial sample (a topic timed out, the broker stopped answering): "
        "warn and go on, instead of exit 3 with nothing written.",
        rich_help_panel=SOURCE_PANEL,
    ),
]
SchemaRegistry = Annotated[
    str | None,
    typer.Option(
        "--schema-registry",
        metavar="URL",
        envvar="SCHEMA_REGISTRY_URL",
        show_envvar=True,
        help="Confluent-compatible Schema Registry: framed Avro, Protobuf and JSON Schema "
        "messages are decoded with their writer schemas, and the document carries the "
        "registry's schemas. Also read from --command-config (schema.registry.url, "
        "basic.auth.user.info, schema.registry.ssl.*).",
        rich_help_panel=SOURCE_PANEL,
    ),
]
Discriminator = Annotated[
    list[str] | None,
    typer.Option(
        "--discriminator",
        metavar="TOPIC=FIELD",
        help="How the event kinds of the topics matching TOPIC (a shell glob) are told "
        "apart: FIELD is a payload field as a JSON pointer, top-level (/action) or of "
        "a top-level object (/metadata/type), header:NAME, or none (one kind); "
        "repeatable, the last match wins. Default: inferred (see the evidence file's "
        "kind-selection).",
        rich_help_panel=SOURCE_PANEL,
    ),
]
Timeout = Annotated[
    str,
    typer.Option(
        "--timeout",
        metavar="DURATION",
        help="How long each topic may take, and the broker may take to answer (10s, 1m).",
        rich_help_panel=SOURCE_PANEL,
    ),
]


def build_sample_config(
    bootstrap_server: str | None = None,
    command_config: Path | None = None,
    overrides: Sequence[str] | None = None,
    topics: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    include_internal: bool = False,
    max_messages: int = 1000,
    start: str = "latest",
    follow: str | None = None,
    timeout: str = "10s",
    allow_partial: bool = False,
) -> SampleConfig:
    """Turn the shared source options into a :class:`SampleConfig`.

    Raises :class:`~inferrer.errors.UsageError` (exit 2) for bad values.
    """
    client = build_client_config(bootstrap_server, command_config, overrides or ())
    LOG.debug(
        "Kafka client settings: %s", "; ".join(f"{k}={v}" for k, v in client.masked().items())
    )
    seconds = parse_wait(timeout, "--timeout")
    if seconds <= 0:
        raise UsageError(f"invalid --timeout {timeout!r}: must be more than zero")
    return SampleConfig(
        client=client,
        topics=tuple(topics or ()),
        exclude=tuple(exclude or ()),
        include_internal=include_internal,
        max_messages=max_messages,
        start=parse_start(start),
        follow=parse_wait(follow, "--follow") if follow else 0.0,
        timeout=seconds,
        allow_partial=allow_partial,
    )
