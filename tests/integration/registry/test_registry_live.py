"""Registry-backed topics end to end: the real broker, the real registry, the real parser.

Producers use Confluent's own serializers (confluent-kafka's AvroSerializer,
ProtobufSerializer and JSONSerializer), which register their schemas in the registry
and frame every message; ``infer-asyncapi`` then samples the topics with
``--schema-registry`` and must describe them with the registry's schemas.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from inferrer.registry.schemas import _compile_proto
from tests import asyncapi_fixtures
from tests.conftest import KafkaCluster, SchemaRegistry
from tests.kafka_util import create_topics, run_cli
from tools.devkafka import free_port

asyncapi_parser = asyncapi_fixtures.asyncapi_parser
asyncapi_check = asyncapi_fixtures.asyncapi_check

pytestmark = [pytest.mark.kafka, pytest.mark.registry, pytest.mark.npm]


def payment(extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "type": "record",
        "name": "Payment",
        "namespace": "com.bank.live",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "amount", "type": "long"},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            *(extra or []),
        ],
    }


MEMO = [{"name": "memo", "type": ["null", "string"], "default": None}]
REFUND = {
    "type": "record",
    "name": "Refund",
    "namespace": "com.bank.live",
    "fields": [{"name": "paymentId", "type": "string"}],
}
KEY = {
    "type": "record",
    "name": "AccountKey",
    "namespace": "com.bank.live",
    "fields": [{"name": "iban", "type": "string"}],
}
ORDER_PROTO = """syntax = "proto3";
package shop.live;
message Order { string id = 1; int64 qty = 2; }
message OrderKey { string region = 1; }
"""
SHIPMENT = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Shipment",
    "type": "object",
    "properties": {"id": {"type": "string"}, "weight": {"type": "number"}},
    "required": ["id"],
}


def send(bootstrap: str, topic: str, messages: list[tuple[bytes | None, bytes]]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for key, value in messages:
        producer.produce(topic, key=key, value=value)
    assert producer.flush(30) == 0


def avro_messages(
    client: SchemaRegistryClient,
    topic: str,
    schema: dict[str, Any],
    datums: list[dict[str, Any]],
    *,
    key_schema: dict[str, Any] | None = None,
    conf: dict[str, Any] | None = None,
) -> list[tuple[bytes | None, bytes]]:
    values = AvroSerializer(client, json.dumps(schema), conf=conf)
    keys = AvroSerializer(client, json.dumps(key_schema)) if key_schema else None
    out: list[tuple[bytes | None, bytes]] = []
    for i, datum in enumerate(datums):
        key = None
        if keys is not None:
            key = keys({"iban": f"DE{i % 5:020d}"}, SerializationContext(topic, MessageField.KEY))
        value = values(datum, SerializationContext(topic, MessageField.VALUE))
        assert value is not None
        out.append((key, value))
    return out


def pays(n: int, start: int = 0, **extra: Any) -> list[dict[str, Any]]:
    return [
        {"id": f"p-{i}", "amount": 100 + i, "at": 1_772_409_600_000 + i, **extra}
        for i in range(start, start + n)
    ]


def infer(kafka: KafkaCluster, registry: str, topic: str, out: Path, *more: str) -> dict[str, Any]:
    done = run_cli(
        [
            "infer",
            "-b",
            kafka.bootstrap,
            "--schema-registry",
            registry,
            "--topics",
            topic,
            "--from",
            "earliest",
            "--no-summary",
            "-o",
            str(out),
            *more,
        ]
    )
    assert done.returncode == 0, done.stderr
    doc: dict[str, Any] = yaml.safe_load(out.read_text())
    return doc


def messages_of(doc: dict[str, Any], topic: str) -> list[dict[str, Any]]:
    [channel] = [c for c in doc["channels"].values() if c["address"] == topic]
    return [doc["components"]["messages"][name] for name in channel["messages"]]


def test_avro_topic_with_two_live_versions_and_an_avro_key(
    kafka: KafkaCluster,
    schema_registry: SchemaRegistry,
    client: SchemaRegistryClient,
    topic_name: str,
    tmp_path: Path,
    asyncapi_check: Callable[[dict[str, Any]], None],
) -> None:
    create_topics(kafka.bootstrap, [topic_name])
    v1 = avro_messages(client, topic_name, payment(), pays(40), key_schema=KEY)
    v2 = avro_messages(client, topic_name, payment(MEMO), pays(40, 40, memo="rent"), key_schema=KEY)
    send(kafka.bootstrap, topic_name, v1 + v2)
    doc = infer(kafka, schema_registry.url, topic_name, tmp_path / "a.yaml")
    asyncapi_check(doc)
    [message] = messages_of(doc, topic_name)
    assert message["payload"]["schemaFormat"] == "application/vnd.apache.avro;version=1.9.0"
    assert message["payload"]["schema"] == payment(MEMO)
    latest = client.get_latest_version(f"{topic_name}-value")
    first = client.get_version(f"{topic_name}-value", 1)
    facts = message["x-inferrer-registry"]
    assert facts["schemaIds"] == sorted({first.schema_id, latest.schema_id})
    assert facts["schemaId"] == latest.schema_id
    assert (facts["subject"], facts["version"]) == (f"{topic_name}-value", latest.version)
    assert facts["strategy"] == "TopicNameStrategy"
    binding = message["bindings"]["kafka"]
    assert binding["schemaIdLocation"] == "payload"
    assert binding["key"]["properties"]["iban"]["type"] == "string"
    # The evidence file holds what the sample showed of the decoded values.
    evidence = json.loads((tmp_path / "a.evidence.json").read_text())
    node = next(v for k, v in evidence["nodes"].items() if k.startswith("/components/messages/"))
    assert node["fields"]["/at"]["format"] == "date-time"
    assert node["sample-size"] == 80


def test_protobuf_and_json_schema_topics(
    kafka: KafkaCluster,
    schema_registry: SchemaRegistry,
    client: SchemaRegistryClient,
    topic_name: str,
    tmp_path: Path,
    asyncapi_check: Callable[[dict[str, Any]], None],
) -> None:
    orders, shipments = f"{topic_name}.orders", f"{topic_name}.shipments"
    create_topics(kafka.bootstrap, [orders, shipments])
    fds = descriptor_pb2.FileDescriptorSet.FromString(_compile_proto({"order.proto": ORDER_PROTO}))
    pool = descriptor_pool.DescriptorPool()
    for f in fds.file:
        pool.Add(f)
    order = message_factory.GetMessageClass(pool.FindMessageTypeByName("shop.live.Order"))
    order_key = message_factory.GetMessageClass(pool.FindMessageTypeByName("shop.live.OrderKey"))
    proto = ProtobufSerializer(order, client, {"use.deprecated.format": False})
    # The key is the file's second message: its framing carries the message index [1].
    proto_key = ProtobufSerializer(order_key, client, {"use.deprecated.format": False})
    send(
        kafka.bootstrap,
        orders,
        [
            (
                proto_key(order_key(region="EU"), SerializationContext(orders, MessageField.KEY)),
                proto(order(id=f"o{i}", qty=i), SerializationContext(orders, MessageField.VALUE)),
            )
            for i in range(30)
        ],
    )
    as_json = JSONSerializer(json.dumps(SHIPMENT), client)
    key_schema = {
        "title": "ShipmentKey",
        "type": "object",
        "properties": {"depot": {"type": "string"}},
    }
    json_key = JSONSerializer(json.dumps(key_schema), client)
    send(
        kafka.bootstrap,
        shipments,
        [
            (
                json_key({"depot": f"D{i % 3}"}, SerializationContext(shipments, MessageField.KEY)),
                as_json(
                    {"id": f"s{i}", "weight": i / 2},
                    SerializationContext(shipments, MessageField.VALUE),
                ),
            )
            for i in range(30)
        ],
    )
    doc = infer(kafka, schema_registry.url, f"{topic_name}.*", tmp_path / "b.yaml")
    asyncapi_check(doc)
    [o] = messages_of(doc, orders)
    assert o["payload"]["schemaFormat"] == "application/vnd.google.protobuf;version=3"
    assert "message Order" in o["payload"]["schema"]
    assert o["x-inferrer-registry"]["record"] == "shop.live.Order"
    assert o["bindings"]["kafka"]["key"]["properties"]["region"]["type"] == "string"
    [s] = messages_of(doc, shipments)
    assert s["payload"]["schemaFormat"] == "application/schema+json;version=draft-07"
    assert s["payload"]["schema"]["title"] == "Shipment"
    # The JSON Schema framed key is read as the JSON it is.
    assert s["bindings"]["kafka"]["key"]["properties"]["depot"]["type"] == "string"


def test_several_record_types_on_one_topic(
    kafka: KafkaCluster,
    schema_registry: SchemaRegistry,
    client: SchemaRegistryClient,
    topic_name: str,
    tmp_path: Path,
) -> None:
    create_topics(kafka.bootstrap, [topic_name])
    strategy = {"subject.name.strategy": _topic_record_strategy()}
    traffic = avro_messages(client, topic_name, payment(), pays(20), conf=strategy)
    refunds = [{"paymentId": f"p-{i}"} for i in range(10)]
    traffic += avro_messages(client, topic_name, REFUND, refunds, conf=strategy)
    send(kafka.bootstrap, topic_name, traffic)
    doc = infer(kafka, schema_registry.url, topic_name, tmp_path / "c.yaml")
    records = {m["x-inferrer-registry"]["record"]: m for m in messages_of(doc, topic_name)}
    assert sorted(records) == ["com.bank.live.Payment", "com.bank.live.Refund"]
    refund = records["com.bank.live.Refund"]
    assert refund["x-inferrer-registry"]["subject"] == f"{topic_name}-com.bank.live.Refund"
    assert refund["bindings"]["kafka"]["schemaLookupStrategy"] == "TopicRecordNameStrategy"
    assert refund["payload"]["schema"] == REFUND
    # Each record type's observed facts are its own, in the evidence file.
    evidence = json.loads((tmp_path / "c.evidence.json").read_text())["nodes"]
    observed = {
        name.rsplit("/", 1)[-1]: (
            node["sample-size"],
            sorted(node["observed-schema"]["properties"]),
        )
        for name, node in evidence.items()
        if name.startswith("/components/messages/")
    }
    assert observed == {"Payment": (20, ["amount", "at", "id"]), "Refund": (10, ["paymentId"])}


def _topic_record_strategy() -> Any:
    from confluent_kafka.schema_registry import topic_record_subject_name_strategy

    return topic_record_subject_name_strategy


def test_a_registry_that_is_down_is_exit_3_before_sampling(
    kafka: KafkaCluster, topic_name: str, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens there
    done = run_cli(
        [
            "infer",
            "-b",
            kafka.bootstrap,
            "--schema-registry",
            f"http://bob:hunter2-secret@127.0.0.1:{port}",
            "--topics",
            topic_name,
            "-o",
            str(tmp_path / "x.yaml"),
        ]
    )
    assert done.returncode == 3
    assert f"127.0.0.1:{port}" in done.stderr and "did not answer" in done.stderr
    assert "hunter2" not in done.stderr + done.stdout
    assert not (tmp_path / "x.yaml").exists()


def test_an_unknown_schema_id_is_a_warning_not_a_failure(
    kafka: KafkaCluster, schema_registry: SchemaRegistry, topic_name: str, tmp_path: Path
) -> None:
    create_topics(kafka.bootstrap, [topic_name])
    send(kafka.bootstrap, topic_name, [(None, b"\x00\x7f\xff\xff\x01\x02\x04ab")] * 5)
    done = run_cli(
        [
            "infer",
            "-b",
            kafka.bootstrap,
            "--schema-registry",
            schema_registry.url,
            "--topics",
            topic_name,
            "--from",
            "earliest",
            "--no-summary",
            "-o",
            str(tmp_path / "u.yaml"),
        ]
    )
    assert done.returncode == 0, done.stderr
    assert f"topic {topic_name}: 5 framed message(s) not decoded" in done.stderr
    assert str(0x7FFFFF01) in done.stderr


def test_record_keeps_the_writer_schemas_for_offline_work(
    kafka: KafkaCluster,
    schema_registry: SchemaRegistry,
    client: SchemaRegistryClient,
    topic_name: str,
    tmp_path: Path,
) -> None:
    create_topics(kafka.bootstrap, [topic_name])
    send(kafka.bootstrap, topic_name, avro_messages(client, topic_name, payment(), pays(25)))
    capture = tmp_path / "cap.jsonl"
    done = run_cli(
        [
            "record",
            "-b",
            kafka.bootstrap,
            "--schema-registry",
            schema_registry.url,
            "--topics",
            topic_name,
            "--from",
            "earliest",
            "-o",
            str(capture),
        ]
    )
    assert done.returncode == 0, done.stderr
    sidecar = json.loads((tmp_path / "cap.schemas.json").read_text())
    [schema_id] = sidecar["schemas"]
    assert json.loads(sidecar["schemas"][schema_id]["schema"]) == payment()
    live = infer(kafka, schema_registry.url, topic_name, tmp_path / "live.yaml")
    # Offline: no registry, no broker; the sidecar brings the schema.
    offline = run_cli(
        ["infer", "--from-file", str(capture), "--no-summary", "-o", str(tmp_path / "off.yaml")]
    )
    assert offline.returncode == 0, offline.stderr
    doc = yaml.safe_load((tmp_path / "off.yaml").read_text())
    assert messages_of(doc, topic_name)[0]["payload"] == messages_of(live, topic_name)[0]["payload"]
    assert (
        messages_of(doc, topic_name)[0]["x-inferrer-registry"]
        == messages_of(live, topic_name)[0]["x-inferrer-registry"]
    )


def test_diff_finds_a_new_version_and_the_registry_verdict(
    kafka: KafkaCluster,
    schema_registry: SchemaRegistry,
    client: SchemaRegistryClient,
    topic_name: str,
    tmp_path: Path,
) -> None:
    create_topics(kafka.bootstrap, [topic_name])
    subject = f"{topic_name}-value"
    send(kafka.bootstrap, topic_name, avro_messages(client, topic_name, payment(), pays(20)))
    infer(kafka, schema_registry.url, topic_name, tmp_path / "spec.yaml")
    # A producer moves to a version the BACKWARD rule would refuse (a new field without a
    # default): the subject was set to FORWARD for it, then back, as an operator might.
    _set_compatibility(schema_registry.url, subject, "FORWARD")
    breaking = payment([{"name": "total", "type": "string"}])
    datum = {"id": "p", "amount": 1, "at": 1, "total": "1"}
    new = avro_messages(client, topic_name, breaking, [datum] * 15)
    _set_compatibility(schema_registry.url, subject, "BACKWARD")
    send(kafka.bootstrap, topic_name, new)
    done = run_cli(
        [
            "diff",
            "--spec",
            str(tmp_path / "spec.yaml"),
            "-b",
            kafka.bootstrap,
            "--schema-registry",
            schema_registry.url,
            "--topics",
            topic_name,
            "--from",
            "earliest",
            "--format",
            "json",
        ]
    )
    assert done.returncode == 1, done.stderr
    findings = {f["rule"]: f for f in json.loads(done.stdout)["findings"]}
    assert {"schema-id-new", "registry-incompatible", "subject-version-changed"} <= set(findings)
    assert findings["registry-incompatible"]["severity"] == "breaking"
    assert findings["schema-id-new"]["evidence"]["count"] == 15
    assert findings["subject-version-changed"]["before"] == 1


def _set_compatibility(url: str, subject: str, level: str) -> None:
    request = urllib.request.Request(
        f"{url}/config/{subject}",
        data=json.dumps({"compatibility": level}).encode(),
        headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
        method="PUT",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_topics_lists_subjects_and_versions(
    kafka: KafkaCluster,
    schema_registry: SchemaRegistry,
    client: SchemaRegistryClient,
    topic_name: str,
) -> None:
    create_topics(kafka.bootstrap, [topic_name])
    avro_messages(client, topic_name, payment(), pays(1), key_schema=KEY)
    avro_messages(client, topic_name, payment(MEMO), pays(1))
    done = run_cli(
        [
            "topics",
            "-b",
            kafka.bootstrap,
            "--schema-registry",
            schema_registry.url,
            "--topics",
            topic_name,
            "--format",
            "json",
        ]
    )
    assert done.returncode == 0, done.stderr
    [topic] = json.loads(done.stdout)["topics"]
    assert topic["subjects"] == {f"{topic_name}-key": [1], f"{topic_name}-value": [1, 2]}
