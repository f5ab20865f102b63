"""The shared source options, parsed by typer and turned into a SampleConfig that
samples the real broker. A tiny app stands in for the commands that reuse them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.conftest import KafkaCluster
from tests.kafka_util import create_topics, produce
from tests.unit.kafka.test_source_options import app, configs


@pytest.mark.kafka
def test_flags_parsed_by_typer_drive_the_sample(kafka: KafkaCluster, topic_name: str) -> None:
    keep, drop = topic_name + ".keep", topic_name + ".drop"
    create_topics(kafka.bootstrap, [keep, drop])
    produce(kafka.bootstrap, keep, [f"m{i}".encode() for i in range(10)])
    produce(kafka.bootstrap, drop, [b"x"])
    runner = CliRunner()
    configs.clear()
    result = runner.invoke(
        app,
        [
            "-X",
            "client.id=flags-test",
            "--topics",
            topic_name + ".*",
            "--exclude",
            drop,
            "--max-messages",
            "3",
            "--from",
            "earliest",
            "--follow",
            "1s",
            "--timeout",
            "20s",
        ],
        env={"KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap},
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {keep: ["m0", "m1", "m2"]}
    [config] = configs
    assert config.client.bootstrap == kafka.bootstrap
    assert config.client.settings["client.id"] == "flags-test"
    assert config.follow == 1.0 and config.timeout == 20.0

    latest = runner.invoke(
        app,
        ["-b", kafka.bootstrap, "--topics", keep, "--max-messages", "2", "--from", "latest"],
    )
    assert latest.exit_code == 0, latest.output
    assert json.loads(latest.stdout) == {keep: ["m8", "m9"]}
