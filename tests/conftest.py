"""Shared fixtures: the real Kafka broker, the real Schema Registry and the official
AsyncAPI tooling."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tools import devkafka, devregistry

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


@dataclass(frozen=True)
class SchemaRegistry:
    """Where the tests' registry answers. ``registry`` is None for an external one."""

    url: str
    registry: devregistry.Registry | None


@pytest.fixture(scope="session")
def schema_registry() -> Iterator[SchemaRegistry]:
    """A real Confluent-compatible Schema Registry: $INFERRER_TEST_SCHEMA_REGISTRY_URL,
    or the local Apicurio Registry the launcher starts (in memory, BACKWARD by default).

    It never skips: if no registry can be had, the tests that need one fail. Tests
    share it for the run, so each uses subjects of its own (see ``subject_name``).
    """
    external = os.environ.get("INFERRER_TEST_SCHEMA_REGISTRY_URL")
    if external:
        yield SchemaRegistry(url=external.rstrip("/"), registry=None)
        return
    registry = devregistry.start()
    try:
        yield SchemaRegistry(url=registry.url, registry=registry)
    finally:
        registry.stop()


@pytest.fixture(scope="session")
def schema_registry_with_auth() -> Iterator[devregistry.Registry]:
    """A second local registry that demands HTTP basic auth as one of ``devregistry.USERS``.

    Started only for the tests that ask for it, and always by the launcher.
    """
    registry = devregistry.start(basic_auth=True)
    try:
        yield registry
    finally:
        registry.stop()


@pytest.fixture
def subject_name() -> str:
    """A fresh subject name per test, so tests never see each other's schemas."""
    return f"test.{uuid.uuid4().hex[:12]}-value"


@pytest.fixture
def topic_name() -> str:
    """A fresh topic name per test, so tests never see each other's traffic."""
    return f"test.{uuid.uuid4().hex[:12]}"
