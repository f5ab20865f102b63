"""The analyst API on a live sample of the real broker, and its drift."""

from __future__ import annotations

import json

import pytest

from inferrer import (
    drift_between,
    fields_frame,
    findings_frame,
    load_live,
    load_observations_from,
    topics_frame,
)
from inferrer.kafka.sampler import SampleConfig, StartPosition
from tests.conftest import KafkaCluster
from tests.kafka_util import create_topics, plain, produce
from tests.unit.frames.test_frames import row

# -- live --------------------------------------------------------------------------------


@pytest.mark.kafka
def test_load_live_samples_the_broker(kafka: KafkaCluster, topic_name: str) -> None:
    create_topics(kafka.bootstrap, [topic_name], partitions=2)
    # Opened events carry "x" in their first five only; Closed ones carry a reason.
    values = [
        json.dumps({"type": "Opened", "n": i, **({"x": 1} if i < 5 else {})})
        if i % 3
        else json.dumps({"type": "Closed", "n": i, "reason": "done"})
        for i in range(30)
    ]
    produce(kafka.bootstrap, topic_name, [v.encode() for v in values], partition=0)
    observed = load_live(kafka.bootstrap, [topic_name], start="earliest", max_messages=100)
    topics = topics_frame(observed)
    live = row(topics, topic=topic_name)
    assert live.messages == 30
    assert live.event_kinds == ("Closed", "Opened")
    assert (live.partitions, live.partitions_seen) == (2, 1)
    fields = fields_frame(observed)
    opened = [json.loads(v) for v in values if json.loads(v)["type"] == "Opened"]
    x = row(fields, kind="Opened", path="/x")
    assert x.present == sum(1 for p in opened if "x" in p)
    assert x.messages == len(opened)
    config = SampleConfig(
        client=plain(kafka.bootstrap), topics=(topic_name,), start=StartPosition("earliest")
    )
    again = load_observations_from(config)
    assert again.summaries == observed.summaries
    assert again.source == f"live sample of {kafka.bootstrap}"

    # Live traffic drifts from the document inferred from it: "n" is now also a string.
    produce(
        kafka.bootstrap,
        topic_name,
        [json.dumps({"type": "Opened", "n": str(i)}).encode() for i in range(4)],
        partition=1,
    )
    drift = findings_frame(drift_between(observed, config))
    widened = row(drift, rule="traffic-type-widened")
    assert (widened.channel, widened.kind, widened.severity) == (topic_name, "Opened", "breaking")
    assert widened.pointer == "/components/schemas/Opened/properties/n"
    assert (widened.before, widened.after) == (["integer"], ["integer", "string"])
    assert (widened.evidence_count, widened.evidence_partition) == (4, 1)
    assert widened.evidence_ratio == pytest.approx(4 / (len(opened) + 4), abs=1e-6)
    assert list(drift.rule) == ["traffic-type-widened"]  # one finding for one cause


# -- import cost -------------------------------------------------------------------------
