"""``infer-asyncapi infer`` (the default command): sample topics, write an AsyncAPI draft."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from inferrer.cli import app
from inferrer.cli.common import Command, handles_errors
from inferrer.cli.logs import LOG, info_enabled
from inferrer.cli.observations import FromObservations, SnapshotRetention, observation_source
from inferrer.cli.progress import sampling_progress
from inferrer.cli.source import NO_SOURCE_OPTIONS, SourceOptions, with_source_options
from inferrer.errors import UsageError

if TYPE_CHECKING:
    from inferrer.asyncapi.evidence import EvidenceMode

OUTPUT_PANEL = "Output"
DEFAULT_GROUP_TOPICS = 3
"""``--group-topics``' default: :data:`inferrer.asyncapi.families.DEFAULT_MIN_FAMILY` (a
test keeps them equal; the CLI does not import the document writer to show its help)."""


class DocFormat(StrEnum):
    yaml = "yaml"
    json = "json"


class AsyncAPIVersionChoice(StrEnum):
    v3_0 = "3.0.0"
    v3_1 = "3.1.0"
    v2_6 = "2.6.0"


class EvidenceChoice(StrEnum):
    inline = "inline"
    file = "file"
    none = "none"


class ExamplesChoice(StrEnum):
    redacted = "redacted"
    raw = "raw"
    none = "none"


@app.command("infer", cls=Command)
@handles_errors
@with_source_options(kinds=True)
def infer_command(
    source_options: SourceOptions = NO_SOURCE_OPTIONS,
    from_observations: FromObservations = None,
    snapshot_retention: SnapshotRetention = "7d",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write the document to FILE (atomically) instead of stdout.",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = None,
    fmt: Annotated[
        DocFormat | None,
        typer.Option(
            "--format",
            help="yaml or json. Default: from the -o/--update file name, else yaml.",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = None,
    asyncapi_version: Annotated[
        AsyncAPIVersionChoice,
        typer.Option(
            "--asyncapi-version",
            help="AsyncAPI version to write (with --update, the file's own version wins).",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = AsyncAPIVersionChoice.v3_0,
    examples: Annotated[
        ExamplesChoice,
        typer.Option(
            "--examples",
            help="redacted: real structure, placeholder values (default; no sampled data "
            "leaves the process); raw: sampled values; none: no examples.",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = ExamplesChoice.redacted,
    examples_per_message: Annotated[
        int,
        typer.Option(
            "--examples-per-message",
            metavar="N",
            min=1,
            max=3,
            help="Examples per message, 1 to 3 (default 1: one shows the structure).",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = 1,
    group_topics: Annotated[
        int,
        typer.Option(
            "--group-topics",
            metavar="N",
            min=0,
            help="Write topics that differ in one name segment and carry the same messages "
            "as one channel with a templated address (orders.{region}.created) when at "
            "least N of them do (default 3; 0: never).",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = DEFAULT_GROUP_TOPICS,
    evidence: Annotated[
        EvidenceChoice | None,
        typer.Option(
            "--evidence",
            help="Where the sample's evidence (sizes, first and last seen, field "
            "statistics) goes: file (NAME.evidence.json beside the document; the default "
            "with -o or --update), inline (x-inferrer-* extensions in the document), or "
            "none (the default on stdout).",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = None,
    title: Annotated[
        str,
        typer.Option(
            "--title",
            metavar="TEXT",
            help="info.title of the document.",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = "Inferred Kafka events",
    info_version: Annotated[
        str,
        typer.Option(
            "--info-version",
            metavar="VERSION",
            help="info.version: the version of the described API.",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = "0.1.0",
    contact: Annotated[
        str | None,
        typer.Option(
            "--contact",
            metavar="NAME[,EMAIL][,URL]",
            help="info.contact: who owns these topics, e.g. "
            "'Payments team,payments@example.com,https://wiki.example.com/payments'.",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = None,
    license_: Annotated[
        str | None,
        typer.Option(
            "--license",
            metavar="NAME[,URL]",
            help="info.license, e.g. 'Apache-2.0,https://www.apache.org/licenses/LICENSE-2.0' "
            "(AsyncAPI 2.6's ruleset warns without contact and license).",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = None,
    server_name: Annotated[
        str | None,
        typer.Option(
            "--server-name",
            metavar="NAME",
            help="Id of the server in the document. Default: the bootstrap host's first "
            "label (local for this machine).",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = None,
    update: Annotated[
        Path | None,
        typer.Option(
            "--update",
            metavar="SPEC",
            help="Merge the inference into this existing spec and rewrite it in place, "
            "keeping everything a human wrote; fields no longer seen are reported, not deleted.",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = None,
    summary: Annotated[
        bool | None,
        typer.Option(
            "--summary/--no-summary",
            help="Print a table of topics and event kinds on stderr. Default: on when "
            "writing to a file.",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = None,
) -> None:
    """Sample topics (read-only) and write the AsyncAPI document that describes them.

    Example: infer-asyncapi --topics 'bank.*' -b localhost:9092 -o asyncapi.yaml
    """
    if update is not None and output is not None:
        raise UsageError("--update rewrites SPEC in place; do not combine it with -o")
    target = update or output
    # Beside a regular file only: a FIFO or /dev/null is written through, as stdout is.
    beside = target is not None and (not target.exists() or target.is_file())
    evidence_mode: EvidenceMode = evidence.value if evidence else ("file" if beside else "none")
    if evidence_mode == "file" and target is None:
        raise UsageError("--evidence file writes NAME.evidence.json beside -o NAME; give -o")
    # Imported here, not at the top: `infer --help` needs none of them.
    from inferrer.asyncapi import DocumentOptions, dump_document, format_for_path, write_atomic
    from inferrer.asyncapi.build import parse_contact, parse_license
    from inferrer.asyncapi.evidence import dump_evidence, evidence_path
    from inferrer.cli.summary import print_summary
    from inferrer.pipeline import infer

    options = DocumentOptions(
        title=title,
        version=info_version,
        asyncapi_version=asyncapi_version.value,
        examples=examples.value,
        examples_per_message=examples_per_message,
        server_name=server_name,
        contact=parse_contact(contact) if contact else None,
        license=parse_license(license_) if license_ else None,
        evidence=evidence_mode,
        group_topics=group_topics,
    )
    name = target.name if target else None
    if from_observations is not None:
        observed = observation_source(from_observations, source_options, snapshot_retention)
        result = infer(observed, options, update=update, document_name=name)
    else:
        source = source_options.source()
        with sampling_progress() as progress:
            result = infer(source, options, update=update, progress=progress, document_name=name)
    for warning in result.warnings:
        LOG.warning("%s", warning)
    doc_format = fmt.value if fmt else (format_for_path(target) if target else "yaml")
    if update is not None:
        # Written over the file a person edited: its comments and layout are kept.
        from inferrer.asyncapi.roundtrip import render_update

        text = render_update(update.read_text(encoding="utf-8"), result.document, doc_format)
    else:
        text = dump_document(result.document, doc_format)
    if target is None:
        sys.stdout.write(text)
    else:
        if result.evidence is not None:
            evidence_file = evidence_path(target)
            write_atomic(evidence_file, dump_evidence(result.evidence))
            LOG.info("wrote %s", evidence_file)
        write_atomic(target, text)
    if summary if summary is not None else target is not None and info_enabled():
        print_summary(result.summaries, result.metadata)
    if result.unobserved:
        LOG.info(
            "%d documented field(s) not seen in this sample (kept in the spec):",
            len(result.unobserved),
        )
        for pointer in result.unobserved:
            LOG.info("  %s", pointer)
    if target is not None:
        LOG.info("wrote %s", target)
