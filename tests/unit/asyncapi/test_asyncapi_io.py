"""Deterministic output, atomic writes, and load errors that say where."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import yaml

from inferrer.asyncapi.io import dump_document
from inferrer.asyncapi.read import detect_version, load_document
from inferrer.atomic import write_atomic
from inferrer.errors import OutputError, SpecError


def test_top_level_in_specification_order_then_sorted() -> None:
    doc = {
        "x-owner": "payments-team",
        "components": {"schemas": {"B": {}, "A": {}}},
        "operations": {},
        "channels": {"z": {"address": "z"}, "a": {"address": "a"}},
        "defaultContentType": "application/json",
        "info": {"version": "1.0", "title": "T"},
        "asyncapi": "3.0.0",
        "x-audit": True,
    }
    text = dump_document(doc)
    assert text == (
        "asyncapi: 3.0.0\n"
        "info:\n"
        "  title: T\n"
        "  version: '1.0'\n"
        "defaultContentType: application/json\n"
        "channels:\n"
        "  a:\n"
        "    address: a\n"
        "  z:\n"
        "    address: z\n"
        "operations: {}\n"
        "components:\n"
        "  schemas:\n"
        "    A: {}\n"
        "    B: {}\n"
        "x-audit: true\n"
        "x-owner: payments-team\n"
    )
    assert list(json.loads(dump_document(doc, "json"))) == [
        "asyncapi",
        "info",
        "defaultContentType",
        "channels",
        "operations",
        "components",
        "x-audit",
        "x-owner",
    ]


def test_yaml_has_no_aliases_and_round_trips(tmp_path: Path) -> None:
    shared = {"type": "string"}
    doc = {"asyncapi": "3.0.0", "a": shared, "b": shared, "when": "2024-05-01T12:00:00Z"}
    text = dump_document(doc)
    assert "&" not in text and "*" not in text
    path = tmp_path / "doc.yaml"
    path.write_text(text)
    assert load_document(path) == doc


def test_unquoted_dates_load_as_strings(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text("asyncapi: 3.0.0\ninfo:\n  x-reviewed: 2024-05-01\n")
    assert load_document(path)["info"]["x-reviewed"] == "2024-05-01"


def test_bad_yaml_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text("asyncapi: 3.0.0\ninfo:\n  title: [unclosed\n  version: 1\n")
    with pytest.raises(SpecError) as info:
        load_document(path)
    assert str(info.value) == (f"{path}:4:10: invalid YAML: expected ',' or ']', but got ':'")


def test_bad_json_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text('{\n  "asyncapi": "3.0.0",\n  "info": {,}\n}\n')
    with pytest.raises(SpecError) as info:
        load_document(path)
    assert str(info.value) == (
        f"{path}:3:12: invalid JSON: Expecting property name enclosed in double quotes"
    )


def test_missing_and_non_mapping_files(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        load_document(tmp_path / "absent.yaml")
    assert str(info.value) == f"cannot read spec {tmp_path / 'absent.yaml'}: no such file"
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(SpecError) as info:
        load_document(path)
    assert str(info.value) == (f"{path}: not an AsyncAPI document (the top level is not a mapping)")


def test_detect_version() -> None:
    assert detect_version({"asyncapi": "3.1.0"}) == "3.1.0"
    assert detect_version({"asyncapi": "2.6.0"}) == "2.6.0"
    with pytest.raises(SpecError) as info:
        detect_version({"asyncapi": "2.0.0"}, "old.yaml")
    assert str(info.value) == (
        "old.yaml: AsyncAPI version 2.0.0 is not supported (supported: 3.0.0, 3.1.0, 2.6.0)"
    )
    with pytest.raises(SpecError) as info:
        detect_version({"openapi": "3.0.0"}, "api.yaml")
    assert str(info.value) == "api.yaml: not an AsyncAPI document (no 'asyncapi' version field)"


def test_write_atomic_replaces_and_keeps_permissions(tmp_path: Path) -> None:
    path = tmp_path / "asyncapi.yaml"
    path.write_text("old\n")
    os.chmod(path, 0o640)
    write_atomic(path, "new\n")
    assert path.read_text() == "new\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["asyncapi.yaml"]
    fresh = tmp_path / "fresh.yaml"
    write_atomic(fresh, "x\n")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask


def test_failed_write_leaves_the_old_file_and_no_partial_file(tmp_path: Path) -> None:
    path = tmp_path / "asyncapi.yaml"
    path.write_text("old\n")
    # A lone surrogate cannot be encoded: the write fails half-way through.
    with pytest.raises(UnicodeEncodeError):
        write_atomic(path, "a" * 100_000 + "\ud800")
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["asyncapi.yaml"]


def test_write_creates_missing_folders(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "asyncapi.yaml"
    write_atomic(target, "x\n")
    assert target.read_text() == "x\n"


def test_unwritable_target_is_a_one_line_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder\n")
    target = blocker / "asyncapi.yaml"
    with pytest.raises(OutputError) as info:
        write_atomic(target, "x\n")
    assert str(info.value).startswith(f"cannot write {target}: ")
    assert "\n" not in str(info.value)


def test_json_output_is_valid_json_with_trailing_newline() -> None:
    doc = {"asyncapi": "3.0.0", "info": {"title": "Ü", "version": "1"}}
    text = dump_document(doc, "json")
    assert text.endswith("}\n") and "Ü" in text
    assert json.loads(text) == doc
    assert yaml.safe_load(dump_document(doc)) == doc


def test_libyaml_and_pure_python_emitters_write_the_same_bytes() -> None:
    from inferrer.asyncapi import io
    from inferrer.asyncapi.build import DocumentOptions, build_document
    from tests.asyncapi_fixtures import all_metadata, all_summaries

    assert yaml.__with_libyaml__, "PyYAML without libyaml: nothing to compare"
    assert len(io._DUMPERS) == 2
    for examples in ("redacted", "raw"):
        doc = build_document(all_summaries(), all_metadata(), DocumentOptions(examples=examples))  # type: ignore[arg-type]
        doc["info"]["description"] = "Two lines:\nü, ✓ and 'quotes'\n"
        doc["info"]["x-long"] = "word " * 300
        doc["info"]["x-odd"] = ["yes", "null", "1.0", "2024-05-01", "", " lead", "a: b", "#x"]
        ordered = io.order_document(doc)
        libyaml, python = (io.dump_yaml(ordered, dumper) for dumper in io._DUMPERS)
        assert libyaml == python
        assert yaml.safe_load(libyaml) == json.loads(json.dumps(ordered))
