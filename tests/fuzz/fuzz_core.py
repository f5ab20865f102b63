"""Fuzz target: the core's byte inputs against the Python reference (the oracle).

Each input is cut into a record (key, value, one header) and a capture line; the core
must not crash or hang, and must give what the reference gives:

* ``_core.decode_record`` == ``inferrer.decoding.decode_parts`` (dict order included);
* ``_core.read_capture_bytes`` == ``inferrer.capture.decode_line`` (record or reason);
* the core's observation of the record == the reference's (``tests/reference``).

Run (bounded; ``make test`` runs it for a few seconds, ``make fuzz`` for longer)::

    python tests/fuzz/fuzz_core.py -max_total_time=20 tests/fuzz/corpus
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import atheris

with atheris.instrument_imports():
    from inferrer import _core
    from inferrer.capture import decode_line
    from inferrer.decoding import decode_parts
    from inferrer.inference import observe
    from inferrer.records import Record

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.reference.observation import observe_reference


def ordered(v: Any) -> Any:
    """A value with dict order made visible (dicts become lists of items)."""
    if isinstance(v, dict):
        return ("dict", [(k, ordered(x)) for k, x in v.items()])
    if isinstance(v, list | tuple):
        return [ordered(x) for x in v]
    if isinstance(v, float):
        return ("float", v.hex())
    return v


def check(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    key = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 16)) if fdp.ConsumeBool() else None
    header = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 32)) if fdp.ConsumeBool() else None
    name = fdp.PickValueInList(["ce_type", "content-type", "trace", "ce_specversion"])
    value = fdp.ConsumeBytes(fdp.remaining_bytes()) if fdp.ConsumeBool() else None
    headers = ((name, header),) if header is not None else ()
    record = Record("fuzz", 0, 1, 1_700_000_000_000, key, value, headers)
    want = decode_parts(record)
    got = _core.decode_record(0, 1, 1_700_000_000_000, key, value, list(headers))
    if ordered(got) != ordered(want):
        raise AssertionError(f"decode differs on {record!r}:\n core {got!r}\n ref  {want!r}")
    core_obs = observe([record])["fuzz"].to_dict()
    ref_obs = observe_reference([record])["fuzz"].to_dict()
    for d in (core_obs, ref_obs):
        for shape in (d["key"], d["headers"]):
            shape.pop("structure", None)
        for k in d["kinds"]:
            k["observation"]["payload"].pop("structure", None)
            k["observation"]["headers"].pop("structure", None)
    if core_obs != ref_obs:  # (the order of a dict's keys is not part of this contract)
        raise AssertionError(f"observation differs on {record!r}")
    line = value or b""
    if b"\n" not in line and line.strip():
        try:
            ref_line: Any = decode_line(line + b"\n")  # as iter_capture reads lines
        except ValueError as e:
            ref_line = str(e)
        ((_, rec, err),) = _core.read_capture_bytes(line + b"\n")
        core_line: Any = err if rec is None else Record(*rec)
        if ref_line != core_line:
            raise AssertionError(f"capture line differs on {line!r}: {core_line!r} vs {ref_line!r}")


def main() -> None:
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
