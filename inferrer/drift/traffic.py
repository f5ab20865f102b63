"""Spec against traffic: topics, kinds, bindings and field-level checks of messages.

The committed spec is the reader: every decoded message is matched to a
documented message (by event kind or discriminator value) and walked alongside
its schema, once, counting what the schema does not expect. Full jsonschema
validation is bounded: the first ``max_validations_per_kind`` messages of a
kind, plus the first message of every further distinct shape. A validation
error a field finding explains is reported by that finding only; the rest make
the kind's ``validation-failure``.

The walk runs in the compiled core while it folds (``crates/inferrer-core/src/
check.rs``; :class:`CoreTraffic` is what it counted); the walk over decoded messages
here is the reference it is tested against, and the path for a spec the core cannot
check. Validation of the evidence and the findings themselves are made here for both.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal, cast

import jsonschema
import jsonschema.exceptions
import jsonschema.validators

from inferrer.drift.findings import FindingCollector
from inferrer.drift.model import DriftReport, Evidence, Where
from inferrer.drift.options import DiffOptions
from inferrer.drift.rules import RuleId
from inferrer.drift.schemas import enum_values, schema_types, type_accepts
from inferrer.drift.spec import SpecChannel, SpecMessage, SpecView, normalize_spec
from inferrer.errors import SpecError
from inferrer.inference.rules import (
    FORMATS,
    is_data_key,
    is_enum_token,
    is_id_name,
    is_personal_name,
    match_formats,
)
from inferrer.jsonpointer import escape_token, join_pointer, unescape_token
from inferrer.model import DecodedMessage, KindSummary, TopicMetadata, TopicSummary, json_type
from inferrer.redact import redact_example
from inferrer.validation import fast_validator

if TYPE_CHECKING:
    from inferrer.registry.framed import FramedDecoder

Hit = Literal[
    "type-mismatch",
    "null-appearing",
    "required-missing",
    "enum-value-new",
    "format-violation",
    "property-new",
    "property-new-closed-model",
]
"""What the field walk counts per path (here and in the core's ``check.rs``): each a rule
id but ``type-mismatch``, which becomes ``traffic-type-widened`` or
``traffic-type-changed`` once every type seen at the path is known."""

PRESENCE_KEYS = ("x-presence-ratio", "x-presence")
"""Schema extensions read as the documented presence ratio of a property."""
MAX_ARRAY_ITEMS_WALKED = 100

UNREAD_ENCODINGS: Final = frozenset({"binary", "avro", "protobuf"})
"""Payload encodings whose values were not read (the core checks the same set)."""


MAX_EXAMPLE_ITEMS = 3
"""Array items kept in a report's example; the rest are cut to keep reports small."""


def trim_example(value: Any) -> Any:
    """``value`` with every array cut to its first :data:`MAX_EXAMPLE_ITEMS` items."""
    if isinstance(value, dict):
        return {k: trim_example(v) for k, v in value.items()}
    if isinstance(value, list):
        return [trim_example(v) for v in value[:MAX_EXAMPLE_ITEMS]]
    return value


def matches_format(fmt: str, value: str) -> bool | None:
    """True/False when ``fmt`` is one inference detects (the same strict rules, so a
    spec inferrer wrote never flags its own traffic), None for formats it does not know."""
    if fmt not in FORMATS:
        return None
    return bool(match_formats(value, 1 << FORMATS.index(fmt)))


def _fits(allowed: frozenset[str] | None, value: Any) -> bool:
    t = json_type(value)
    if type_accepts(allowed, t):
        return True
    # 1.0 is an integer for JSON Schema.
    return (
        t == "number" and allowed is not None and "integer" in allowed and float(value).is_integer()
    )


def _key(value: Any) -> str:
    """A value's canonical JSON (the core's ``canonical_json``): compact, keys sorted."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _keep_value(values: Counter[str], key: str, most: int) -> None:
    """Count ``key`` among at most ``most`` values: the smallest keys win, so the values
    kept (and their counts, always complete) do not depend on the order of messages."""
    if key in values:
        values[key] += 1
        return
    if len(values) >= most:
        largest = max(values, default=None)
        if largest is None or key > largest:
            return
        del values[largest]
    values[key] = 1


def shape_of(value: Any) -> Any:
    """A hashable structural signature: keys in order, array lengths and JSON types
    (integral floats apart), never values. Two values of one shape walk alike."""
    if isinstance(value, Mapping):
        return tuple((str(k), shape_of(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ("[]", *(shape_of(v) for v in list(value)[:MAX_ARRAY_ITEMS_WALKED]))
    if isinstance(value, float) and value.is_integer():
        return "number:integral"
    return json_type(value)


def _value_at(value: Any, tokens: tuple[str | int, ...]) -> Any:
    for token in tokens:
        value = value[token]
    return value


def _presence_hint(schema: Any) -> float | None:
    """The documented presence ratio of a property, when the schema carries one."""
    if isinstance(schema, Mapping):
        for key in PRESENCE_KEYS:
            ratio = schema.get(key)
            if isinstance(ratio, (int, float)) and not isinstance(ratio, bool):
                return float(ratio)
    return None


@dataclass
class _Recorder:
    """The structural effects of walking one shape, to replay for its repeats."""

    counts: list[tuple[Counter[str], str]] = field(default_factory=list)
    hits: list[tuple[Hit, str, str | None]] = field(default_factory=list)
    sites: list[tuple[tuple[str | int, ...], Mapping[str, Any], str, str]] = field(
        default_factory=list
    )
    repeats: int = 0


_MISSING: Final = object()


def _discriminator_at(value: Mapping[str, Any], field: str) -> Any:
    """A message's discriminator value: a top-level field, or a JSON pointer
    (``/metadata/type``) for one nested in a record; ``_MISSING`` when absent."""
    if not field.startswith("/"):
        return value.get(field, _MISSING)
    node: Any = value
    for token in field[1:].split("/"):
        if not isinstance(node, Mapping):
            return _MISSING
        node = node.get(unescape_token(token), _MISSING)
        if node is _MISSING:
            return _MISSING
    return node


def match_message(channel: SpecChannel, kind: str | None, value: Any) -> SpecMessage | None:
    """The documented message a decoded message belongs to, or None for an unknown kind."""
    messages = channel.messages
    if kind is not None:
        if kind in messages:
            return messages[kind]
        for m in messages.values():
            if kind in (m.name, m.id, m.discriminator_value):
                return m
    if isinstance(value, Mapping):
        for m in messages.values():
            if (
                m.discriminator
                and m.discriminator_value is not None
                and (found := _discriminator_at(value, m.discriminator)) is not _MISSING
                and str(found) == m.discriminator_value
            ):
                return m
    if len(messages) == 1:
        only = next(iter(messages.values()))
        if only.discriminator_value is None or kind is None:
            return only
    return None


def documented_kinds(
    view: SpecView, summaries: Iterable[TopicSummary]
) -> Iterator[tuple[TopicSummary, KindSummary, SpecMessage | None]]:
    """Each kind seen on a documented topic, with the documented message it belongs to
    (None for a kind the spec does not document)."""
    for s in summaries:
        channel = view.channels.get(s.topic)
        if channel is None:
            continue
        for kind in s.kinds:
            yield s, kind, match_message(channel, kind.discriminator_value or kind.name, None)


@dataclass
class _Example:
    partition: int | None
    offset: int | None
    value: Any

    def evidence(
        self, count: int, ratio: float | None, schema: Mapping[str, Any] | None = None
    ) -> Evidence:
        """The evidence of a finding, its example redacted with ``schema`` (the schema of
        the place the example is a value of): map keys, undeclared keys that are data and
        every leaf value replaced, enum values of the schema kept."""
        return Evidence(
            count=count,
            ratio=None if ratio is None else round(ratio, 6),
            partition=self.partition,
            offset=self.offset,
            example=redact_example(trim_example(self.value), schema),
        )


@dataclass
class _PathCounts:
    count: int = 0
    example: _Example | None = None
    values: Counter[str] = field(default_factory=Counter)
    pointer: str = ""


class _SchemaCheck:
    """Walks values of one place (payload, key or headers) of one kind along its schema."""

    def __init__(
        self,
        schema: Mapping[str, Any],
        base_pointer: str,
        where: Where,
        collector: FindingCollector,
    ) -> None:
        self.schema = schema
        self.base = base_pointer
        self.where = where
        self.options = collector.options
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
        try:
            cls.check_schema(dict(schema))
        except jsonschema.exceptions.SchemaError as e:
            raise SpecError(
                f"spec {self.options.spec_label} at {base_pointer}: not a valid JSON Schema: "
                f"{e.message}"
            ) from e
        self.validator = cls(schema)
        self.fast = fast_validator(schema)
        self.n = 0
        self.validated = 0
        self.failures: dict[tuple[tuple[str, frozenset[_Explanation | None]], ...], _Failures] = {}
        self.shapes: set[Any] = set()
        self.present: Counter[str] = Counter()
        self.opportunities: Counter[str] = Counter()
        self.documented: dict[str, tuple[str, bool, float | None]] = {}
        self.ok_types: dict[str, set[str]] = {}
        self.allowed: dict[str, frozenset[str] | None] = {}
        self.checks: dict[tuple[Hit, str], _PathCounts] = {}
        self.format_checked: Counter[str] = Counter()
        self.enums: dict[str, list[Any]] = {}
        self.recorded: dict[Any, _Recorder] = {}

    def _hit(
        self,
        rule: Hit,
        path: str,
        pointer: str,
        example: _Example,
        rec: _Recorder | None,
        type_name: str | None = None,
    ) -> _PathCounts:
        counts = self.checks.get((rule, path))
        if counts is None:
            counts = self.checks[(rule, path)] = _PathCounts(pointer=pointer)
        counts.count += 1
        if type_name is not None:
            counts.values[type_name] += 1
        if counts.example is None:
            counts.example = example
        if rec is not None:
            rec.hits.append((rule, path, type_name))
        return counts

    def _count(self, counter: Counter[str], key: str, rec: _Recorder | None) -> None:
        counter[key] += 1
        if rec is not None:
            rec.counts.append((counter, key))

    def observe(self, value: Any, msg: DecodedMessage) -> None:
        self.n += 1
        example = _Example(msg.partition, msg.offset, value)
        shape = shape_of(value)
        new_shape = shape not in self.shapes and len(self.shapes) < self.options.max_shapes_per_kind
        if new_shape:
            self.shapes.add(shape)
        if new_shape or self.validated < self.options.max_validations_per_kind:
            self._validate(value, example)
        if not self.options.reuse_shapes:
            self._walk(value, self.schema, "", "", example, (), None)
            return
        # The structural effects of a walk depend only on the shape: walk each shape
        # once, replay its effects for later messages of that shape, and check only
        # the values that need checking (enums, formats).
        recorded = self.recorded.get(shape)
        if recorded is not None:
            recorded.repeats += 1
            for tokens, node, path, pointer in recorded.sites:
                self._check_value(_value_at(value, tokens), node, path, pointer, example)
            return
        rec = _Recorder() if len(self.recorded) < self.options.max_shapes_per_kind else None
        self._walk(value, self.schema, "", "", example, (), rec)
        if rec is not None:
            self.recorded[shape] = rec

    def load(self, state: Mapping[str, Any]) -> None:
        """Take the counts the core's check made of this place (``check_results``), and
        validate its evidence: the same state :meth:`observe` builds message by message."""
        self.n = state["n"]
        self.present = Counter(state["present"])
        self.opportunities = Counter(state["opportunities"])
        self.format_checked = Counter(state["format_checked"])
        self.documented = {p: tuple(d) for p, d in state["documented"].items()}
        self.ok_types = {p: set(types) for p, types in state["ok_types"].items()}
        self.allowed = {
            p: None if types is None else frozenset(types) for p, types in state["allowed"].items()
        }
        self.enums = dict(state["enums"])
        for rule, path, count, values, (partition, offset, value), pointer in state["checks"]:
            counts = _PathCounts(count=count, example=_Example(partition, offset, value))
            counts.pointer = pointer
            counts.values = Counter(values)
            self.checks[(cast(Hit, rule), path)] = counts
        for partition, offset, value in state["evidence"]:
            self._validate(value, _Example(partition, offset, value))

    def _replay(self) -> None:
        """Apply the recorded structural effects of repeated shapes (once, before emit)."""
        for rec in self.recorded.values():
            if not rec.repeats:
                continue
            for counter, key in rec.counts:
                counter[key] += rec.repeats
            for rule, path, type_name in rec.hits:
                counts = self.checks[(rule, path)]
                counts.count += rec.repeats
                if type_name is not None:
                    counts.values[type_name] += rec.repeats
            rec.repeats = 0

    def _validate(self, value: Any, example: _Example) -> None:
        self.validated += 1
        if self.fast is not None and self.fast.is_valid(value):
            return
        causes: dict[str, set[_Explanation | None]] = {}
        for error in self.validator.iter_errors(value):
            causes.setdefault(_reason(error), set()).add(_explanation(error))
        if causes:
            signature = tuple(sorted((r, frozenset(c)) for r, c in causes.items()))
            if signature not in self.failures:
                self.failures[signature] = _Failures(example=example)
            self.failures[signature].count += 1

    def _explained(self, explanation: _Explanation | None) -> bool:
        """Whether a field finding of this place explains one validation error."""
        if explanation is None:
            return False
        return all(any(key in self.checks for key in group) for group in explanation)

    def _unexplained(self) -> tuple[int, Counter[str], _Example | None]:
        """Validated messages with a failure no field finding explains: how many, their
        unexplained reasons, the first of them."""
        failed = 0
        reasons: Counter[str] = Counter()
        first: _Example | None = None
        for signature, failures in self.failures.items():
            left = [r for r, causes in signature if not all(map(self._explained, causes))]
            if not left:
                continue
            failed += failures.count
            for reason in left:
                reasons[reason] += failures.count
            if first is None:  # failures are kept in the order they first occurred
                first = failures.example
        return failed, reasons, first

    def _check_value(
        self, value: Any, node: Mapping[str, Any], path: str, pointer: str, example: _Example
    ) -> None:
        """The value-dependent checks of one place: enum membership and format."""
        enum = enum_values(node)
        if enum is not None and _key(value) not in {_key(v) for v in enum}:
            self.enums.setdefault(path, enum)
            counts = self._hit("enum-value-new", path, pointer, example, None)
            _keep_value(counts.values, _key(value), self.options.max_enum_values)
        fmt = node.get("format")
        if isinstance(fmt, str) and isinstance(value, str):
            verdict = matches_format(fmt, value)
            if verdict is not None:
                self.format_checked[path] += 1
                if not verdict:
                    self._hit("format-violation", path, pointer, example, None, fmt)

    def _walk(
        self,
        value: Any,
        node: Any,
        fpath: str,
        spath: str,
        example: _Example,
        tokens: tuple[str | int, ...],
        rec: _Recorder | None,
    ) -> None:
        if not isinstance(node, Mapping) or not node:
            return
        for union in ("anyOf", "oneOf"):
            if "type" not in node and isinstance(node.get(union), list):
                for i, sub in enumerate(node[union]):
                    if isinstance(sub, Mapping) and _fits(schema_types(sub), value):
                        self._walk(value, sub, fpath, f"{spath}/{union}/{i}", example, tokens, rec)
                        return
        path = fpath or "/"
        pointer = self.base + spath
        allowed = schema_types(node)
        self._count(self.present, path, rec)
        self.allowed.setdefault(path, allowed)
        if value is None:
            enum = enum_values(node)
            if allowed is not None and "null" not in allowed and not (enum and None in enum):
                self._hit("null-appearing", path, pointer, example, rec)
            return
        if not _fits(allowed, value):
            self._hit("type-mismatch", path, pointer, example, rec, json_type(value))
            return
        self.ok_types.setdefault(path, set()).add(json_type(value))
        if "enum" in node or "const" in node or "format" in node:
            self._check_value(value, node, path, pointer, example)
            if rec is not None:
                rec.sites.append((tokens, node, path, pointer))
        if isinstance(value, Mapping):
            self._walk_object(value, node, fpath, spath, example, tokens, rec)
        elif isinstance(value, (list, tuple)):
            items = node.get("items")
            if isinstance(items, Mapping):
                for i, item in enumerate(list(value)[:MAX_ARRAY_ITEMS_WALKED]):
                    self._walk(
                        item, items, f"{fpath}/*", f"{spath}/items", example, (*tokens, i), rec
                    )

    def _walk_object(
        self,
        value: Mapping[str, Any],
        node: Mapping[str, Any],
        fpath: str,
        spath: str,
        example: _Example,
        tokens: tuple[str | int, ...],
        rec: _Recorder | None,
    ) -> None:
        props = node.get("properties") or {}
        required = set(node.get("required") or [])
        for name, sub in props.items():
            child = f"{fpath}/{escape_token(name)}"
            child_spath = f"{spath}/properties/{escape_token(name)}"
            self._count(self.opportunities, child, rec)
            if child not in self.documented:
                self.documented[child] = (
                    self.base + child_spath,
                    name in required,
                    _presence_hint(sub),
                )
            if name in value:
                self._walk(value[name], sub, child, child_spath, example, (*tokens, name), rec)
            elif name in required:
                self._hit("required-missing", child, self.base + child_spath, example, rec)
        patterns = node.get("patternProperties") or {}
        extra = node.get("additionalProperties")
        for name in value:
            if name in props:
                continue
            key = str(name)
            sub_tokens = (*tokens, key)
            matched = False
            for pattern, sub in patterns.items():
                try:
                    found = re.search(pattern, key) is not None
                except re.error:
                    continue
                if found:
                    self._walk(
                        value[name],
                        sub,
                        f"{fpath}/{{}}",
                        f"{spath}/patternProperties/{escape_token(pattern)}",
                        example,
                        sub_tokens,
                        rec,
                    )
                    matched = True
                    break
            if matched:
                continue
            child = f"{fpath}/{escape_token(key)}"
            child_pointer = f"{self.base}{spath}/properties/{escape_token(key)}"
            if isinstance(extra, Mapping):
                self._walk(
                    value[name],
                    extra,
                    f"{fpath}/{{}}",
                    f"{spath}/additionalProperties",
                    example,
                    sub_tokens,
                    rec,
                )
            elif extra is False:
                self._hit(
                    "property-new-closed-model",
                    child,
                    child_pointer,
                    example,
                    rec,
                    json_type(value[name]),
                )
            else:
                self._hit(
                    "property-new", child, child_pointer, example, rec, json_type(value[name])
                )

    def emit(self, out: FindingCollector, channel: str, kind: str) -> None:
        """Turn the counts into findings."""
        self._replay()
        label = f"{channel} {kind} {self.where}"

        def add(
            rule: RuleId, pointer: str, text: str, before: Any, after: Any, ev: Evidence
        ) -> None:
            out.add(
                rule,
                self.where,
                pointer,
                f"{label} {text}",
                channel=channel,
                kind=kind,
                before=before,
                after=after,
                evidence=ev,
            )

        # One finding per root cause: failures a field finding below explains are
        # reported there only; validation-failure keeps the rest.
        failed, reasons, first = self._unexplained()
        if failed and first is not None:
            top = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
            top = top[: self.options.top_reasons]
            ratio = failed / self.validated
            shown = "; ".join(f"{r} ({c})" for r, c in top)
            add(
                "validation-failure",
                self.base,
                f"{failed} of {self.validated} validated messages fail the committed "
                f"schema ({ratio:.1%}) for reasons no field finding explains; top reasons: "
                f"{shown}",
                None,
                {
                    "validated": self.validated,
                    "failed": failed,
                    "top_reasons": [{"reason": r, "count": c} for r, c in top],
                },
                first.evidence(failed, ratio, self.schema),
            )
        for (rule, path), counts in sorted(_fold_data_keys(self.checks).items()):
            assert counts.example is not None
            present = self.present.get(path, 0)
            if rule == "type-mismatch":
                ok = self.ok_types.get(path, set())
                allowed = self.allowed.get(path)
                seen = sorted(ok | set(counts.values))
                add(
                    "traffic-type-widened" if ok else "traffic-type-changed",
                    counts.pointer,
                    f"{path}: type {sorted(allowed or [])} documented, {seen} seen "
                    f"({counts.count} of {present} values)",
                    sorted(allowed or []),
                    seen,
                    counts.example.evidence(
                        counts.count, counts.count / max(present, 1), self.schema
                    ),
                )
            elif rule == "null-appearing":
                add(
                    rule,
                    counts.pointer,
                    f"{path}: null in {counts.count} of {present} values",
                    sorted(self.allowed.get(path) or []),
                    [*sorted(self.allowed.get(path) or []), "null"],
                    counts.example.evidence(
                        counts.count, counts.count / max(present, 1), self.schema
                    ),
                )
            elif rule == "required-missing":
                opportunities = self.opportunities.get(path, 0)
                add(
                    rule,
                    counts.pointer,
                    f"{path}: required but missing in {counts.count} of {opportunities} messages",
                    "required",
                    "missing",
                    counts.example.evidence(
                        counts.count, counts.count / max(opportunities, 1), self.schema
                    ),
                )
            elif rule == "enum-value-new":
                new_values = _shownenum_values(path, [json.loads(v) for v in sorted(counts.values)])
                add(
                    rule,
                    counts.pointer,
                    f"{path}: {counts.count} values outside the documented enum",
                    self.enums.get(path),
                    new_values,
                    counts.example.evidence(
                        counts.count, counts.count / max(present, 1), self.schema
                    ),
                )
            elif rule == "format-violation":
                checked = self.format_checked.get(path, 0)
                fmt = sorted(counts.values)[0]
                add(
                    rule,
                    counts.pointer,
                    f"{path}: {counts.count} of {checked} values do not match format {fmt}",
                    fmt,
                    None,
                    counts.example.evidence(
                        counts.count, counts.count / max(checked, 1), self.schema
                    ),
                )
            elif rule in ("property-new", "property-new-closed-model") and path.endswith("/{}"):
                add(
                    rule,
                    counts.pointer,
                    f"{path}: undocumented keys that are data (map keys) in {counts.count} "
                    f"places of {self.n} messages",
                    None,
                    {"types": sorted(counts.values)},
                    counts.example.evidence(
                        counts.count, min(1.0, counts.count / max(self.n, 1)), self.schema
                    ),
                )
            elif rule in ("property-new", "property-new-closed-model"):
                add(
                    rule,
                    counts.pointer,
                    f"{path}: undocumented property in {counts.count} of {self.n} messages",
                    None,
                    {"types": sorted(counts.values)},
                    counts.example.evidence(
                        counts.count, counts.count / max(self.n, 1), self.schema
                    ),
                )
        for path, (pointer, required, hint) in sorted(self.documented.items()):
            opportunities = self.opportunities[path]
            if self.present.get(path, 0) or required or not opportunities:
                continue
            clear = (
                hint is not None
                and 0 < hint <= 1
                and (1 - hint) ** opportunities < (self.options.absence_p_value)
            )
            text = "absent" if clear else "not observed"
            add(
                "property-absent" if clear else "property-unobserved",
                pointer,
                f"{path}: {text} in {opportunities} messages",
                {"presence_ratio": hint},
                {"present": 0, "of": opportunities},
                Evidence(count=opportunities, ratio=0.0),
            )


def _fold_data_keys(
    checks: Mapping[tuple[Hit, str], _PathCounts],
) -> dict[tuple[Hit, str], _PathCounts]:
    """Undocumented properties whose names are data (card numbers, ids, dates as keys of
    an object the spec does not declare a map) folded into one ``{}`` entry per object:
    one finding per root cause, and no sampled key in the report."""
    out: dict[tuple[Hit, str], _PathCounts] = {}
    for (rule, path), counts in sorted(checks.items()):
        if rule in ("property-new", "property-new-closed-model"):
            parent, _, name = path.rpartition("/")
            if is_data_key(unescape_token(name)):
                path = f"{parent}/{{}}"
                base = counts.pointer.rpartition("/properties/")[0]
                folded = out.get((rule, path))
                if folded is None:
                    folded = out[(rule, path)] = _PathCounts(
                        example=counts.example, pointer=f"{base}/additionalProperties"
                    )
                folded.count += counts.count
                folded.values.update(counts.values)
                continue
        out[(rule, path)] = counts
    return out


def _shownenum_values(path: str, values: list[Any]) -> list[Any]:
    """New values of a documented enum as the report shows them: a value the enum rule
    could accept (a code-like token of a field that names neither an id nor personal
    data) as it is, any other value as ``"<redacted>"``."""
    name = unescape_token(path.rpartition("/")[2])
    open_field = is_id_name(name) or is_personal_name(name)
    shown = [
        v if isinstance(v, str) and not open_field and is_enum_token(v) else "<redacted>"
        for v in values
    ]
    return sorted(set(shown), key=shown.index)


_Explanation = tuple[tuple[tuple[Hit, str], ...], ...]
"""The field findings that would explain one validation error: ``(rule, path)`` keys
in groups; the error is explained when every group has one of its keys found."""


@dataclass
class _Failures:
    """Validated messages that failed with one same set of reasons."""

    example: _Example
    count: int = 0


def _field_path(schema_path: Sequence[Any]) -> str | None:
    """The walk's field path of a schema location (``""`` for the root), or None when the
    walk does not go there (allOf, not, if/then/else, tuple items, ...)."""
    parts: list[str] = []
    i = 0
    while i < len(schema_path):
        token = schema_path[i]
        follow = schema_path[i + 1] if i + 1 < len(schema_path) else None
        if token == "properties" and isinstance(follow, str):
            parts.append(escape_token(follow))
            i += 2
        elif token == "patternProperties" and isinstance(follow, str):
            parts.append("{}")
            i += 2
        elif token in ("anyOf", "oneOf") and isinstance(follow, int):
            i += 2  # a union branch is walked at the union's own path
        elif token == "items" and not isinstance(follow, int):
            parts.append("*")
            i += 1
        elif token == "additionalProperties":
            parts.append("{}")
            i += 1
        else:
            return None
    return "".join(f"/{p}" for p in parts)


def _walked_branch(error: jsonschema.exceptions.ValidationError) -> int | None:
    """The anyOf/oneOf branch the field walk takes for the failing value, if any."""
    schema = error.schema
    if not isinstance(schema, Mapping) or "type" in schema:
        return None
    if error.validator == "oneOf" and isinstance(schema.get("anyOf"), list):
        return None  # the walk takes the anyOf
    branches = error.validator_value
    if not isinstance(branches, list):
        return None
    for i, sub in enumerate(branches):
        if isinstance(sub, Mapping) and _fits(schema_types(sub), error.instance):
            return i
    return None


def _searches(pattern: str, key: str) -> bool:
    try:
        return re.search(pattern, key) is not None
    except re.error:
        return False


def _explanation(error: jsonschema.exceptions.ValidationError) -> _Explanation | None:
    """Which field findings explain ``error``; None when the field walk cannot see it."""
    if any(isinstance(p, int) and p >= MAX_ARRAY_ITEMS_WALKED for p in error.absolute_path):
        return None
    schema_path = list(error.absolute_schema_path)
    fpath = _field_path(schema_path[:-1])
    if fpath is None or not schema_path:
        return None
    path = fpath or "/"
    keyword = error.validator
    if keyword in ("anyOf", "oneOf"):
        branch = _walked_branch(error)
        inside = [
            e
            for e in error.context or ()
            if e.relative_schema_path and e.relative_schema_path[0] == branch
        ]
        if branch is None or not inside:
            return None
        groups: list[tuple[tuple[Hit, str], ...]] = []
        for sub in inside:
            explanation = _explanation(sub)
            if explanation is None:
                return None
            groups.extend(explanation)
        return tuple(groups)
    if keyword == "type":
        return ((("type-mismatch", path), ("null-appearing", path)),)
    if keyword in ("enum", "const"):
        return ((("enum-value-new", path), ("null-appearing", path), ("type-mismatch", path)),)
    if keyword == "format":
        return ((("format-violation", path),),)
    if not isinstance(error.instance, Mapping) or not isinstance(error.schema, Mapping):
        return None
    if keyword == "required" and isinstance(error.validator_value, list):
        missing = [str(r) for r in error.validator_value if r not in error.instance]
        return tuple((("required-missing", f"{fpath}/{escape_token(name)}"),) for name in missing)
    if keyword == "additionalProperties" and error.validator_value is False:
        props = error.schema.get("properties") or {}
        patterns = error.schema.get("patternProperties") or {}
        extra = [
            str(k)
            for k in error.instance
            if k not in props and not any(_searches(p, str(k)) for p in patterns)
        ]
        return tuple(
            (("property-new-closed-model", f"{fpath}/{escape_token(name)}"),) for name in extra
        )
    return None


def _reason(error: jsonschema.exceptions.ValidationError) -> str:
    """A reason without any sampled value: where (keys that are data as ``{}``), and which
    keyword failed."""
    where = "/" + "/".join(
        "{}" if isinstance(p, str) and is_data_key(p) else escape_token(str(p))
        for p in error.absolute_path
    )
    keyword = str(error.validator)
    if keyword == "required" and isinstance(error.instance, Mapping):
        required: Any = error.validator_value
        missing = [r for r in required if r not in error.instance]
        return f"{where}: required property {', '.join(map(str, missing))} missing"
    if keyword == "type":
        shown = json.dumps(error.validator_value, sort_keys=True, default=str)
        return f"{where}: expected type {shown}"
    if keyword in ("enum", "const"):
        return f"{where}: value outside the documented {keyword}"
    if keyword == "additionalProperties":
        return f"{where}: additional properties not allowed"
    return f"{where}: fails {keyword}"


@dataclass
class _KindCheck:
    message: SpecMessage
    collector: FindingCollector
    count: int = 0
    checks: dict[Where, _SchemaCheck] = field(default_factory=dict)

    def _check(self, where: Where) -> _SchemaCheck | None:
        if where in self.checks:
            return self.checks[where]
        m = self.message
        schema, pointer = {
            "payload": (m.payload, m.payload_pointer),
            "key": (m.key_schema, m.key_pointer),
            "headers": (m.headers, m.headers_pointer),
        }[where]
        if schema is None or pointer is None:
            return None
        check = self.checks[where] = _SchemaCheck(schema, pointer, where, self.collector)
        return check

    def observe(self, msg: DecodedMessage) -> None:
        self.count += 1
        # Bytes left undecoded (binary, or framed Avro/Protobuf without their writer
        # schema) say nothing of the payload schema.
        if msg.encoding not in UNREAD_ENCODINGS:
            payload = self._check("payload")
            if payload is not None:
                payload.observe(msg.value, msg)
        if msg.key is not None and msg.key_encoding != "binary":
            key = self._check("key")
            if key is not None:
                key.observe(msg.key, msg)
        headers = self._check("headers")
        if headers is not None:
            plain = {
                str(k): v.decode("utf-8", "replace") if isinstance(v, (bytes, bytearray)) else v
                for k, v in msg.headers.items()
            }
            headers.observe(plain, msg)


@dataclass(frozen=True)
class CoreTraffic:
    """What the core's check (:meth:`inferrer.engine.Engine.check`) counted: the same
    walk as :class:`_SchemaCheck`, over every message, with bounded evidence."""

    results: Mapping[str, Any]


def core_plan(view: SpecView, options: DiffOptions) -> str | None:
    """The committed spec as the core's check reads it (JSON text), or None when it
    cannot be written as JSON (the caller then checks decoded messages here)."""
    channels: dict[str, list[dict[str, Any]]] = {}
    for address, ch in view.channels.items():
        channels[address] = [
            {
                "key": m.key,
                "id": m.id,
                "name": m.name,
                "discriminator": m.discriminator,
                "discriminator_value": m.discriminator_value,
                "payload": _place(m.payload, m.payload_pointer),
                "key_schema": _place(m.key_schema, m.key_pointer),
                "headers": _place(m.headers, m.headers_pointer),
            }
            for m in ch.messages.values()
        ]
    plan = {
        "channels": channels,
        "max_validations": options.max_validations_per_kind,
        "max_shapes": options.max_shapes_per_kind,
        "max_enum_values": options.max_enum_values,
    }
    try:
        return json.dumps(plan, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return None


def _place(schema: Mapping[str, Any] | None, pointer: str | None) -> list[Any] | None:
    if schema is None or pointer is None:
        return None
    return [schema, pointer]


@dataclass
class _Tally:
    count: int = 0
    example: _Example | None = None
    reasons: Counter[str] = field(default_factory=Counter)


def diff_observed(
    spec: Mapping[str, Any] | SpecView,
    summaries: Sequence[TopicSummary],
    metadata: Mapping[str, TopicMetadata] | None,
    messages: Iterable[DecodedMessage] | CoreTraffic,
    options: DiffOptions,
    *,
    framed: FramedDecoder | None = None,
) -> DriftReport:
    """Classified differences between the committed ``spec`` and a sample of traffic.

    ``spec`` is the document, or its view already normalised (:func:`normalize_spec`);
    ``summaries`` says which topics and kinds were seen and how often;
    ``metadata`` (None when not read) what the cluster says about topics;
    ``messages`` the decoded sample, streamed once, to validate against the
    committed schemas and find field-level drift (or what the core's check counted
    of it, :class:`CoreTraffic`); ``framed`` the decoder of its framed messages, with
    the writer schema ids it saw (:mod:`inferrer.drift.registry`).
    """
    view = spec if isinstance(spec, SpecView) else normalize_spec(spec, options.spec_label)
    collector = FindingCollector(options)
    compare_traffic(collector, view, summaries, metadata, messages)
    if framed is not None:
        from inferrer.drift.registry import SeenIds, compare_registry

        compare_registry(collector, view, SeenIds.of_decoder(framed))
    return collector.report()


def compare_traffic(
    out: FindingCollector,
    view: SpecView,
    summaries: Sequence[TopicSummary],
    metadata: Mapping[str, TopicMetadata] | None,
    traffic: Iterable[DecodedMessage] | CoreTraffic,
) -> None:
    """Add every finding of the spec against the sample to ``out``: ``traffic`` is the
    decoded messages, or what the core's check counted while folding them."""
    options = out.options
    observed = {s.topic: s for s in summaries}
    cluster = set(metadata) if metadata is not None else set()
    documented = [a for a in view.channels if options.scope is None or a in options.scope]

    for topic in sorted((set(observed) | cluster) - set(view.channels)):
        s = observed.get(topic)
        out.add(
            "topic-undocumented",
            "topics",
            "/channels",
            f"topic {topic} is on the cluster but not documented",
            channel=topic,
            after=topic,
            evidence=Evidence(count=s.messages if s else 0),
        )
    live: list[str] = []
    for address in documented:
        ch = view.channels[address]
        if metadata is not None and address not in cluster and address not in observed:
            out.add(
                "topic-missing",
                "topics",
                ch.pointer,
                f"topic {address} is documented but not on the cluster",
                channel=address,
                before=address,
            )
            continue
        s = observed.get(address)
        if s is None or s.messages == 0:
            out.add(
                "topic-silent",
                "topics",
                ch.pointer,
                f"topic {address} had no message in the sample window",
                channel=address,
                evidence=Evidence(count=0),
            )
        else:
            live.append(address)
        if metadata is not None and address in metadata:
            _compare_bindings(out, ch, metadata[address])

    if isinstance(traffic, CoreTraffic):
        kinds, unknown, undecodable = _from_core(out, view, traffic)
    else:
        kinds, unknown, undecodable = _from_messages(out, view, traffic)

    seen: dict[str, set[str]] = {}
    for topic, key in kinds:
        seen.setdefault(topic, set()).add(key)
    for s, ks, sm in documented_kinds(view, summaries):
        if sm is not None:
            seen.setdefault(s.topic, set()).add(sm.key)
            continue
        tally = unknown.setdefault((s.topic, ks.discriminator_value or ks.name), _Tally())
        if ks.count > tally.count:
            tally.count = ks.count
        if tally.example is None:
            tally.example = _Example(
                ks.example_partition, ks.example_offset, ks.examples[0] if ks.examples else None
            )
    for s in summaries:
        if s.topic not in view.channels:
            continue
        for reason, count in s.undecodable.items():
            tally = undecodable.setdefault(s.topic, _Tally())
            tally.reasons[reason] = max(tally.reasons[reason], count)
            tally.count = max(tally.count, sum(tally.reasons.values()))

    for (topic, kind), tally in sorted(unknown.items()):
        ch = view.channels[topic]
        total = observed[topic].messages if topic in observed else None
        assert tally.example is not None
        out.add(
            "kind-undocumented",
            "messages",
            join_pointer(ch.pointer, "messages"),
            f"topic {topic}: event kind {kind} is not documented ({tally.count} messages)",
            channel=topic,
            kind=kind,
            after=kind,
            evidence=tally.example.evidence(tally.count, tally.count / total if total else None),
        )
    for topic in live:
        ch = view.channels[topic]
        for key, sm in ch.messages.items():
            if key not in seen.get(topic, set()):
                out.add(
                    "kind-unobserved",
                    "messages",
                    sm.pointer,
                    f"topic {topic}: documented kind {key} was not seen in "
                    f"{observed[topic].messages} messages",
                    channel=topic,
                    kind=key,
                    before=key,
                    evidence=Evidence(count=0, ratio=0.0),
                )
    for topic, tally in sorted(undecodable.items()):
        ch = view.channels[topic]
        total = observed[topic].messages if topic in observed else None
        reasons = sorted(tally.reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        ev = (
            tally.example.evidence(tally.count, tally.count / total if total else None)
            if tally.example
            else Evidence(count=tally.count, ratio=tally.count / total if total else None)
        )
        out.add(
            "undecodable-messages",
            "payload",
            ch.pointer,
            f"topic {topic}: {tally.count} messages could not be decoded "
            f"({', '.join(f'{r}: {c}' for r, c in reasons)})",
            channel=topic,
            after={r: c for r, c in reasons},
            evidence=ev,
        )
    for (topic, key), check in sorted(kinds.items()):
        wheres: tuple[Where, ...] = ("payload", "key", "headers")
        for where in wheres:
            sc = check.checks.get(where)
            if sc is not None:
                sc.emit(out, topic, key)


_Checked = tuple[
    dict[tuple[str, str], _KindCheck], dict[tuple[str, str], _Tally], dict[str, _Tally]
]


def _from_messages(
    out: FindingCollector, view: SpecView, messages: Iterable[DecodedMessage]
) -> _Checked:
    """Check each decoded message (the reference the core's check is tested against).

    Messages are taken in (topic, partition, offset) order, whatever order they come
    in: "the first message" of a finding means the same in a live sample as in a file.
    """
    kinds: dict[tuple[str, str], _KindCheck] = {}
    unknown: dict[tuple[str, str], _Tally] = {}
    undecodable: dict[str, _Tally] = {}
    ordered = sorted(messages, key=_message_order)
    for msg in ordered:
        msg_channel = view.channels.get(msg.topic)
        if msg_channel is None:
            continue
        if not msg.ok:
            tally = undecodable.setdefault(msg.topic, _Tally())
            tally.count += 1
            tally.reasons[msg.reason or "undecodable"] += 1
            if tally.example is None:
                tally.example = _Example(msg.partition, msg.offset, None)
            continue
        if msg.encoding == "null" and msg.value is None:
            continue  # a tombstone
        sm = match_message(msg_channel, msg.kind, msg.value)
        if sm is None:
            tally = unknown.setdefault((msg.topic, msg.kind or "(unnamed)"), _Tally())
            tally.count += 1
            if tally.example is None:
                tally.example = _Example(msg.partition, msg.offset, msg.value)
            continue
        check = kinds.get((msg.topic, sm.key))
        if check is None:
            check = kinds[(msg.topic, sm.key)] = _KindCheck(sm, out)
        check.observe(msg)

    return kinds, unknown, undecodable


def _message_order(msg: DecodedMessage) -> tuple[str, int, int]:
    return (msg.topic, msg.partition if msg.partition is not None else -1, msg.offset or 0)


def _from_core(out: FindingCollector, view: SpecView, traffic: CoreTraffic) -> _Checked:
    """The same as :func:`_from_messages`, from what the core's check counted."""
    kinds: dict[tuple[str, str], _KindCheck] = {}
    for topic, key, count, places in traffic.results["kinds"]:
        check = kinds[(topic, key)] = _KindCheck(view.channels[topic].messages[key], out)
        check.count = count
        for where, state in places.items():
            sc = check._check(where)
            if sc is not None:
                sc.load(state)
    unknown: dict[tuple[str, str], _Tally] = {}
    for topic, kind, count, (partition, offset, value) in traffic.results["unknown"]:
        unknown[(topic, kind)] = _Tally(count=count, example=_Example(partition, offset, value))
    undecodable: dict[str, _Tally] = {}
    for topic, count, reasons, pos in traffic.results["undecodable"]:
        example = None if pos is None else _Example(pos[0], pos[1], None)
        undecodable[topic] = _Tally(count=count, example=example, reasons=Counter(reasons))
    return kinds, unknown, undecodable


def _config_value(name: str, value: Any) -> Any:
    if name == "cleanup.policy":
        items = value if isinstance(value, list) else str(value).split(",")
        return sorted(str(v).strip() for v in items if str(v).strip())
    try:
        return int(str(value))
    except ValueError:
        return str(value)


def _compare_bindings(out: FindingCollector, ch: SpecChannel, md: TopicMetadata) -> None:
    address = ch.address
    pointer = ch.bindings_pointer or ch.pointer
    if ch.partitions is not None and md.partitions != ch.partitions:
        rule: RuleId = (
            "partitions-increased" if md.partitions > ch.partitions else "partitions-decreased"
        )
        out.add(
            rule,
            "bindings",
            join_pointer(pointer, "partitions"),
            f"topic {address}: {ch.partitions} partitions documented, {md.partitions} on the "
            "cluster",
            channel=address,
            before=ch.partitions,
            after=md.partitions,
        )
    if ch.replicas is not None and md.replication_factor != ch.replicas:
        out.add(
            "replicas-changed",
            "bindings",
            join_pointer(pointer, "replicas"),
            f"topic {address}: replicas {ch.replicas} documented, {md.replication_factor} on "
            "the cluster",
            channel=address,
            before=ch.replicas,
            after=md.replication_factor,
        )
    for name, documented in ch.topic_configuration.items():
        if name not in md.configs:
            continue
        before = _config_value(name, documented)
        after = _config_value(name, md.configs[name])
        if before != after:
            out.add(
                out.options.table().config_rule(name),
                "bindings",
                join_pointer(pointer, "topicConfiguration", name),
                f"topic {address}: {name} {json.dumps(before)} documented, "
                f"{json.dumps(after)} on the cluster",
                channel=address,
                before=before,
                after=after,
            )
    actual = set(md.consumer_groups)
    for group in sorted(actual - set(ch.group_ids)):
        out.add(
            "consumer-group-new",
            "bindings",
            join_pointer(ch.pointer, "x-consumer-groups", group),
            f"topic {address}: consumer group {group} reads it but is not documented",
            channel=address,
            after=group,
        )
    for group in sorted(set(ch.group_ids) - actual):
        out.add(
            "consumer-group-gone",
            "bindings",
            ch.group_ids[group],
            f"topic {address}: documented consumer group {group} no longer reads it",
            channel=address,
            before=group,
        )
