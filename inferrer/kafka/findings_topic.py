"""Live drift findings to a Kafka topic (``watch --findings-topic``).

The topic must exist: ``watch`` creates nothing but its snapshot topic. Each finding is
one record, keyed by its stable id, valued with the JSON line ``watch`` would print.
"""

from __future__ import annotations

from typing import Any

from confluent_kafka import KafkaError, Producer

from inferrer.errors import CouldNotRun, UsageError
from inferrer.kafka.config import ClientConfig, redact
from inferrer.kafka.metadata import client_settings, list_topic_names, open_admin


class FindingsTopic:
    """Produce findings to one existing topic, each acknowledged before the next."""

    def __init__(self, client: ClientConfig, topic: str, *, timeout: float = 10.0) -> None:
        settings = client.settings
        admin, errors = open_admin(settings)
        if topic not in list_topic_names(admin, settings, errors, timeout):
            raise UsageError(
                f"--findings-topic {topic} does not exist on {client.bootstrap} "
                "(watch creates only its snapshot topic)"
            )
        conf: dict[str, Any] = client_settings(settings)
        conf.update({"client.id": "inferrer-watch-findings", "acks": "all", "linger.ms": 0})
        self.client, self.topic, self.timeout = client, topic, timeout
        self._producer = Producer(conf)
        self._failed: list[str] = []

    def _delivered(self, err: KafkaError | None, msg: Any) -> None:
        if err is not None:
            self._failed.append(redact(str(err.str()), self.client.settings))

    def send(self, key: str, line: str) -> None:
        """Produce one finding and wait for the broker; CouldNotRun when it is refused."""
        self._producer.produce(
            self.topic, key=key.encode(), value=line.encode(), on_delivery=self._delivered
        )
        left = self._producer.flush(self.timeout)
        failed, self._failed = self._failed, []
        if left or failed:
            reason = failed[0] if failed else "not acknowledged in time"
            raise CouldNotRun(f"finding {key} not written to {self.topic}: {reason}")

    def close(self) -> None:
        self._producer.flush(self.timeout)
