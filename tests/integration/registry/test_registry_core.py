"""Registry runs and live samples decode framed messages in the core, as the reference does.

The same traffic (Avro with two versions and an Avro key, a topic mixing Avro and
Protobuf record types, a broken Avro body, an id the registry lacks, plain JSON) is
read from the real broker with the real registry behind: by ``collect`` (live, and from
a capture without a schema sidecar), whose engine asks for each schema id once, and by
the reference, :meth:`FramedDecoder.messages`, which decodes every body in Python
before the engine folds it. Observations and counts must be equal; only Protobuf
bodies may be decoded in Python on the core's route.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient, topic_record_subject_name_strategy
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from inferrer.capture import write_capture
from inferrer.engine import Engine
from inferrer.inference import observations_of
from inferrer.kafka.plan import SampleConfig, StartPosition
from inferrer.kafka.sampler import open_stream, record_of
from inferrer.pipeline import Collected, Source, collect
from inferrer.records import Record
from inferrer.registry.client import RegistryClient
from inferrer.registry.framed import FramedDecoder
from inferrer.registry.schemas import _compile_proto
from inferrer.registry.settings import RegistrySettings
from inferrer.registry.sidecar import read_sidecars
from tests.conftest import KafkaCluster, SchemaRegistry
from tests.integration.registry.test_registry_live import (
    KEY,
    MEMO,
    ORDER_PROTO,
    avro_messages,
    payment,
    pays,
    send,
)
from tests.kafka_util import create_topics, plain

pytestmark = [pytest.mark.kafka, pytest.mark.registry]

PROTOBUF_MESSAGES = 12


def _orders(client: SchemaRegistryClient, topic: str) -> list[tuple[bytes | None, bytes]]:
    fds = descriptor_pb2.FileDescriptorSet.FromString(_compile_proto({"order.proto": ORDER_PROTO}))
    pool = descriptor_pool.DescriptorPool()
    for f in fds.file:
        pool.Add(f)
    order = message_factory.GetMessageClass(pool.FindMessageTypeByName("shop.live.Order"))
    conf = {
        "use.deprecated.format": False,
        "subject.name.strategy": topic_record_subject_name_strategy,
    }
    proto = ProtobufSerializer(order, client, conf)
    ctx = SerializationContext(topic, MessageField.VALUE)
    return [(None, proto(order(id=f"o{i}", qty=i), ctx)) for i in range(PROTOBUF_MESSAGES)]


def _traffic(kafka: KafkaCluster, client: SchemaRegistryClient, topic: str) -> tuple[str, str]:
    payments, mixed = f"{topic}.payments", f"{topic}.mixed"
    create_topics(kafka.bootstrap, [payments, mixed])
    v1 = avro_messages(client, payments, payment(), pays(30), key_schema=KEY)
    v2 = avro_messages(client, payments, payment(MEMO), pays(30, 30, memo="rent"), key_schema=KEY)
    send(kafka.bootstrap, payments, v1 + v2)
    strategy = {"subject.name.strategy": topic_record_subject_name_strategy}
    avro = avro_messages(client, mixed, payment(), pays(20), conf=strategy)
    [(_key, whole)] = avro[:1]
    broken: list[tuple[bytes | None, bytes]] = [(None, whole[:-1])] * 3
    unknown: list[tuple[bytes | None, bytes]] = [(None, b"\x00\x7f\xff\xff\x01\x02\x04ab")] * 2
    plain_json: list[tuple[bytes | None, bytes]] = [(None, json.dumps({"n": 1}).encode())] * 2
    orders = _orders(client, mixed)
    # Interleaved, so that the engine meets new ids part-way through its batches.
    interleaved = [m for pair in zip(avro, orders, strict=False) for m in pair]
    send(kafka.bootstrap, mixed, interleaved + avro[12:] + broken + unknown + plain_json)
    return payments, mixed


def _uses(framed: FramedDecoder) -> dict[Any, Any]:
    return {
        key: (list(u.ids.items()), list(u.decoded.items()), list(u.failures.items()))
        for key, u in sorted(framed.use.items())
    }


def _assert_as_the_reference(got: Collected, expected: dict[str, Any], ref: FramedDecoder) -> None:
    assert sorted(expected) == sorted(t for t, o in got.observations.items() if o.messages)
    for topic, observation in expected.items():
        assert got.observations[topic].to_dict() == observation.to_dict(), topic
    assert got.framed is not None
    assert _uses(got.framed) == _uses(ref)
    assert got.framed.schemas == ref.schemas
    assert got.framed.names == ref.names
    # The core read every Avro body; Python decoded only the Protobuf ones.
    assert got.framed.python_bodies == PROTOBUF_MESSAGES
    assert ref.python_bodies == PROTOBUF_MESSAGES + 60 + 60 + 20 + 3


def test_live_and_registry_captures_fold_in_the_core_as_the_reference_folds(
    kafka: KafkaCluster,
    schema_registry: SchemaRegistry,
    client: SchemaRegistryClient,
    topic_name: str,
    tmp_path: Path,
) -> None:
    payments, mixed = _traffic(kafka, client, topic_name)
    registry = RegistrySettings((schema_registry.url,))
    config = SampleConfig(
        client=plain(kafka.bootstrap),
        topics=(f"{topic_name}.*",),
        start=StartPosition("earliest"),
        include_groups=False,
    )

    reference = FramedDecoder(read_sidecars([], RegistryClient(registry)))
    engine = Engine()
    records: list[Record] = []
    for batch in open_stream(config).batches():
        records.extend(record_of(m) for m in batch)
        decoded = reference.messages(batch)
        engine.set_record_types(reference.names)
        engine.fold_messages(decoded)
    expected = observations_of(engine)
    assert expected[mixed].messages == 20 + PROTOBUF_MESSAGES + 3 + 2 + 2
    assert dict(reference.use[(mixed, "value")].failures) == {
        f"the registry has no schema with id {0x7FFFFF01}": 2,
        f"schema id {avro_id(records, mixed)}: not Avro of its writer schema (IndexError)": 3,
    }

    live = collect(Source(sample=config, registry=registry))
    _assert_as_the_reference(live, expected, reference)

    # A capture without a schema sidecar, the registry behind it: the core's reader.
    capture = tmp_path / "traffic.jsonl"
    write_capture(sorted(records, key=lambda r: (r.topic, r.offset)), capture)
    by_file = collect(
        Source(capture_files=(capture,), topics=(f"{topic_name}.*",), registry=registry)
    )
    _assert_as_the_reference(by_file, expected, reference)
    assert payments in by_file.observations


def avro_id(records: list[Record], topic: str) -> int:
    """The schema id of the first framed value of ``topic``."""
    first = next(r for r in records if r.topic == topic and r.value)
    assert first.value is not None
    return int.from_bytes(first.value[1:5], "big")
