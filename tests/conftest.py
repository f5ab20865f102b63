"""Shared fixtures: the real Kafka broker, the real Schema Registry and the official
AsyncAPI tooling."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

# tests.servers is a plugin (below) that this module also calls: its asserts are rewritten
# as a plugin's are only if pytest knows before it is imported.
pytest.register_assert_rewrite("tests.servers")

from tests import servers  # noqa: E402
from tools import devkafka, devregistry  # noqa: E402

# tests.layers: the layers and their markers, enforced; tests.servers: one broker and one
# registry for a parallel run; pytester: its own tests use it.
pytest_plugins = ("pytester", "tests.layers", "tests.servers")


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
def kafka(pytestconfig: pytest.Config) -> Iterator[KafkaCluster]:
    """A real Apache Kafka broker: $KAFKA_BOOTSTRAP_SERVERS, or one the launcher starts
    (in a parallel run, one for all the workers: ``tests/servers.py``).

    It never skips: if no broker can be had, the tests that need one fail.
    """
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield KafkaCluster(bootstrap=external, sasl_bootstrap=None, broker=None)
        return
    keeper = servers.keeper_path(pytestconfig)
    if keeper is not None:
        shared = servers.shared_broker(servers.ask(keeper, "kafka"))
        yield KafkaCluster(
            bootstrap=shared.bootstrap, sasl_bootstrap=shared.sasl_bootstrap, broker=shared
        )
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
def schema_registry(pytestconfig: pytest.Config) -> Iterator[SchemaRegistry]:
    """A real Confluent-compatible Schema Registry: $INFERRER_TEST_SCHEMA_REGISTRY_URL,
    or the local Apicurio Registry the launcher starts (in memory, BACKWARD by default).

    It never skips: if no registry can be had, the tests that need one fail. Tests
    share it for the run, so each uses subjects of its own (see ``subject_name``).
    """
    external = os.environ.get("INFERRER_TEST_SCHEMA_REGISTRY_URL")
    if external:
        yield SchemaRegistry(url=external.rstrip("/"), registry=None)
        return
    keeper = servers.keeper_path(pytestconfig)
    if keeper is not None:
        shared = servers.shared_registry(servers.ask(keeper, "registry"))
        yield SchemaRegistry(url=shared.url, registry=shared)
        return
    registry = devregistry.start()
    try:
        yield SchemaRegistry(url=registry.url, registry=registry)
    finally:
        registry.stop()


@pytest.fixture(scope="session")
def schema_registry_with_auth(pytestconfig: pytest.Config) -> Iterator[devregistry.Registry]:
    """A second local registry that demands HTTP basic auth as one of ``devregistry.USERS``.

    Started only for the tests that ask for it, and always by the launcher.
    """
    keeper = servers.keeper_path(pytestconfig)
    if keeper is not None:
        yield servers.shared_registry(servers.ask(keeper, "registry-auth"))
        return
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
