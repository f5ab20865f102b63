"""The inference rules, as data and small pure functions.

Formats, enums, maps and discriminators are decided here, once, and used both by
the genson strategies (the reference path) and by the per-field statistics (the
fast path), so the two cannot disagree.
"""

from __future__ import annotations

import functools
import json
import math
import operator
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from inferrer.decoding import DEBEZIUM_OPS, DISCRIMINATOR_FIELDS, MAX_KIND_VALUE_LENGTH

__all__ = ["DEBEZIUM_OPS", "DISCRIMINATOR_FIELDS", "MAX_KIND_VALUE_LENGTH"]

# --- formats -------------------------------------------------------------------------


def _load_grammar() -> dict[str, Any]:
    """The shared grammar (``grammar.json``), also compiled into the Rust core."""
    with open(Path(__file__).with_name("grammar.json"), encoding="utf-8") as f:
        grammar: dict[str, Any] = json.load(f)
    return grammar


_GRAMMAR: Final = _load_grammar()


FORMATS: Final = tuple(str(f["name"]) for f in _GRAMMAR["formats"])
"""Formats we detect, in grammar.json's order, which is the bit order (bit i of a mask is
FORMATS[i]; the core checks its own list against it). New formats are appended, so that
masks saved by older versions keep their meaning (their new bits are 0: no new format is
claimed for old data). ``digits`` is not a JSON Schema format but a hint (see
:data:`FORMAT_HINTS`)."""
ALL_FORMATS_MASK: Final = (1 << len(FORMATS)) - 1
MIN_FORMAT_DISTINCT: Final = 5
"""A format is emitted only when at least this many *distinct* string values were seen,
every one matching: one value repeated a thousand times is one piece of evidence."""
MIN_FORMAT_VALUES: Final = MIN_FORMAT_DISTINCT


def _expand(pattern: str, parts: Mapping[str, str]) -> str:
    for name, part in parts.items():
        pattern = pattern.replace("{{" + name + "}}", part)
    return pattern


def _format_patterns(grammar: Mapping[str, Any]) -> tuple[tuple[str, bool], ...]:
    parts: dict[str, str] = {}
    for name, part in grammar["parts"]:
        parts[name] = _expand(part, parts)
    # Each pattern is matched with fullmatch, as Rust matches ^(?:...)$; the patterns
    # spell every class in ASCII, so both engines accept exactly the same strings.
    return tuple((_expand(f["pattern"], parts), bool(f["calendar"])) for f in grammar["formats"])


_FORMAT_PATTERNS: Final = _format_patterns(_GRAMMAR)
"""Per format (in FORMATS order): the pattern's text, and whether its first ten
characters must also be a real calendar day."""


@functools.cache
def _check(index: int) -> tuple[re.Pattern[str], bool]:
    """The compiled pattern of format ``index`` and its calendar flag. Compiled on first
    use, one format at a time: the expanded patterns are long (ipv6, the uris), and most
    commands match few formats or none in Python (the core does, from the same grammar)."""
    text, calendar = _FORMAT_PATTERNS[index]
    return re.compile(text), calendar


_FORMAT_INDEX: Final = {name: i for i, name in enumerate(FORMATS)}
_FIRST_TEN: Final = operator.itemgetter(slice(0, 10))

_DAYS_IN_MONTH: Final = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _valid_calendar_date(s: str) -> bool:
    """Whether ``s[:10]`` (``YYYY-MM-DD``, ASCII digits already checked by the pattern)
    names a real day. Written like ``formats.rs``: the patterns bound month and day, the
    month length and leap years are checked here; year 0 is not a year (as Python's
    ``datetime`` has it)."""
    year, month, day = int(s[0:4]), int(s[5:7]), int(s[8:10])
    if year < 1 or not 1 <= month <= 12 or day < 1:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return day <= _DAYS_IN_MONTH[month - 1] + (1 if month == 2 and leap else 0)


def match_formats(value: str, mask: int = ALL_FORMATS_MASK) -> int:
    """The subset of ``mask`` (a bit set over :data:`FORMATS`) that ``value`` matches."""
    return match_formats_all([value], mask)


def match_formats_all(values: list[str], mask: int = ALL_FORMATS_MASK) -> int:
    """The subset of ``mask`` that *every* string in ``values`` matches."""
    if not values:
        return mask
    out = 0
    for index in range(len(_FORMAT_PATTERNS)):
        bit = 1 << index
        if not mask & bit:
            continue
        pattern, calendar = _check(index)
        if all(map(pattern.fullmatch, values)) and (
            not calendar or all(map(_valid_calendar_date, set(map(_FIRST_TEN, values))))
        ):
            out |= bit
    return out


FORMAT_HINTS: Final[Mapping[str, Mapping[str, str]]] = {
    f["name"]: dict(f["hint"]) for f in _GRAMMAR["formats"] if "hint" in f
}
"""Mask bits that are not formats, and the schema keywords they stand for."""
_EMITTED: Final = tuple(
    (1 << i, name) for i, name in enumerate(FORMATS) if name not in FORMAT_HINTS
)
_EMITTED_MASK: Final = sum(bit for bit, _ in _EMITTED)


def decide_format(mask: int, distinct: int) -> str | None:
    """The format to emit for the strings of a field, or None.

    ``mask`` holds the formats every string value matched and ``distinct`` is how many
    distinct strings there were (at least :data:`MIN_FORMAT_DISTINCT` are needed). The
    first matching format in :data:`FORMATS` order wins: ``uri`` before
    ``uri-reference``, which also admits absolute URIs. Other JSON types beside the
    strings do not matter: ``format`` only constrains strings, so the string branch of
    a union keeps it."""
    if distinct < MIN_FORMAT_DISTINCT or not mask:
        return None
    for bit, name in _EMITTED:
        if mask & bit:
            return name
    return None


_HINT_MIN_DISTINCT: Final = {
    f["name"]: int(f.get("min_distinct", MIN_FORMAT_DISTINCT)) for f in _GRAMMAR["formats"]
}


def decide_hint(mask: int, distinct: int) -> dict[str, str]:
    """The hint keywords (``pattern``) the mask proves: the first hint in
    :data:`FORMATS` order (``digits`` before ``decimal-text``), by the evidence rule of
    formats — at least :data:`MIN_FORMAT_DISTINCT` distinct values, but one for
    ``boolean-text``, which has two values at most (a pattern that admits both says
    no more than the header's text does)."""
    for i, name in enumerate(FORMATS):
        if mask & (1 << i) and name in FORMAT_HINTS and distinct >= _HINT_MIN_DISTINCT[name]:
            return dict(FORMAT_HINTS[name])
    return {}


# --- enums ---------------------------------------------------------------------------

ENUM_MIN_VALUES: Final = 20
"""An enum needs at least this many string values."""
ENUM_MIN_COUNT: Final = 3
"""... every distinct value seen at least this often (a value seen once or twice says
the vocabulary is open: names, ids, free text) ..."""
ENUM_MAX_DISTINCT: Final = 32
"""... and at most min(32, √n) distinct values, at least 2 (a constant is just a type)."""
ENUM_MAX_LENGTH: Final = 32
_ENUM_TOKEN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,31}")
"""A code-like token: letters, digits, ``_ - . :``; no spaces (free text, names)."""
_PROPER_NOUN: Final = re.compile(r"[A-Z][a-z]+(?:[-.][A-Z][a-z]+)*")
"""``London``, ``Acme``, ``Saint-Denis``: capitalised words read as names, not codes."""
_ID_LIKE: Final = re.compile(r".*[0-9]{6}.*|(?=.*[0-9])(?=.*[A-Fa-f])[0-9A-Fa-f_-]{12,}|[0-9_.:-]+")
"""Six digits in a row, a long hex string, or no letter at all (``7.13.0``, ``12:30``):
an identifier, a version or a number, an open set rather than a code."""
PERSONAL_NAME_WORDS: Final = (
    "name",
    "city",
    "town",
    "street",
    "address",
    "employer",
    "company",
    "email",
    "phone",
    "mobile",
    "postcode",
    "postal",
    "zip",
    "birth",
    "login",
)
"""Field names containing one of these (case and ``_ -`` ignored) hold personal data:
never an enum, whatever the values look like."""


def is_id_name(name: str | None) -> bool:
    """Field names that hold identifiers (``id``, ``accountId``, ``user_id``)."""
    return name is not None and (
        name.lower() == "id" or name.endswith(("Id", "ID", "_id", "-id", "Ids", "_ids"))
    )


_THING_NAME: Final = re.compile(
    r"(?:message|event|record|type|kind|class|schema|subject|topic|action|command|"
    r"operation|method|metric|table|column|field|entity|resource|model|job|task|step|"
    r"stage|state|status|service|module|feature|template|rule|policy|handler|queue|"
    r"stream|channel|category|format|codec)name$"
)
"""``...Name`` fields naming a thing of the producer's code (``messageName``,
``event_name``, a header ``x-record-name``): identifiers, not personal data."""


def is_personal_name(name: str | None) -> bool:
    """Field names that hold personal data (``city``, ``employerName``, ``phone_number``).

    A name only "name" makes personal is not, when it names a thing of the producer's
    code (:data:`_THING_NAME`: ``messageName``, ``recordName``): its values are type
    names, which a discriminator reads and saved observations keep."""
    if name is None:
        return False
    flat = name.lower().replace("_", "").replace("-", "")
    words = [word for word in PERSONAL_NAME_WORDS if word in flat]
    if words == ["name"] and _THING_NAME.search(flat):
        return False
    return bool(words)


def is_enum_token(value: str) -> bool:
    """A value an enum may list: a code-like token that is neither a name, an id nor a
    value of any format (dates, uuids, URIs, all-digit strings ...)."""
    return (
        _ENUM_TOKEN.fullmatch(value) is not None
        and _PROPER_NOUN.fullmatch(value) is None
        and _ID_LIKE.fullmatch(value) is None
        and not match_formats(value, _EMITTED_MASK)
    )


_KIND_TOKEN: Final = re.compile(r"[A-Za-z][A-Za-z0-9_.:$/-]{0,99}")


def is_kind_token(value: str) -> bool:
    """A value a discriminator may take: a name-like token (``created``, ``OrderPlaced``,
    ``com.acme.Order$Paid``, ``order/v2``); not an id, a version or a number (they make
    an open set), nor free text with spaces. Capitalised words are allowed, unlike
    enum values: a kind's name is public in the document anyway."""
    return _KIND_TOKEN.fullmatch(value) is not None and _ID_LIKE.fullmatch(value) is None


def decide_enum(
    name: str | None, strings: int, counts: Mapping[str, int] | None
) -> tuple[str, ...] | None:
    """Sorted enum values, or None. The rule (documented in the README):

    ``counts`` maps each distinct string to how often it was seen (None: too many to
    keep). An enum needs at least :data:`ENUM_MIN_VALUES` strings; between 2 and
    min(:data:`ENUM_MAX_DISTINCT`, √n) distinct values, each seen at least
    :data:`ENUM_MIN_COUNT` times; every value a code-like token (:func:`is_enum_token`);
    and a field name that names neither an id nor personal data.
    """
    if counts is None or strings < ENUM_MIN_VALUES or is_id_name(name) or is_personal_name(name):
        return None
    if not 2 <= len(counts) <= min(ENUM_MAX_DISTINCT, math.isqrt(strings)):
        return None
    if min(counts.values()) < ENUM_MIN_COUNT:
        return None
    if not all(isinstance(v, str) and is_enum_token(v) for v in counts):
        return None
    return tuple(sorted(counts))


# --- maps ----------------------------------------------------------------------------
#
# An object path is a map (``additionalProperties``) or a record (``properties``) by the
# statistics of its keys across the whole sample, never by one object's keys: a path is
# decided once, from counts that do not depend on message order or merge order.

MAP_MIN_KEYS: Final = 20
"""A map needs at least this many distinct keys at its path (polars-genson's bound)."""
MAP_WIDTH_RATIO: Final = 4
"""... and that many times more distinct keys than members in a mean occurrence: a
record with 40 optional fields present half the time has D = 40, width 20 (ratio 2)."""
MAP_RARE_OCCURRENCES: Final = 2
"""A key seen in at most this many occurrences of its path is rare ..."""
MAP_MAX_VALUE_TYPES: Final = 2
"""... the values share a schema: at most two JSON types besides null (integer and
number count as one) ..."""
MAP_COLLAPSE_KEYS: Final = 1000
"""More distinct keys than this at one path: the path is a map whatever else holds, and
its children are folded into one value node, so memory stays flat on a topic whose keys
are ever-new ids. The bound is on the *set* of keys seen, which only grows: every order
and every split of the same messages crosses it or none does."""


def _map_keys(
    grammar: Mapping[str, Any],
) -> tuple[tuple[str, str | None, int | None, bool], ...]:
    """Per key class, in checking order: its name, its own pattern or the format it
    shares (whose calendar check then applies too), and whether it is strong."""
    out: list[tuple[str, str | None, int | None, bool]] = []
    for entry in grammar["map_keys"]:
        strong = bool(entry["strong"])
        if "format" in entry:
            out.append((entry["class"], None, _FORMAT_INDEX[entry["format"]], strong))
        else:
            out.append((entry["class"], entry["pattern"], None, strong))
    return tuple(out)


_MAP_KEY_CHECKS: Final = _map_keys(_GRAMMAR)


@functools.cache
def _map_key_patterns() -> tuple[re.Pattern[str] | None, ...]:
    """The compiled own patterns of :data:`_MAP_KEY_CHECKS`, on first use."""
    return tuple(None if text is None else re.compile(text) for _, text, _, _ in _MAP_KEY_CHECKS)


ID_CLASS: Final = "id"
ID_DIGITS_CLASS: Final = "id-digits"
MAP_KEY_CLASS_NAMES: Final = tuple(
    sorted([*(c[0] for c in _MAP_KEY_CHECKS), ID_CLASS, ID_DIGITS_CLASS])
)
"""Every key family, sorted (bit i of a family mask is MAP_KEY_CLASS_NAMES[i])."""
_CLASS_BIT: Final = {name: 1 << i for i, name in enumerate(MAP_KEY_CLASS_NAMES)}
ALL_KEY_FAMILIES: Final = (1 << len(MAP_KEY_CLASS_NAMES)) - 1
STRONG_KEY_FAMILIES: Final = sum(_CLASS_BIT[c[0]] for c in _MAP_KEY_CHECKS if c[3])
"""uuids, integers, dates, date-times and 3-letter codes never name record fields: a
path whose every key is one of them is a map however few keys it has."""

MAP_KEY_CLASSES: Final[Mapping[str, Mapping[str, str]]] = {
    entry["class"]: dict(entry["names"])
    for entry in sorted(_GRAMMAR["map_keys"], key=lambda e: str(e["class"]))
    if entry["names"]
}
"""Key class → the ``propertyNames`` schema a map with such keys gets."""
_NAMES_ORDER: Final = ("uuid", "date-time", "date", "integer", "code", ID_DIGITS_CLASS, ID_CLASS)
"""Which family names the keys when several hold for all of them (header and dotted
names give no ``propertyNames``)."""
_ID_SEPARATORS: Final = "-_:."
_HEX: Final = frozenset("0123456789abcdefABCDEF")


# The same keys come in message after message: both answers are kept for the most
# recent few thousand (bounded, for objects keyed by ever-new ids).
@functools.lru_cache(maxsize=4096)
def split_id_key(key: str) -> tuple[str, str] | None:
    """(prefix, rest) of a key made of a short prefix and hex digits (``WH-0042``,
    ``s-0a3f9c``, ``user123``), or None.

    The prefix is 1 to 16 ASCII letters up to and including the first separator
    (``- _ : .``), or without a separator the leading letters; the rest is 1 to 32 hex
    digits. Written like ``stats.rs``."""
    n = 0
    while n < len(key) and n <= 16 and key[n].isascii() and key[n].isalpha():
        n += 1
    if n == 0 or n > 16:
        return None
    cut = n + 1 if n < len(key) and key[n] in _ID_SEPARATORS else n
    rest = key[cut:]
    if not 1 <= len(rest) <= 32 or not all(c in _HEX for c in rest):
        return None
    return key[:cut], rest


@functools.lru_cache(maxsize=4096)
def key_families(key: str) -> int:
    """The bit set of key families (:data:`MAP_KEY_CLASS_NAMES`) ``key`` belongs to."""
    out = 0
    for (name, _text, fmt, _strong), pattern in zip(
        _MAP_KEY_CHECKS, _map_key_patterns(), strict=True
    ):
        if pattern is not None:
            if pattern.fullmatch(key):
                out |= _CLASS_BIT[name]
        else:
            assert fmt is not None
            fmt_pattern, calendar = _check(fmt)
            if fmt_pattern.fullmatch(key) and (not calendar or _valid_calendar_date(key)):
                out |= _CLASS_BIT[name]
    split = split_id_key(key)
    if split is not None:
        out |= _CLASS_BIT[ID_CLASS]
        if split[1].isdigit():
            out |= _CLASS_BIT[ID_DIGITS_CLASS]
    return out


def key_prefix(key: str) -> str | None:
    """The id prefix of a key (:func:`split_id_key`), or None."""
    split = split_id_key(key)
    return None if split is None else split[0]


def families_of(mask: int) -> list[str]:
    """The family names of a mask, sorted."""
    return [name for name, bit in _CLASS_BIT.items() if mask & bit]


def family_mask(names: list[str]) -> int:
    return sum(_CLASS_BIT[n] for n in names)


def decide_map(
    distinct: int,
    occurrences: int,
    members: int,
    rare: int,
    value_types: int,
    families: int,
) -> bool:
    """Whether an object path is a map, from its key statistics (README, *Maps*).

    ``distinct`` keys were seen over ``occurrences`` objects holding ``members`` members
    in all; ``rare`` keys were each seen in at most :data:`MAP_RARE_OCCURRENCES`
    objects; the values have ``value_types`` JSON types besides null; ``families`` are
    the key families every key belongs to."""
    if occurrences == 0 or distinct == 0:
        return False
    if distinct > MAP_COLLAPSE_KEYS or families & STRONG_KEY_FAMILIES:
        return True
    return (
        distinct >= MAP_MIN_KEYS
        and distinct * occurrences >= MAP_WIDTH_RATIO * members
        and value_types <= MAP_MAX_VALUE_TYPES
        and (2 * rare >= distinct or families != 0)
    )


def map_key_names(families: int, prefix: str | None) -> dict[str, str]:
    """The ``propertyNames`` schema of a map whose every key is of ``families`` (and,
    for ids, shares ``prefix``): a format or a pattern, or nothing."""
    for name in _NAMES_ORDER:
        if not families & _CLASS_BIT[name]:
            continue
        if name in (ID_DIGITS_CLASS, ID_CLASS):
            tail = "[0-9]+" if name == ID_DIGITS_CLASS else "[0-9A-Fa-f]+"
            # Prefixes hold letters and one of ``- _ : .``: only the dot needs a backslash
            # (``\\-`` is an error in a Unicode-mode ECMA pattern).
            head = "[A-Za-z]+[-_:.]?" if prefix is None else prefix.replace(".", "\\.")
            return {"pattern": f"^{head}{tail}$"}
        return dict(MAP_KEY_CLASSES[name])
    return {}


# --- discriminators ------------------------------------------------------------------

MAX_KINDS: Final = 200
"""More distinct discriminator values than this on one topic: not a discriminator
(estates with 60 or 100 event types on one topic exist; ids are many more)."""

_WORDS = re.compile(r"[A-Za-z0-9]+")


def pascal_case(text: str) -> str:
    """``balance-updated`` → ``BalanceUpdated``; a leading digit gets a ``K`` prefix."""
    words = _WORDS.findall(text)
    name = "".join(w[:1].upper() + w[1:] for w in words)
    if not name:
        return "Message"
    if name[0].isdigit():
        name = "K" + name
    return name


_FIELD_NAME: Final = re.compile(r"[A-Za-z_$@][A-Za-z0-9_$.:-]{0,63}")
_DIGIT_RUN: Final = re.compile(r"[0-9]{6}")


def is_data_key(key: str) -> bool:
    """Whether an object key is data (a card number, an account id, a uuid, a date, an
    email address, a person's name) rather than the name of a field: a key of a map-key
    family that never names a field (uuid, integer, date, date-time, code:
    :data:`STRONG_KEY_FAMILIES`), one that is not shaped like an identifier (letters,
    digits, ``_ $ . : -``, at most 64, starting with a letter), or one holding six digits
    in a row. (The redactor replaces such keys; a shape ignores records keyed by them.)"""
    return (
        bool(key_families(key) & STRONG_KEY_FAMILIES)
        or _FIELD_NAME.fullmatch(key) is None
        or _DIGIT_RUN.search(key) is not None
    )
