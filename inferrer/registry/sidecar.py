"""The writer schemas a capture used, kept beside it (``x.jsonl`` → ``x.schemas.json``).

``record`` writes the schemas it decoded framed messages with (and the subject
versions their references name, and where each id sits in the registry), so that
``infer --from-file`` and ``diff --from-file`` describe framed traffic offline. The
file is JSON, sorted, written atomically; schema texts are the registry's own.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from inferrer.atomic import atomic_binary_writer
from inferrer.documents import load_json_file
from inferrer.errors import CaptureError
from inferrer.records import Record
from inferrer.registry import schemas_path
from inferrer.registry.client import (
    SCHEMA_TYPES,
    Reference,
    RegisteredSchema,
    RegistryClient,
    SchemaNotFound,
    SubjectVersion,
)
from inferrer.registry.document import Located

SCHEMAS_FORMAT: Final = "inferrer-capture-schemas"
SCHEMAS_VERSION: Final = 1
SIDECAR: Final = "schema sidecar"


def _schema_json(schema: RegisteredSchema) -> dict[str, Any]:
    out: dict[str, Any] = {"schemaType": schema.schema_type, "schema": schema.text}
    if schema.references:
        out["references"] = [
            {"name": r.name, "subject": r.subject, "version": r.version} for r in schema.references
        ]
    return out


def _schema_from(obj: Any, where: str) -> RegisteredSchema:
    if not isinstance(obj, dict) or obj.get("schemaType") not in SCHEMA_TYPES:
        raise CaptureError(f"{where}: a schema entry without a known schemaType")
    if not isinstance(obj.get("schema"), str):
        raise CaptureError(f"{where}: a schema entry without its text")
    try:
        refs = tuple(
            Reference(str(r["name"]), str(r["subject"]), int(r["version"]))
            for r in obj.get("references", ())
        )
    except (KeyError, TypeError, ValueError) as e:
        raise CaptureError(f"{where}: a malformed schema reference") from e
    return RegisteredSchema(obj["schemaType"], obj["schema"], refs)


class SidecarSchemas:
    """Writer schemas read from capture sidecars (a :class:`SchemaSource`), with a
    registry behind them for ids the sidecars lack (when one is given)."""

    def __init__(self, registry: RegistryClient | None = None) -> None:
        self.registry = registry
        self.by_id: dict[int, RegisteredSchema] = {}
        self.versions: dict[tuple[str, int], SubjectVersion] = {}
        self.located: dict[int, Located | None] = {}

    def __bool__(self) -> bool:
        return bool(self.by_id) or self.registry is not None

    def schema(self, schema_id: int) -> RegisteredSchema:
        if schema_id in self.by_id:
            return self.by_id[schema_id]
        if self.registry is None:
            raise SchemaNotFound(f"no schema with id {schema_id} in the capture's schema sidecar")
        got = self.registry.schema(schema_id)
        self.by_id[schema_id] = got
        return got

    def version(self, subject: str, version: int) -> SubjectVersion:
        if (subject, version) in self.versions:
            return self.versions[(subject, version)]
        if self.registry is None:
            raise SchemaNotFound(f"no version {version} of {subject} in the schema sidecar")
        got = self.registry.version(subject, version)
        self.versions[(subject, version)] = got
        return got

    def read(self, capture: str | os.PathLike[str]) -> None:
        """Add the schemas of a capture's sidecar, if it has one."""
        path = schemas_path(capture)
        if not path.exists():
            return
        data = load_json_file(
            path, SIDECAR, CaptureError, version=SCHEMAS_VERSION, format=SCHEMAS_FORMAT
        )
        try:
            self._add(data, str(path))
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise CaptureError(f"{path} is not a valid {SIDECAR}: {e!r}") from e

    def _add(self, data: Mapping[str, Any], where: str) -> None:
        for key, obj in (data.get("schemas") or {}).items():
            self.by_id.setdefault(int(key), _schema_from(obj, where))
        for obj in data.get("versions") or ():
            sv = SubjectVersion(
                str(obj["subject"]), int(obj["version"]), int(obj["id"]), _schema_from(obj, where)
            )
            self.versions.setdefault((sv.subject, sv.version), sv)
        for key, obj in (data.get("located") or {}).items():
            self.located.setdefault(
                int(key), Located(str(obj["subject"]), int(obj["version"]), str(obj["strategy"]))
            )


def read_sidecars(
    captures: Iterable[str | os.PathLike[str]], registry: RegistryClient | None
) -> SidecarSchemas:
    """The schema sidecars of some capture files, with ``registry`` behind them."""
    found = SidecarSchemas(registry)
    for capture in captures:
        found.read(capture)
    return found


def write_sidecar(
    capture: str | os.PathLike[str],
    schemas: Mapping[int, RegisteredSchema],
    versions: Iterable[SubjectVersion],
    located: Mapping[int, Located | None],
) -> Path | None:
    """Write the schema sidecar of a capture (atomically); None when there is nothing."""
    if not schemas:
        return None
    body = {
        "format": SCHEMAS_FORMAT,
        "version": SCHEMAS_VERSION,
        "schemas": {str(i): _schema_json(s) for i, s in sorted(schemas.items())},
        "versions": [
            {"subject": v.subject, "version": v.version, "id": v.id, **_schema_json(v.schema)}
            for v in sorted(versions, key=lambda v: (v.subject, v.version))
        ],
        "located": {
            str(i): {"subject": w.subject, "version": w.version, "strategy": w.strategy}
            for i, w in sorted(located.items())
            if w is not None
        },
    }
    path = schemas_path(capture)
    with atomic_binary_writer(path) as fh:
        fh.write((json.dumps(body, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return path


def record_schemas(
    capture: str | os.PathLike[str], records: Iterable[Record], client: RegistryClient
) -> Path | None:
    """Look up the writer schema of every framed key and value of ``records`` (and where
    it sits in the registry), and write them as ``capture``'s schema sidecar."""
    from inferrer.registry.document import locate
    from inferrer.registry.framed import FramedDecoder, Part
    from inferrer.registry.schemas import framed_id

    schemas = SidecarSchemas(client)
    framed = FramedDecoder(schemas)
    wanted: dict[int, tuple[str, Part]] = {}
    for rec in records:
        for part, data in (("key", rec.key), ("value", rec.value)):
            schema_id = framed_id(data)
            if schema_id is not None and schema_id not in wanted:
                wanted[schema_id] = (rec.topic, "key" if part == "key" else "value")
    located: dict[int, Located | None] = {}
    for schema_id, (topic, part) in sorted(wanted.items()):
        if framed.prepare(schema_id) is not None:
            located[schema_id] = locate(client, topic, part, framed.names.get(schema_id), schema_id)
    return write_sidecar(capture, framed.schemas, schemas.versions.values(), located)
