"""The official AsyncAPI CLI (``asyncapi validate``, ``@asyncapi/cli`` installed by
``make npm``) on the documents the tool writes: 0 errors and 0 warnings.

The parser test elsewhere checks each document the library builds; this one runs the
command a reviewer runs, on files written the way a user writes them (``infer`` on
captures, with and without a registry's writer schemas, every AsyncAPI version, topic
families, Debezium rows shared by ``$ref``, an ``--update``). Its ruleset's *info*
diagnostics (such as "3.1.0 is the latest version") are allowed; warnings are not.

A 2.6 document gets the 2.6 ruleset's three warnings (no servers, no contact, no
licence) unless the user names them: the tool does not invent an owner. The last test
holds that those three are then the only ones.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from inferrer.asyncapi.build import DocumentOptions, build_document
from inferrer.asyncapi.io import dump_document
from inferrer.asyncapi.validate import find_node_modules
from inferrer.capture import write_capture
from inferrer.registry.sidecar import write_sidecar
from tests.bank_helpers import BANK
from tests.kafka_util import run_cli
from tests.registry_traffic import LOCATED, SCHEMAS, traffic
from tests.unit.asyncapi.test_topic_families import topic
from tests.unit.inference.test_inference_engine import infer

pytestmark = pytest.mark.npm

ERROR, WARNING = 0, 1
"""Spectral's severities, as ``--diagnostics-format json`` writes them."""

OWNER = ["--contact", "Payments team,payments@bank.example,https://wiki.bank.example/payments"]
OWNER += ["--license", "Apache-2.0,https://www.apache.org/licenses/LICENSE-2.0"]
OWNER += ["-b", "kafka-1.bank.example:9092"]


def official_validate(path: Path, home: Path) -> list[dict[str, Any]]:
    """The diagnostics ``asyncapi validate`` gives *path*, anonymous metrics off (the
    CLI would otherwise try to send them out of this machine)."""
    metrics = home / "asyncapi-analytics.json"
    metrics.write_text(
        json.dumps({"analyticsEnabled": "false", "infoMessageShown": "true", "userID": "test"})
    )
    env = {**os.environ, "ASYNCAPI_METRICS_CONFIG_PATH": str(metrics), "HOME": str(home)}
    cli = find_node_modules() / ".bin" / "asyncapi"
    args = [str(cli), "validate", str(path), "--diagnostics-format", "json"]
    done = subprocess.run(
        [*args, "--fail-severity", "warn"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    out = done.stdout
    if "[" not in out:
        # No diagnostics at all: the CLI says the file is valid and exits 0.
        assert done.returncode == 0 and "is valid" in out, (done.returncode, out, done.stderr)
        return []
    diagnostics: list[dict[str, Any]] = json.loads(out[out.index("[") :])
    worst = min((d["severity"] for d in diagnostics), default=99)
    assert (done.returncode != 0) == (worst <= WARNING), (done.returncode, out)
    return diagnostics


def assert_clean(path: Path, home: Path) -> None:
    found = [
        (d["code"], d["message"], ".".join(map(str, d["path"])))
        for d in official_validate(path, home)
        if d["severity"] <= WARNING
    ]
    assert found == [], f"{path.name}: {found}"


def infer_file(tmp_path: Path, name: str, args: list[str]) -> Path:
    out = tmp_path / name
    done = run_cli(["infer", *args, "--no-summary", "-o", str(out)])
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.parametrize(
    ("version", "capture"),
    [("3.0.0", "v1"), ("3.1.0", "v2"), ("2.6.0", "v1")],
)
def test_the_bank_document_has_no_error_and_no_warning(
    tmp_path: Path, version: str, capture: str
) -> None:
    args = ["--from-file", str(BANK / capture), "--asyncapi-version", version]
    if version == "2.6.0":
        args += OWNER
    assert_clean(infer_file(tmp_path, f"bank-{version}.yaml", args), tmp_path)


@pytest.mark.parametrize("version", ["3.0.0", "2.6.0"])
def test_registry_backed_topics_have_no_error_and_no_warning(tmp_path: Path, version: str) -> None:
    capture = tmp_path / "registry.jsonl"
    write_capture(traffic(), capture)
    write_sidecar(capture, SCHEMAS, [], LOCATED)
    args = ["--from-file", str(capture), "--asyncapi-version", version]
    if version == "2.6.0":
        args += OWNER
    path = infer_file(tmp_path, f"registry-{version}.yaml", args)
    text = path.read_text()
    # Avro, Protobuf and JSON Schema payloads, each in its own format.
    assert "avro" in text and "protobuf" in text and "schema+json" in text
    assert_clean(path, tmp_path)


def test_an_updated_document_has_no_error_and_no_warning(tmp_path: Path) -> None:
    path = infer_file(tmp_path, "bank.yaml", ["--from-file", str(BANK / "v1")])
    path.write_text("# Owned by the payments team.\n" + path.read_text())
    done = run_cli(["infer", "--from-file", str(BANK / "v2"), "--update", str(path)])
    assert done.returncode == 0, done.stderr
    assert path.read_text().startswith("# Owned by the payments team.\n")
    assert_clean(path, tmp_path)


@pytest.mark.parametrize("version", ["3.0.0", "2.6.0"])
def test_families_and_shared_rows_have_no_error_and_no_warning(
    tmp_path: Path, version: str
) -> None:
    row = {"id": 1, "name": "x"}
    cdc = infer(
        [
            {"before": None, "after": row, "op": "c", "source": {}},
            {"before": row, "after": row, "op": "u", "source": {}},
            {"before": row, "after": None, "op": "d", "source": {}},
        ],
        "cdc.shop.suppliers",
    )
    family = [topic(f"orders.{r}.created", count=n) for r, n in (("eu", 5), ("us", 7), ("jp", 9))]
    options = DocumentOptions(asyncapi_version=version, bootstrap="kafka-1.bank.example:9092")
    doc = build_document([cdc, *family], {}, options)
    if version == "2.6.0":
        doc["info"]["contact"] = {
            "name": "Shop team",
            "email": "shop@example.com",
            "url": "https://wiki.example.com/shop",
        }
        doc["info"]["license"] = {"name": "Apache-2.0"}
    else:
        addresses = [channel["address"] for channel in doc["channels"].values()]
        assert "orders.{region}.created" in addresses
        assert "SupplierRow" in doc["components"]["schemas"]
    path = tmp_path / f"shop-{version}.yaml"
    path.write_text(dump_document(doc))
    assert_clean(path, tmp_path)


def test_a_2_6_document_without_an_owner_gets_only_the_rulesets_three_warnings(
    tmp_path: Path,
) -> None:
    path = infer_file(
        tmp_path, "bare.yaml", ["--from-file", str(BANK / "v1"), "--asyncapi-version", "2.6.0"]
    )
    codes = sorted(d["code"] for d in official_validate(path, tmp_path) if d["severity"] <= WARNING)
    assert codes == ["asyncapi-info-contact", "asyncapi-info-license", "asyncapi-servers"]
