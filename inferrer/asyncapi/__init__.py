"""AsyncAPI document building, bindings, update-in-place and deterministic I/O.

The document writer's public API::

    doc = build_document(summaries, metadata, DocumentOptions(...))
    text = dump_document(doc, "yaml")          # deterministic bytes
    write_atomic(path, text)                   # temp file + os.replace
    result = update_spec_file(path, summaries, metadata, options)   # --update
    report = validate_file(path)               # the official @asyncapi/parser
"""

from __future__ import annotations

from inferrer.asyncapi.build import DocumentOptions, ExamplesMode, build_document
from inferrer.asyncapi.io import AsyncAPIVersion, OutputFormat, dump_document, format_for_path
from inferrer.asyncapi.read import detect_version, load_document
from inferrer.asyncapi.update import UpdateResult, update_document, update_spec_file
from inferrer.asyncapi.validate import ValidationReport, validate_file, validate_files
from inferrer.atomic import write_atomic
from inferrer.redact import redact_example

__all__ = [
    "AsyncAPIVersion",
    "DocumentOptions",
    "ExamplesMode",
    "OutputFormat",
    "UpdateResult",
    "ValidationReport",
    "build_document",
    "detect_version",
    "dump_document",
    "format_for_path",
    "load_document",
    "redact_example",
    "update_document",
    "update_spec_file",
    "validate_file",
    "validate_files",
    "write_atomic",
]
