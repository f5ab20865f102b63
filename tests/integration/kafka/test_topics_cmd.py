"""``infer-asyncapi topics`` and the connection flags, through the real command line."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    ResourcePatternType,
    ResourceType,
)

from tests.conftest import KafkaCluster
from tests.kafka_util import admin, commit_group, create_topics, produce, run_cli
from tools.devkafka import free_port

pytestmark = pytest.mark.kafka

INTERNAL_HINT = "(internal topics are left out without --include-internal)"


def _table(rows: list[tuple[str, ...]]) -> str:
    header = ("topic", "partitions", "replication", "messages", "cleanup.policy", "consumer groups")
    all_rows = [header, *rows]
    widths = [max(len(r[i]) for r in all_rows) for i in range(len(header))]
    return "".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n"
        for r in all_rows
    )


@pytest.fixture
def two_topics(kafka: KafkaCluster, topic_name: str) -> tuple[str, str, str]:
    a, b = topic_name + ".a", topic_name + ".b"
    create_topics(kafka.bootstrap, [a], partitions=3)
    create_topics(kafka.bootstrap, [b], config={"cleanup.policy": "compact"})
    produce(kafka.bootstrap, a, [b"x"] * 10)
    group = f"g-{topic_name}"
    commit_group(kafka.bootstrap, group, a, {0: 1})
    return a, b, group


def test_topics_text(kafka: KafkaCluster, two_topics: tuple[str, str, str]) -> None:
    a, b, group = two_topics
    prefix = a[: -len(".a")]
    done = run_cli(["topics", "-b", kafka.bootstrap, "--topics", prefix + ".*"])
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout == _table(
        [(a, "3", "1", "10", "delete", group), (b, "1", "1", "0", "compact", "-")]
    )


def test_topics_json_exclude_and_env(kafka: KafkaCluster, two_topics: tuple[str, str, str]) -> None:
    a, b, group = two_topics
    prefix = a[: -len(".a")]
    done = run_cli(
        ["topics", "--topics", f"re:{prefix}\\..*", "--exclude", b, "--format", "json"],
        env={"KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap},
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["skipped"] == []
    [topic] = data["topics"]
    assert topic["name"] == a
    assert topic["partitions"] == 3 and topic["replication_factor"] == 1
    assert topic["consumer_groups"] == [group]
    assert topic["configs"]["cleanup.policy"] == "delete"
    assert topic["non_default_configs"] == []
    assert sum(high - low for low, high in topic["watermarks"].values()) == 10
    assert topic["approximate_messages"] == 10


def test_topics_include_internal(kafka: KafkaCluster, two_topics: tuple[str, str, str]) -> None:
    hidden = run_cli(["topics", "-b", kafka.bootstrap, "--topics", "__*"])
    assert hidden.returncode == 2
    assert hidden.stderr == f"Error: no topic matches --topics '__*' {INTERNAL_HINT}\n"
    shown = run_cli(["topics", "-b", kafka.bootstrap, "--topics", "__*", "--include-internal"])
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[1].startswith("__consumer_offsets ")


def test_no_match_exit_2(kafka: KafkaCluster, topic_name: str) -> None:
    done = run_cli(["topics", "-b", kafka.bootstrap, "--topics", f"{topic_name}.*"])
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"Error: no topic matches --topics '{topic_name}.*' {INTERNAL_HINT}\n"


def test_unreachable_broker_exit_3_one_line(kafka: KafkaCluster) -> None:
    port = free_port()
    began = time.monotonic()
    done = run_cli(["topics", "-b", f"127.0.0.1:{port}", "--timeout", "2s"])
    elapsed = time.monotonic() - began
    assert done.returncode == 3
    assert done.stdout == ""
    assert done.stderr == (
        f"Error: no Kafka broker answered at 127.0.0.1:{port} within 2s "
        f"(Connect to ipv4#127.0.0.1:{port} failed: Connection refused)\n"
    )
    assert elapsed < 15


def test_missing_bootstrap_and_bad_flags_exit_2() -> None:
    missing = run_cli(["topics"])
    assert missing.returncode == 2
    assert missing.stderr == (
        "Error: no bootstrap server: pass -b/--bootstrap-server or set KAFKA_BOOTSTRAP_SERVERS\n"
    )
    bad_x = run_cli(["topics", "-b", "127.0.0.1:1", "-X", "sasl.password"])
    assert bad_x.returncode == 2
    assert bad_x.stderr == "Error: -X expects key=value, got 'sasl.password' without '='\n"
    bad_timeout = run_cli(["topics", "-b", "127.0.0.1:1", "--timeout", "soon"])
    assert bad_timeout.returncode == 2
    assert bad_timeout.stderr == (
        "Error: invalid duration 'soon': use for example 30s, 5m, 1h30m or 2d\n"
    )
    bad_value = run_cli(
        [
            "topics",
            "-b",
            "127.0.0.1:1",
            "-X",
            "sasl.password=hunter22",
            "-X",
            "security.protocol=bogus",
        ]
    )
    assert bad_value.returncode == 2
    assert bad_value.stderr.startswith("Error: invalid Kafka client configuration: ")
    assert "hunter22" not in bad_value.stderr + bad_value.stdout


def _write_properties(path: Path, password: str) -> Path:
    path.write_text(
        "# client settings, as for kafka-console-consumer\n"
        "security.protocol=SASL_PLAINTEXT\n"
        "sasl.mechanism=PLAIN\n"
        "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required "
        f'username="alice" password="{password}";\n'
        "request.timeout.ms=20000\n"
    )
    return path


def test_sasl_properties_file_never_shows_the_password(
    kafka: KafkaCluster, topic_name: str, tmp_path: Path
) -> None:
    assert kafka.sasl_bootstrap is not None
    create_topics(kafka.bootstrap, [topic_name], partitions=2)
    props = _write_properties(tmp_path / "alice.properties", "alice-secret")
    done = run_cli(
        [
            "topics",
            "-b",
            kafka.sasl_bootstrap,
            "--command-config",
            str(props),
            "--topics",
            topic_name,
            "-X",
            "client.id=inferrer-test",
        ]
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1].split() == [topic_name, "2", "1", "0", "delete", "-"]
    assert done.stderr == (
        "Warning: alice.properties: ignored properties not understood: request.timeout.ms\n"
    )
    assert "alice-secret" not in done.stdout + done.stderr

    wrong = _write_properties(tmp_path / "wrong.properties", "not-her-password")
    refused = run_cli(
        [
            "topics",
            "-b",
            kafka.sasl_bootstrap,
            "--command-config",
            str(wrong),
            "--topics",
            topic_name,
            "--timeout",
            "3",
        ]
    )
    assert refused.returncode == 3
    assert refused.stderr.splitlines()[-1] == (
        f"Error: authentication failed at {kafka.sasl_bootstrap}: SASL authentication error: "
        "Authentication failed: Invalid username or password"
    )
    assert "not-her-password" not in refused.stdout + refused.stderr


def test_denied_topic_warns_by_name(kafka: KafkaCluster, topic_name: str, tmp_path: Path) -> None:
    assert kafka.sasl_bootstrap is not None
    ok, hidden = topic_name + ".ok", topic_name + ".hidden"
    create_topics(kafka.bootstrap, [ok, hidden])
    acl = AclBinding(
        ResourceType.TOPIC,
        hidden,
        ResourcePatternType.LITERAL,
        "User:alice",
        "*",
        AclOperation.ALL,
        AclPermissionType.DENY,
    )
    client = admin(kafka.bootstrap)
    client.create_acls([acl])[acl].result(30)
    props = _write_properties(tmp_path / "alice.properties", "alice-secret")
    args = [
        "topics",
        "-b",
        kafka.sasl_bootstrap,
        "--command-config",
        str(props),
        "--topics",
        topic_name + ".*",
        "--topics",
        hidden,
        "--format",
        "json",
    ]
    deadline = time.monotonic() + 20
    while True:  # ACLs reach the authorizer asynchronously
        done = run_cli(args)
        if "not authorized" in done.stderr or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [t["name"] for t in data["topics"]] == [ok]
    assert data["skipped"] == [{"reason": "not authorized to describe the topic", "topic": hidden}]
    assert f"Warning: skipped topic {hidden}: not authorized to describe the topic\n" in done.stderr
