"""The dev launchers' pure parts: the ports they draw and how a failed start is read."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from inferrer.errors import LauncherError
from tools import devkafka


def test_free_ports_are_drawn_below_the_range_outgoing_connections_use() -> None:
    low = devkafka._ephemeral_low()
    ports = {devkafka.free_port() for _ in range(20)}
    assert len(ports) > 1, "ports are drawn at random, not handed out in turn"
    for port in ports:
        assert 0 < port < low
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", port))  # nothing listens there


@pytest.mark.parametrize(
    "line",
    [
        "ERROR Socket server failed to bind to 127.0.0.1:9092: Address already in use.",
        "Caused by: java.net.BindException: Address already in use",
        "ERROR Port 8080 seems to be in use by another process.",
    ],
)
def test_a_jvm_that_could_not_bind_its_port_is_a_clash(tmp_path: Path, line: str) -> None:
    log = tmp_path / "server.log"
    log.write_text("INFO starting\n" + line + "\n")
    error = devkafka.exit_error("Kafka", 1, log)
    assert isinstance(error, devkafka.PortClash)
    assert (
        str(error)
        == f"the Kafka JVM exited with code 1; last lines of {log}:\nINFO starting\n{line}"
    )


def test_any_other_exit_is_an_error_that_shows_the_log(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("\n".join(f"line {i}" for i in range(30)) + "\n")
    error = devkafka.exit_error("registry", 137, log)
    assert type(error) is LauncherError
    assert str(error).splitlines()[1:] == [f"line {i}" for i in range(18, 30)]
    missing = devkafka.exit_error("Kafka", 1, tmp_path / "gone.log")
    assert type(missing) is LauncherError
    assert str(missing).endswith(":\n(no log)")


def test_a_port_held_by_another_process_is_a_clash_even_with_no_log(tmp_path: Path) -> None:
    # A JVM that exits at once may not have written its log: the port itself says.
    log = tmp_path / "server.log"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        held.listen(1)
        port = int(held.getsockname()[1])
        assert isinstance(devkafka.exit_error("Kafka", 1, log, (port,)), devkafka.PortClash)
    free = devkafka.free_port()
    assert type(devkafka.exit_error("Kafka", 1, log, (free,))) is LauncherError
