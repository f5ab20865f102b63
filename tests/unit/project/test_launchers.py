"""The dev launchers' pure parts: the ports they draw and how a failed start is read."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
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
        error = devkafka.exit_error("Kafka", 1, log, (port,))
        assert isinstance(error, devkafka.PortClash)
        assert str(error) == (
            f"the Kafka JVM exited with code 1 (port {port} on 127.0.0.1 held by another"
            f" process); last lines of {log}:\n(no log)"
        )
        free = devkafka.free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as second:
            second.bind(("127.0.0.1", 0))
            other = int(second.getsockname()[1])
            both = str(devkafka.exit_error("Kafka", 1, log, (port, free, other)))
        assert f"(ports {port}, {other} on 127.0.0.1 held by another process)" in both
    free = devkafka.free_port()
    plain = devkafka.exit_error("Kafka", 1, log, (free,))
    assert type(plain) is LauncherError
    assert str(plain) == f"the Kafka JVM exited with code 1; last lines of {log}:\n(no log)"


def test_start_status_stop_of_a_launcher_cli_share_one_lifecycle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The launched "server" is a sleep in its own process group (as the JVMs are), so
    # stop ends it the way it ends them.
    server = subprocess.Popen(["sleep", "60"], start_new_session=True)
    workdir = tmp_path / "work"
    workdir.mkdir()
    path = tmp_path / "state" / "server.json"
    launched: list[int] = []

    def launch() -> devkafka.Launched:
        launched.append(server.pid)
        state = {"pid": server.pid, "workdir": str(workdir), "addr": "127.0.0.1:1"}
        return devkafka.Launched(state, "127.0.0.1:1", "ready in 0.1s")

    def command(name: str) -> tuple[int, str, str]:
        code = devkafka.lifecycle_command(
            name, path, "addr", launch, lambda state: f"{state['addr']} (pid {state['pid']})"
        )
        out, err = capsys.readouterr()
        return code, out, err

    try:
        assert command("status") == (1, "not running\n", "")
        assert command("start") == (0, "127.0.0.1:1\n", "ready in 0.1s\n")
        assert json.loads(path.read_text())["pid"] == server.pid
        assert command("start") == (0, "127.0.0.1:1\n", "already running\n")
        assert launched == [server.pid], "a second start launches nothing"
        assert command("status") == (0, f"running: 127.0.0.1:1 (pid {server.pid})\n", "")
        assert command("stop") == (0, "stopped\n", "")
        assert server.wait(10) == -signal.SIGTERM
        assert not path.exists() and not workdir.exists()
        assert command("status") == (1, "not running\n", "")
        assert command("stop") == (0, "not running\n", "")
    finally:
        server.kill()
        server.wait()


def test_a_launcher_error_is_one_line_and_its_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def run() -> int:
        raise devkafka.PortClash("port 9092 is taken")

    assert devkafka.guarded(run) == 3  # could not run
    assert capsys.readouterr().err == "Error: port 9092 is taken\n"
    assert devkafka.guarded(lambda: 7) == 7
