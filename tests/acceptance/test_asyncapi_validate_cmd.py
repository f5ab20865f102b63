"""`infer-asyncapi validate`: the official parser's verdict, with exact lines and exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from inferrer.asyncapi.build import DocumentOptions, build_document
from inferrer.asyncapi.io import dump_document
from inferrer.asyncapi.validate import validate_file
from tests.asyncapi_fixtures import all_metadata, all_summaries

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inferrer", "validate", *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


INVALID = """\
asyncapi: 3.0.0
info:
  title: Hand-written
channels:
  payments:
    address: bank.payments
    bindings:
      kafka:
        partitions: 0
        bindingVersion: 0.5.0
"""


@pytest.mark.npm
def test_valid_and_invalid_files(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    doc = build_document(all_summaries(), all_metadata(), DocumentOptions())
    good.write_text(dump_document(doc, "json"))
    bad = tmp_path / "bad.yaml"
    bad.write_text(INVALID)

    result = run(str(good))
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"{good}: valid (0 errors, 0 warnings)\n",
        "",
    )

    result = run(str(good), str(bad))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{good}: valid (0 errors, 0 warnings)",
        f'{bad}:2:6: error: "info" property must have required property "version" '
        "[asyncapi-document-resolved] (at /info)",
        f'{bad}:8:13: error: "kafka" property must match "then" schema '
        "[asyncapi-document-resolved] (at /channels/payments/bindings/kafka)",
        f'{bad}:9:21: error: "partitions" property must be >= 1 '
        "[asyncapi-document-resolved] (at /channels/payments/bindings/kafka/partitions)",
        f"{bad}: invalid (3 errors, 0 warnings)",
    ]


@pytest.mark.npm
def test_warnings_do_not_fail_a_2_6_document(tmp_path: Path) -> None:
    path = tmp_path / "v2.yaml"
    options = DocumentOptions(asyncapi_version="2.6.0", bootstrap="localhost:9092")
    path.write_text(dump_document(build_document(all_summaries(), all_metadata(), options)))
    report = validate_file(path)
    assert report.valid
    warnings = [d for d in report.diagnostics if d.severity == "warning"]
    # Only what traffic cannot tell is left: who to contact and under what license.
    # (ids, tags and messageIds are written; messages sit on publish only.)
    assert {d.code for d in warnings} == {"asyncapi-info-contact", "asyncapi-info-license"}
    result = run(str(path))
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1] == (f"{path}: valid (0 errors, {len(warnings)} warnings)")


# `validate` looks for npm's parser package first: without it, that is the error.
@pytest.mark.npm
def test_missing_file_exits_3(tmp_path: Path) -> None:
    missing = tmp_path / "absent.yaml"
    result = run(str(missing))
    assert (result.returncode, result.stdout, result.stderr) == (
        3,
        "",
        f"Error: cannot read spec {missing}: no such file\n",
    )


def test_missing_parser_package_exits_3(tmp_path: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text(INVALID)
    result = run(str(path), env={"INFERRER_NODE_MODULES": str(tmp_path)})
    assert (result.returncode, result.stdout, result.stderr) == (
        3,
        "",
        f"Error: @asyncapi/parser is not installed in {tmp_path} (from $INFERRER_NODE_MODULES)\n",
    )


# `validate` looks for npm's parser package first: without it, that is the error.
@pytest.mark.npm
def test_missing_node_exits_3(tmp_path: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text(INVALID)
    result = run(str(path), env={"PATH": str(tmp_path)})
    assert (result.returncode, result.stdout, result.stderr) == (
        3,
        "",
        "Error: node is not installed or not on PATH (Node 20+ is needed)\n",
    )


def test_usage_error_exits_2() -> None:
    result = run()
    assert result.returncode == 2
    assert "Missing argument" in result.stderr


def test_a_broken_parser_install_exits_3(tmp_path: Path) -> None:
    modules = tmp_path / "node_modules"
    (modules / "@asyncapi" / "parser").mkdir(parents=True)
    (modules / "@asyncapi" / "parser" / "package.json").write_text('{"name": "@asyncapi/parser"}')
    path = tmp_path / "doc.yaml"
    path.write_text(INVALID)
    result = run(str(path), env={"INFERRER_NODE_MODULES": str(modules)})
    assert (result.returncode, result.stdout, result.stderr) == (
        3,
        "",
        f"Error: the AsyncAPI parser (node) failed: cannot load @asyncapi/parser from {modules}\n",
    )


# `validate` looks for npm's parser package first: without it, that is the error.
@pytest.mark.npm
def test_a_directory_is_not_a_document(tmp_path: Path) -> None:
    result = run(str(tmp_path))
    assert (result.returncode, result.stderr) == (3, f"Error: {tmp_path}: not a file\n")
