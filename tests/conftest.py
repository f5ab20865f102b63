"""Shared fixtures: the real Kafka broker and the official AsyncAPI tooling."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tools import devkafka

# tests.layers: the layers and their markers, enforced; pytester: its own tests use it.
pytest_plugins = ("pytester", "tests.layers")


@dataclass(frozen=True)
class KafkaCluster:
    """Where the tests' broker listens. SASL fields are None for an external cluster."""

    bootstrap: str
    sasl_bootstrap: str | None
    broker: devkafka.Broker | None

    def sasl_config(self, user: str) -> dict[str, str]:
        if self.broker is None:
            pytest.fail("this test needs the local launcher's SASL listener")
        return self.broker.sasl_config(user)


@pytest.fixture(scope="session")
def kafka() -> Iterator[KafkaCluster]:
    """A real Apache Kafka broker: $KAFKA_BOOTSTRAP_SERVERS, or one the launcher starts.

    It never skips: if no broker can be had, the tests that need one fail.
    """
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield KafkaCluster(bootstrap=external, sasl_bootstrap=None, broker=None)
        return
    broker = devkafka.start(sasl=True, authorizer=True)
    try:
        yield KafkaCluster(
            bootstrap=broker.bootstrap, sasl_bootstrap=broker.sasl_bootstrap, broker=broker
        )
    finally:
        broker.stop()


@pytest.fixture
def topic_name() -> str:
    """A fresh topic name per test, so tests never see each other's traffic."""
    return f"test.{uuid.uuid4().hex[:12]}"
