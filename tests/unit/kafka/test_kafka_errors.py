"""Unexpected client failures become one-line errors without secrets."""

from __future__ import annotations

from concurrent.futures import TimeoutError as FutureTimeout

import pytest
from confluent_kafka import KafkaError, KafkaException

from inferrer.errors import CouldNotRun
from inferrer.kafka.metadata import kafka_errors

SETTINGS = {"bootstrap.servers": "b:1", "sasl.password": "pw-123"}


def test_kafka_exception_is_one_line_and_redacted() -> None:
    with pytest.raises(CouldNotRun) as info, kafka_errors(SETTINGS):
        raise KafkaException(
            KafkaError(KafkaError._TIMED_OUT, "b:1/1: echo pw-123 (after 5ms in state UP)")
        )
    assert str(info.value) == "a Kafka request to b:1 failed: echo ******"
    assert info.value.exit_code == 3


def test_future_timeout() -> None:
    with pytest.raises(CouldNotRun) as info, kafka_errors(SETTINGS):
        raise FutureTimeout()
    assert str(info.value) == "a Kafka request to b:1 did not complete in time"


def test_librdkafka_decorations_are_tidied_wherever_they_are() -> None:
    from inferrer.kafka.metadata import _tidy

    suppressed = (
        "127.0.0.1:9/bootstrap: Connect to ipv4#127.0.0.1:9 failed: Connection refused "
        "(after 0ms in state CONNECT, 1 identical error(s) suppressed)"
    )
    assert _tidy(suppressed) == "Connect to ipv4#127.0.0.1:9 failed: Connection refused"
    assert _tidy("a (b: refused (after 12ms in state UP)); retrying") == "a (b: refused); retrying"
