"""The launcher gives a real Confluent-compatible Schema Registry: Confluent's own client
registers, reads back and evolves Avro, JSON Schema and Protobuf schemas on it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient, SchemaRegistryError

from inferrer.errors import LauncherError
from tests.conftest import SchemaRegistry
from tools import devregistry

pytestmark = pytest.mark.registry

ROOT = Path(__file__).resolve().parents[3]

PAYMENT_V1 = {
    "type": "record",
    "name": "Payment",
    "namespace": "bank",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "amount", "type": "double"},
    ],
}
# v2 adds a field with a default: a v2 reader still reads v1 data (BACKWARD).
PAYMENT_V2 = {
    **PAYMENT_V1,
    "fields": [*PAYMENT_V1["fields"], {"name": "currency", "type": "string", "default": "EUR"}],
}
# A new required field: a reader of this cannot read v1 data (not BACKWARD).
PAYMENT_BREAKING = {
    **PAYMENT_V1,
    "fields": [*PAYMENT_V1["fields"], {"name": "account", "type": "string"}],
}


def avro(schema: dict[str, object]) -> Schema:
    return Schema(json.dumps(schema), schema_type="AVRO")


def test_url_is_the_confluent_api_on_loopback(schema_registry: SchemaRegistry) -> None:
    if schema_registry.registry is None:
        assert schema_registry.url.startswith(("http://", "https://"))
        return
    registry = schema_registry.registry
    assert registry.url == f"http://127.0.0.1:{registry.port}/apis/ccompat/v7"
    with urllib.request.urlopen(registry.base_url + "/health/ready", timeout=5) as resp:
        assert json.load(resp)["status"] == "UP"


def test_listens_on_loopback_only(schema_registry: SchemaRegistry) -> None:
    if schema_registry.registry is None:
        pytest.fail("this test checks the local launcher; unset INFERRER_TEST_SCHEMA_REGISTRY_URL")
    port = schema_registry.registry.port
    listening = _listening_addresses(port)
    assert listening, f"nothing listens on port {port}"
    assert listening <= {"127.0.0.1", "::ffff:127.0.0.1"}, listening


def test_avro_schema_registers_and_reads_back(
    client: SchemaRegistryClient, subject_name: str
) -> None:
    schema_id = client.register_schema(subject_name, avro(PAYMENT_V1))

    by_id = client.get_schema(schema_id)
    assert by_id.schema_type == "AVRO"
    assert json.loads(by_id.schema_str) == PAYMENT_V1

    latest = client.get_latest_version(subject_name)
    assert (latest.schema_id, latest.subject, latest.version) == (schema_id, subject_name, 1)
    assert json.loads(latest.schema.schema_str) == PAYMENT_V1

    # Registering the same schema again is idempotent: same id, still one version.
    assert client.register_schema(subject_name, avro(PAYMENT_V1)) == schema_id
    assert client.get_versions(subject_name) == [1]


def test_compatible_evolution_keeps_both_versions(
    client: SchemaRegistryClient, subject_name: str
) -> None:
    v1_id = client.register_schema(subject_name, avro(PAYMENT_V1))
    assert client.test_compatibility(subject_name, avro(PAYMENT_V2)) is True
    v2_id = client.register_schema(subject_name, avro(PAYMENT_V2))

    assert v2_id != v1_id
    assert client.get_versions(subject_name) == [1, 2]
    assert json.loads(client.get_version(subject_name, 1).schema.schema_str) == PAYMENT_V1
    latest = client.get_latest_version(subject_name)
    assert (latest.version, latest.schema_id) == (2, v2_id)
    assert json.loads(latest.schema.schema_str) == PAYMENT_V2
    # Both writer schemas stay resolvable by id, as consumers of old records need.
    assert json.loads(client.get_schema(v1_id).schema_str) == PAYMENT_V1
    assert json.loads(client.get_schema(v2_id).schema_str) == PAYMENT_V2


def test_backward_incompatible_schema_is_refused(
    client: SchemaRegistryClient, subject_name: str
) -> None:
    client.register_schema(subject_name, avro(PAYMENT_V1))

    assert client.test_compatibility(subject_name, avro(PAYMENT_BREAKING)) is False
    with pytest.raises(SchemaRegistryError) as refused:
        client.register_schema(subject_name, avro(PAYMENT_BREAKING))
    assert refused.value.http_status_code == 409
    assert client.get_versions(subject_name) == [1]


def test_json_schema_registers_and_reads_back(
    client: SchemaRegistryClient, subject_name: str
) -> None:
    document = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Transfer",
        "type": "object",
        "properties": {"id": {"type": "string"}, "cents": {"type": "integer"}},
        "required": ["id"],
    }
    schema_id = client.register_schema(subject_name, Schema(json.dumps(document), "JSON"))

    by_id = client.get_schema(schema_id)
    assert by_id.schema_type == "JSON"
    assert json.loads(by_id.schema_str) == document
    assert client.get_latest_version(subject_name).schema_id == schema_id


def test_protobuf_schema_registers_and_reads_back(
    client: SchemaRegistryClient, subject_name: str
) -> None:
    proto = (
        'syntax = "proto3";\n'
        "package bank;\n\n"
        "message Card {\n"
        "  string id = 1;\n"
        "  int64 limit_cents = 2;\n"
        "}\n"
    )
    schema_id = client.register_schema(subject_name, Schema(proto, "PROTOBUF"))

    by_id = client.get_schema(schema_id)
    assert by_id.schema_type == "PROTOBUF"
    assert "message Card" in by_id.schema_str
    assert "int64 limit_cents = 2;" in by_id.schema_str
    assert client.get_latest_version(subject_name).schema_id == schema_id


def test_unknown_schema_id_is_an_error(client: SchemaRegistryClient) -> None:
    with pytest.raises(SchemaRegistryError) as missing:
        client.get_schema(2_000_000_000)
    assert missing.value.http_status_code == 404
    assert missing.value.error_code == 40403


def test_unknown_subject_is_an_error(client: SchemaRegistryClient, subject_name: str) -> None:
    with pytest.raises(SchemaRegistryError) as missing:
        client.get_latest_version(subject_name)
    assert missing.value.http_status_code == 404


def test_basic_auth_admits_known_users_only(
    schema_registry_with_auth: devregistry.Registry, subject_name: str
) -> None:
    registry = schema_registry_with_auth
    with SchemaRegistryClient(registry.client_config("alice")) as alice:
        schema_id = alice.register_schema(subject_name, avro(PAYMENT_V1))
        assert json.loads(alice.get_schema(schema_id).schema_str) == PAYMENT_V1
    with SchemaRegistryClient(registry.client_config("bob")) as bob:
        assert bob.get_latest_version(subject_name).schema_id == schema_id

    wrong = {**registry.client_config(), "basic.auth.user.info": "alice:wrong"}
    unknown = {**registry.client_config(), "basic.auth.user.info": "mallory:alice-secret"}
    for conf in (registry.client_config(), wrong, unknown):
        with SchemaRegistryClient(conf) as client, pytest.raises(SchemaRegistryError) as denied:
            client.get_latest_version(subject_name)
        assert denied.value.http_status_code == 401

    # Health checks stay open, so the launcher can tell when it is ready.
    with urllib.request.urlopen(registry.base_url + "/health/ready", timeout=5) as resp:
        assert resp.status == 200


def test_start_failure_names_the_cause_and_shows_the_log(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A port that is already taken: the real JVM starts, cannot bind, and exits.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = int(taken.getsockname()[1])
        monkeypatch.setattr(devregistry, "free_port", lambda: port)
        with pytest.raises(LauncherError) as failed:
            devregistry.start(timeout=120)
    message = str(failed.value)
    # The cause in the launcher's words: Quarkus' own line ("Port N seems to be in use")
    # is in the log only when its logging thread wrote it before the JVM exited.
    cause = f"exited with code 1 (port {port} on 127.0.0.1 held by another process)"
    assert message.startswith(f"the registry JVM {cause}; last lines of "), message


def test_cli_start_status_stop(tmp_path: Path) -> None:
    env = {**os.environ, "INFERRER_DEVREGISTRY_STATE": str(tmp_path / "state.json")}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tools.devregistry", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    started = cli("start")
    assert started.returncode == 0, started.stderr
    url = started.stdout.strip()
    state = json.loads((tmp_path / "state.json").read_text())
    try:
        assert url == state["url"]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/apis/ccompat/v7")
        with urllib.request.urlopen(url + "/subjects", timeout=10) as resp:
            assert json.load(resp) == []
        status = cli("status")
        assert (status.returncode, status.stdout.strip()) == (
            0,
            f"running: {url} (pid {state['pid']})",
        )
    finally:
        stopped = cli("stop")
    assert (stopped.returncode, stopped.stdout.strip()) == (0, "stopped")
    assert not devregistry._alive(int(state["pid"]))
    assert not Path(state["workdir"]).exists()
    assert cli("status").stdout.strip() == "not running"


def test_cache_key_follows_the_maven_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "registry"
    (project / "src").mkdir(parents=True)
    (project / "pom.xml").write_text("<project/>")
    (project / "src" / "A.java").write_text("class A {}")
    monkeypatch.setattr(devregistry, "PROJECT_DIR", project)
    first = devregistry.project_hash()

    (project / "target").mkdir()
    (project / "target" / "out.jar").write_text("build output is not a source")
    assert devregistry.project_hash() == first

    (project / "src" / "A.java").write_text("class A { int x; }")
    assert devregistry.project_hash() != first


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of sockets in LISTEN state on ``port``, from /proc/net."""
    found: set[str] = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        with open(table) as fh:
            next(fh)
            for line in fh:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.split(":")
                if state != "0A" or int(hex_port, 16) != port:
                    continue
                raw = bytes.fromhex(address)
                # /proc prints each 32-bit word in host (little-endian) order.
                raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
                found.add(socket.inet_ntop(family, raw))
    return found
