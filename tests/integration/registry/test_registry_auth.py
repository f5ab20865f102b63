"""A registry that demands HTTP basic auth: credentials from the properties file, as
Confluent's tools take them, or in the URL; never printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.conftest import KafkaCluster
from tests.kafka_util import create_topics, run_cli
from tools import devregistry

pytestmark = [pytest.mark.kafka, pytest.mark.registry]

SCHEMA = {
    "type": "record",
    "name": "Ping",
    "namespace": "com.example.auth",
    "fields": [{"name": "n", "type": "int"}],
}


def _properties(tmp_path: Path, url: str, user_info: str) -> Path:
    path = tmp_path / "client.properties"
    path.write_text(
        f"schema.registry.url={url}\n"
        "basic.auth.credentials.source=USER_INFO\n"
        f"basic.auth.user.info={user_info}\n"
    )
    return path


def test_basic_auth_from_the_properties_file(
    kafka: KafkaCluster,
    schema_registry_with_auth: devregistry.Registry,
    topic_name: str,
    tmp_path: Path,
) -> None:
    registry = schema_registry_with_auth
    create_topics(kafka.bootstrap, [topic_name])
    with SchemaRegistryClient(registry.client_config("alice")) as client:
        serialize = AvroSerializer(client, json.dumps(SCHEMA))
        producer = Producer({"bootstrap.servers": kafka.bootstrap})
        for n in range(10):
            value = serialize({"n": n}, SerializationContext(topic_name, MessageField.VALUE))
            producer.produce(topic_name, value=value)
        assert producer.flush(30) == 0
    password = devregistry.USERS["alice"]
    props = _properties(tmp_path, registry.url, f"alice:{password}")
    out = tmp_path / "auth.yaml"
    done = run_cli(
        [
            "infer",
            "-b",
            kafka.bootstrap,
            "--command-config",
            str(props),
            "--topics",
            topic_name,
            "--from",
            "earliest",
            "--no-summary",
            "-o",
            str(out),
        ]
    )
    assert done.returncode == 0, done.stderr
    doc = yaml.safe_load(out.read_text())
    [message] = doc["components"]["messages"].values()
    assert message["payload"]["schema"] == SCHEMA
    assert password not in done.stderr + done.stdout + out.read_text()

    # Wrong credentials: exit 3 before sampling, one line, and the secret is not shown.
    wrong = _properties(tmp_path, registry.url, "alice:not-the-password")
    refused = run_cli(
        [
            "infer",
            "-b",
            kafka.bootstrap,
            "--command-config",
            str(wrong),
            "--topics",
            topic_name,
            "-o",
            str(tmp_path / "no.yaml"),
        ]
    )
    assert refused.returncode == 3
    assert "refused the credentials (HTTP 401)" in refused.stderr
    assert "not-the-password" not in refused.stderr + refused.stdout
    assert not (tmp_path / "no.yaml").exists()

    # In the URL works too, and the URL is shown without them.
    host = registry.url.split("://", 1)[1]
    in_url = run_cli(
        [
            "infer",
            "-b",
            kafka.bootstrap,
            "--topics",
            topic_name,
            "--from",
            "earliest",
            "--schema-registry",
            f"http://alice:{password}@{host}",
            "--no-summary",
            "-v",
            "-o",
            str(tmp_path / "url.yaml"),
        ]
    )
    assert in_url.returncode == 0, in_url.stderr
    assert password not in in_url.stderr + in_url.stdout
