"""A small, read-only client of the Confluent Schema Registry REST API.

Only ``GET`` requests, plus the compatibility check (a ``POST`` that changes nothing).
Schemas are looked up by id once and kept in a bounded cache, misses included, so a
topic full of messages with an unknown id costs one request per id, not one per
message. Works with Confluent's registry and with others serving its API (Apicurio's
``/apis/ccompat/v7``): a 404 is "not found" whatever ``error_code`` comes with it.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from inferrer.errors import CouldNotRun
from inferrer.kafka.config import redact_known
from inferrer.registry.settings import RegistrySettings

if TYPE_CHECKING:
    import ssl
    import urllib.error

SchemaType = Literal["AVRO", "PROTOBUF", "JSON"]
SCHEMA_TYPES: Final[tuple[SchemaType, ...]] = ("AVRO", "PROTOBUF", "JSON")
MAX_CACHED: Final = 1024
"""Schemas kept by id (found or not); the least recently used go first."""
MAX_RESPONSE: Final = 16 * 1024 * 1024
_ACCEPT: Final = "application/vnd.schemaregistry.v1+json, application/json"


class RegistryError(CouldNotRun):
    """The Schema Registry answered with an error, or not in its API's shape."""


class RegistryUnreachable(RegistryError):
    """No address of the Schema Registry answered."""


class SchemaNotFound(RegistryError):
    """The registry holds no schema (or subject, or version) by that name or id."""


@dataclass(frozen=True, slots=True)
class Reference:
    """A schema's reference to another subject's version (an import, a named type)."""

    name: str
    subject: str
    version: int


@dataclass(frozen=True, slots=True)
class RegisteredSchema:
    """One schema as the registry holds it."""

    schema_type: SchemaType
    text: str
    references: tuple[Reference, ...] = ()


@dataclass(frozen=True, slots=True)
class SubjectVersion:
    """One version of a subject."""

    subject: str
    version: int
    id: int
    schema: RegisteredSchema


def _schema_of(body: Mapping[str, Any]) -> RegisteredSchema:
    text = body.get("schema")
    kind = body.get("schemaType", "AVRO") or "AVRO"
    if not isinstance(text, str) or kind not in SCHEMA_TYPES:
        raise RegistryError("the registry answered a schema without text or of an unknown type")
    refs = []
    for ref in body.get("references") or ():
        try:
            refs.append(Reference(str(ref["name"]), str(ref["subject"]), int(ref["version"])))
        except (KeyError, TypeError, ValueError) as e:
            raise RegistryError("the registry answered a malformed schema reference") from e
    return RegisteredSchema(schema_type=kind, text=text, references=tuple(refs))


class RegistryClient:
    """Read-only calls to one registry (its addresses tried in order)."""

    def __init__(self, settings: RegistrySettings, *, max_cached: int = MAX_CACHED) -> None:
        self.settings = settings
        self._max_cached = max_cached
        self._by_id: OrderedDict[int, RegisteredSchema | SchemaNotFound] = OrderedDict()
        self._versions: dict[tuple[str, int], SubjectVersion] = {}
        self._context = self._ssl_context()
        self.requests = 0
        """HTTP requests made so far (the cache's effect is measurable)."""

    def _ssl_context(self) -> ssl.SSLContext | None:
        s = self.settings
        if not any(u.startswith("https:") for u in s.urls):
            return None
        import ssl  # only for https registries: its import is a noticeable part of start-up

        context = ssl.create_default_context(cafile=s.ca_location)
        if s.certificate_location:
            context.load_cert_chain(s.certificate_location, s.key_location, s.key_password)
        return context

    def _request(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        # Loaded on the first request: a run without a registry (every run that only
        # imports the types here) does not pay for urllib.request's http and email.
        import urllib.error
        import urllib.request

        headers = {"Accept": _ACCEPT}
        if self.settings.user_info:
            token = base64.b64encode(self.settings.user_info.encode()).decode("ascii")
            headers["Authorization"] = "Basic " + token
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/vnd.schemaregistry.v1+json"
        last: str = "no address"
        for base in self.settings.urls:
            request = urllib.request.Request(base + path, data=data, headers=headers)
            self.requests += 1
            try:
                with urllib.request.urlopen(
                    request, timeout=self.settings.timeout, context=self._context
                ) as response:
                    raw = response.read(MAX_RESPONSE + 1)
            except urllib.error.HTTPError as e:
                raise self._http_error(e, path) from None
            except (urllib.error.URLError, OSError) as e:
                reason = getattr(e, "reason", e)
                last = redact_known(str(reason)) or e.__class__.__name__
                continue
            if len(raw) > MAX_RESPONSE:
                raise RegistryError(f"the registry's answer to {path} is larger than 16 MiB")
            try:
                return json.loads(raw)
            except ValueError as e:
                raise RegistryError(f"the registry's answer to {path} is not JSON") from e
        shown = ", ".join(self.settings.urls)
        raise RegistryUnreachable(f"the Schema Registry at {shown} did not answer: {last}")

    def _http_error(self, e: urllib.error.HTTPError, path: str) -> RegistryError:
        message = ""
        try:
            answer = json.loads(e.read(64 * 1024))
            if isinstance(answer, dict):
                message = str(answer.get("message", ""))[:200]
        except (ValueError, OSError):
            pass
        detail = f": {redact_known(message)}" if message else ""
        if e.code == 404:
            return SchemaNotFound(f"the registry has no {path}{detail}")
        if e.code in (401, 403):
            return RegistryError(
                f"the Schema Registry refused the credentials (HTTP {e.code}); "
                "check basic.auth.user.info"
            )
        return RegistryError(f"the Schema Registry answered HTTP {e.code} to {path}{detail}")

    # ------------------------------------------------------------ lookups

    def schema(self, schema_id: int) -> RegisteredSchema:
        """The schema with this id (cached). Raises :class:`SchemaNotFound`."""
        if schema_id in self._by_id:
            self._by_id.move_to_end(schema_id)
            got = self._by_id[schema_id]
            if isinstance(got, SchemaNotFound):
                raise got
            return got
        try:
            found: RegisteredSchema | SchemaNotFound = _schema_of(
                self._request(f"/schemas/ids/{schema_id}")
            )
        except SchemaNotFound:
            found = SchemaNotFound(f"the registry has no schema with id {schema_id}")
        self._by_id[schema_id] = found
        if len(self._by_id) > self._max_cached:
            self._by_id.popitem(last=False)
        if isinstance(found, SchemaNotFound):
            raise found
        return found

    def subjects(self) -> list[str]:
        """Every subject, sorted."""
        got = self._request("/subjects")
        if not isinstance(got, list):
            raise RegistryError("the registry's subject list is not a list")
        return sorted(str(s) for s in got)

    def versions(self, subject: str) -> list[int]:
        """The versions of a subject, ascending."""
        got = self._request(f"/subjects/{_quote(subject)}/versions")
        if not isinstance(got, list):
            raise RegistryError(f"the registry's versions of {subject} are not a list")
        return sorted(int(v) for v in got)

    def version(self, subject: str, version: int | Literal["latest"] = "latest") -> SubjectVersion:
        """One version of a subject (numbered versions are cached)."""
        if isinstance(version, int) and (subject, version) in self._versions:
            return self._versions[(subject, version)]
        got = self._request(f"/subjects/{_quote(subject)}/versions/{version}")
        if not isinstance(got, dict):
            raise RegistryError(f"the registry's answer for {subject} is not an object")
        try:
            found = SubjectVersion(
                subject=str(got.get("subject", subject)),
                version=int(got["version"]),
                id=int(got["id"]),
                schema=_schema_of(got),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise RegistryError(f"the registry's answer for {subject} lacks its id") from e
        self._versions[(subject, found.version)] = found
        return found

    def is_compatible(
        self, subject: str, schema: RegisteredSchema, version: int | Literal["latest"] = "latest"
    ) -> tuple[bool, tuple[str, ...]]:
        """The registry's verdict on ``schema`` against a version of ``subject``, with
        its reasons (Confluent's ``messages``, Apicurio's ``reason``)."""
        body: dict[str, Any] = {"schema": schema.text}
        if schema.schema_type != "AVRO":
            body["schemaType"] = schema.schema_type
        if schema.references:
            body["references"] = [
                {"name": r.name, "subject": r.subject, "version": r.version}
                for r in schema.references
            ]
        path = f"/compatibility/subjects/{_quote(subject)}/versions/{version}?verbose=true"
        got = self._request(path, body)
        if not isinstance(got, dict) or not isinstance(got.get("is_compatible"), bool):
            raise RegistryError("the registry's compatibility answer has no is_compatible")
        reasons = got.get("messages") or ([got["reason"]] if got.get("reason") else [])
        return got["is_compatible"], tuple(str(r) for r in reasons)


def _quote(subject: str) -> str:
    return urllib.parse.quote(subject, safe="")
