"""Saved observations without sampled values: :func:`strip_values` of the dict form.

An observation keeps, per field, the distinct values it saw (up to a bound) and a few
whole messages as examples. A saved file or snapshot must not carry them, yet a document
inferred from it (and from merges of such files) must be the one inferred from the live
observations. So each kept value is either kept verbatim or replaced by a digest that
behaves as the value does wherever the document depends on it:

* a string the enum rule could ever list (a code-like token,
  :func:`inferrer.inference.rules.is_enum_token`, of a field whose name names neither an
  id nor personal data) is kept: it may end up in the document's ``enum``;
* every other string becomes ``#`` + blake2b-64 hex of the value + ten letters chosen so
  that the digest's stable hash (CRC-32, which the distinct-count sketch takes over once
  a field has more than 1,000 values) equals the value's. A digest is never an enum
  token, and equal values give equal digests, so distinct counts, per-value counts,
  enum decisions and merges of saved files come out as they would from the values;
  the format mask and lengths were computed from the values when they were folded;
* integers and floats become negative integers of 33 digits, blake2b digits followed by
  twelve digits that again give the value's stable hash (:func:`digest_number`); their
  minimum and maximum were kept apart from the values, and stay;
* examples (whole messages) are pre-redacted (:func:`strip_example`): map keys, numbers
  and strings that are not enum tokens replaced as the document's redactor would
  replace them, so that redacting the stripped example with the final schema gives the
  same example as redacting the original.

Digests are not encryption: a value from a small set (a card number of a known bank,
a small integer) can be found again by hashing guesses. Treat saved files as internal.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Mapping
from typing import Any, Final

from inferrer.inference.rules import (
    STRONG_KEY_FAMILIES,
    family_mask,
    is_data_key,
    is_enum_token,
    is_id_name,
    is_personal_name,
    key_families,
    key_prefix,
    split_id_key,
)
from inferrer.redact import detect_format, placeholder_for_format

DIGEST_PREFIX: Final = "#"
"""Digests start with ``#``: never a code-like token, so never an enum value."""
_SEED: Final = {"s": 1, "i": 2, "f": 3}
"""The stable hash's seeds (:data:`inferrer.inference.stats._SEED`)."""


class _Forger:
    """Chooses the last ``free`` characters of a fixed-length ASCII text so that its
    CRC-32 takes a given value. Each free character is ``base`` with any of its low
    ``bits`` bits set; the CRC-32 of two texts of one length differs by the XOR of the
    deltas of the flipped bits, whatever the rest of the text and the seed, so the
    deltas are reduced once (Gaussian elimination over GF(2)) and each text is solved
    in 32 steps."""

    def __init__(self, length: int, free: int, base: int, bits: int) -> None:
        self.length, self.free, self.base, self.bits = length, free, base, bits
        zero = bytes(length)
        c0 = zlib.crc32(zero)
        rows: dict[int, tuple[int, int]] = {}  # leading bit -> (delta, mask)
        for j in range(free):
            for b in range(bits):
                m = bytearray(zero)
                m[length - free + j] ^= 1 << b
                delta, mask = zlib.crc32(bytes(m)) ^ c0, 1 << (bits * j + b)
                while delta:
                    top = delta.bit_length() - 1
                    if top not in rows:
                        rows[top] = (delta, mask)
                        break
                    delta, mask = delta ^ rows[top][0], mask ^ rows[top][1]
        assert len(rows) == 32, "the free characters must reach every CRC-32 value"
        self.rows = rows

    def forge(self, head: str, target: int, seed: int) -> str:
        """``head`` followed by the free characters that give CRC-32 ``target``."""
        assert len(head) == self.length - self.free
        filler = head + chr(self.base) * self.free
        difference = zlib.crc32(filler.encode("ascii"), seed) ^ target
        mask = 0
        while difference:
            delta, m = self.rows[difference.bit_length() - 1]
            difference ^= delta
            mask ^= m
        low = (1 << self.bits) - 1
        return head + "".join(
            chr(self.base | ((mask >> (self.bits * j)) & low)) for j in range(self.free)
        )


_STRINGS: Final = _Forger(length=27, free=10, base=0x40, bits=4)
"""``#`` + 16 hex digits + 10 of ``@A..O``."""
_NUMBERS: Final = _Forger(length=34, free=12, base=0x30, bits=3)
"""``-9`` + 20 digits + 12 of ``0..7``: the decimal text of a negative integer."""


def _blake(tag: str, text: bytes) -> bytes:
    return hashlib.blake2b(tag.encode() + b"\x00" + text, digest_size=8).digest()


def stable_hash(tag: str, value: Any) -> int:
    """The hash the distinct-count sketch takes of a value (the stats module's)."""
    text = value if tag == "s" else repr(value)
    return zlib.crc32(text.encode("utf-8", "surrogatepass"), _SEED[tag])


def digest_string(value: str) -> str:
    """The digest of a string: fixed length, never an enum token, same stable hash."""
    raw = value.encode("utf-8", "surrogatepass")
    head = DIGEST_PREFIX + _blake("s", raw).hex()
    return _STRINGS.forge(head, stable_hash("s", value), _SEED["s"])


def digest_number(tag: str, value: int | float) -> int:
    """The digest of an integer (``tag`` ``i``) or a float (``f``): a negative integer
    of 33 digits whose stable hash as an integer is the value's stable hash. A float's
    digest is an integer too: the distinct counts add both sets, and no float text can
    carry the 32 bits the hash needs next to enough digest digits."""
    digits = f"{int.from_bytes(_blake(tag, repr(value).encode()), 'big'):020d}"
    text = _NUMBERS.forge("-9" + digits, stable_hash(tag, value), _SEED["i"])
    return int(text)


_DIGEST_TEXT: Final = re.compile(r"#[0-9a-f]{16}[@-O]{10}")
_DIGEST_FLOOR: Final = -(10**32)
"""Number digests are 33-digit negative integers: below any integer a message can carry
exactly (the core keeps 64 bits), so a digest is never digested again."""


def is_digest(value: Any) -> bool:
    """Whether ``value`` is already a digest (so stripping a stripped file changes nothing)."""
    if isinstance(value, str):
        return _DIGEST_TEXT.fullmatch(value) is not None
    return isinstance(value, int) and not isinstance(value, bool) and value < _DIGEST_FLOOR


_KEPT_KEY_FAMILIES: Final = family_mask(["date", "date-time", "code"])
_INCIDENTAL_FAMILIES: Final = family_mask(["header", "dotted"])
_DIGITS_RUN: Final = re.compile(r"[0-9]+")


def _digits(raw: bytes, n: int) -> str:
    return f"{int.from_bytes(raw, 'big'):040d}"[-n:]


def digest_key(key: str) -> str:
    """An object key as saved: a key that is data (a card number, an account id, a uuid,
    a name: :func:`inferrer.inference.rules.is_data_key`) becomes a digest of the same key
    family and id prefix, so that the map rule decides the same on the saved file; dates,
    date-times and three-letter codes are kept (they name days and currencies, not
    people), as are field names. A key whose family a digest cannot keep becomes a plain
    string digest."""
    if not is_data_key(key):
        return key
    families = key_families(key)
    if families & _KEPT_KEY_FAMILIES:
        return key
    raw = hashlib.blake2b(b"k\x00" + key.encode("utf-8", "surrogatepass"), digest_size=32).digest()
    split = split_id_key(key)
    if families == 0:
        return digest_string(key)
    if re.fullmatch(r"-?[0-9]{1,19}", key):
        candidate = ("-" if key.startswith("-") else "") + "1" + _digits(raw[:16], 18)
    elif split is not None:
        prefix, rest = split
        tail = _digits(raw[:16], 16) if rest.isdigit() else "a" + raw[:8].hex()[1:]
        candidate = prefix + tail
    elif len(key) == 36 and key.count("-") == 4:
        h = raw[:16].hex()
        candidate = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"
    else:
        # Each run of digits becomes 18 digits of the key's hash (runs past the first
        # reuse them: the key as a whole is still told apart by the first).
        run = _digits(raw, 18)
        candidate = _DIGITS_RUN.sub(lambda _m: run, key)
    # The families the map rule decides by (the strong ones, ids): header- and
    # dotted-name shapes are incidental in data keys (a uuid starting with a letter).
    if (key_families(candidate) ^ families) & ~_INCIDENTAL_FAMILIES == 0 and key_prefix(
        candidate
    ) == key_prefix(key):
        return candidate
    return digest_string(key)


def keeps_verbatim(value: str, name: str | None) -> bool:
    """Whether the enum rule could list ``value`` for a field called ``name``."""
    return not is_id_name(name) and not is_personal_name(name) and is_enum_token(value)


def _strip_node(node: Mapping[str, Any], name: str | None) -> dict[str, Any]:
    out = dict(node)
    own = node.get("name", name)
    own = own if isinstance(own, str) else name
    if isinstance(node.get("strs"), list):
        counts = node.get("str_counts") or [1] * len(node["strs"])
        pairs = [
            (s if keeps_verbatim(s, own) or is_digest(s) else digest_string(s), c)
            for s, c in zip(node["strs"], counts, strict=True)
        ]
        pairs.sort()
        out["strs"] = [s for s, _ in pairs]
        out["str_counts"] = [c for _, c in pairs]
    if isinstance(node.get("ints"), list) or isinstance(node.get("floats"), list):
        numbers = [i if is_digest(i) else digest_number("i", i) for i in node.get("ints") or []]
        numbers += [digest_number("f", float(f)) for f in node.get("floats") or []]
        out["ints"] = sorted(numbers)
        out["floats"] = []
    if isinstance(node.get("sketch_examples"), list):
        out["sketch_examples"] = [
            [h, "i" if tag == "f" else tag, _strip_scalar(tag, v, own)]
            for h, tag, v in node["sketch_examples"]
        ]
    children = node.get("children")
    if isinstance(children, Mapping):
        renamed: dict[str, Any] = {}
        for k, c in sorted(children.items()):
            saved_key = digest_key(k)
            child = _strip_node(c, k)
            if saved_key != k and isinstance(child.get("name"), str):
                child["name"] = saved_key
            renamed[saved_key] = child
        out["children"] = renamed
    for key in ("items", "values"):
        if isinstance(node.get(key), Mapping):
            out[key] = _strip_node(node[key], None)
    return out


def _strip_scalar(tag: str, value: Any, name: str | None) -> Any:
    if is_digest(value):
        return value
    if tag == "s" and isinstance(value, str):
        return value if keeps_verbatim(value, name) else digest_string(value)
    if tag in ("i", "f") and isinstance(value, int | float) and not isinstance(value, bool):
        return digest_number(tag, value)
    return value


def strip_example(value: Any, name: str | None = None) -> Any:
    """A whole-message example without its sampled values: what the redactor replaces
    whatever the final schema says is replaced here already, and what it may keep
    (booleans, nulls, enum tokens, record keys) is kept."""
    if isinstance(value, dict):
        # Keys that are uuids, integers, dates or codes are data whatever the schema says;
        # other keys that are data (ids, names) are saved as digests (digest_key).
        if value and all(key_families(k) & STRONG_KEY_FAMILIES for k in value):
            return {f"key{i}": strip_example(v) for i, v in enumerate(value.values(), start=1)}
        return {digest_key(k): strip_example(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_example(v) for v in value]
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return 0
    if isinstance(value, float):
        return 0.0  # json_type says "number" for every float, as for the value
    if isinstance(value, str):
        if keeps_verbatim(value, name):
            return value
        return placeholder_for_format(detect_format(value))
    return None


def _strip_shape(shape: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(shape)
    if isinstance(shape.get("stats"), Mapping):
        out["stats"] = _strip_node(shape["stats"], None)
    return out


def strip_values(topic: Mapping[str, Any]) -> dict[str, Any]:
    """The dict form of one topic's observation without sampled values (see above)."""
    import json

    out = dict(topic)
    for key in ("key", "headers"):
        if isinstance(topic.get(key), Mapping):
            out[key] = _strip_shape(topic[key])
    kinds = []
    for entry in topic.get("kinds") or []:
        entry = dict(entry)
        obs = dict(entry["observation"])
        for key in ("payload", "headers"):
            if isinstance(obs.get(key), Mapping):
                obs[key] = _strip_shape(obs[key])
        obs["examples"] = [
            [h, _canonical(strip_example(json.loads(text))), p, o]
            for h, text, p, o in obs.get("examples") or []
        ]
        entry["observation"] = obs
        kinds.append(entry)
    out["kinds"] = kinds
    return out


def _canonical(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
