"""A real, local Apache Kafka broker for the tests and the demo.

Resolves the official ``org.apache.kafka:kafka_2.13`` artifacts and their runtime
dependencies from Maven Central with Maven into a cache folder outside the repo,
formats KRaft storage in a temporary directory and runs one node (broker and
controller) on loopback, on free ports, with a modest JVM heap.

Listeners:

* ``PLAINTEXT`` — anonymous; ``bootstrap`` in :class:`Broker`.
* ``SASL_PLAINTEXT`` with mechanism PLAIN (optional, ``sasl=True``): users from
  :data:`SASL_USERS`; ``sasl_bootstrap`` in :class:`Broker`.
* With ``authorizer=True`` the KRaft ``StandardAuthorizer`` is on; anonymous and
  ``admin`` are super users, and topics without ACLs stay open to everyone, so a
  test can deny one user one topic.

Command line::

    python -m tools.devkafka start [--sasl] [--authorizer]   # prints the bootstrap address
    python -m tools.devkafka status
    python -m tools.devkafka stop
    python -m tools.devkafka jars                             # resolve and cache only
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import ctypes
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inferrer.errors import LauncherError

KAFKA_VERSION = "4.1.1"
SCALA_VERSION = "2.13"
SLF4J_BINDING = ("org.apache.logging.log4j", "log4j-slf4j-impl", "2.24.3")
HEAP = "-Xmx512m"

# Test users of the SASL listener. These are throwaway local credentials for a
# broker that listens on loopback only; they never reach a document or a log.
SASL_USERS: dict[str, str] = {"admin": "admin-secret", "alice": "alice-secret"}

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.inferrer</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_{scala}</artifactId>
      <version>{kafka}</version>
    </dependency>
    <dependency>
      <groupId>{lg}</groupId>
      <artifactId>{la}</artifactId>
      <version>{lv}</version>
    </dependency>
  </dependencies>
</project>
"""

_LOG4J2 = """Configuration:
  status: warn
  Appenders:
    File:
      name: file
      fileName: "{path}"
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: info
      AppenderRef:
        - ref: file
"""


def cache_dir() -> Path:
    """Where resolved jars live: ``$INFERRER_CACHE`` or ``~/.cache/inferrer``."""
    root = os.environ.get("INFERRER_CACHE") or str(Path.home() / ".cache" / "inferrer")
    return Path(root) / f"kafka-{KAFKA_VERSION}"


def state_file() -> Path:
    """Where ``devkafka start`` records the running broker for ``status`` and ``stop``.

    ``$INFERRER_DEVKAFKA_STATE`` overrides it (the tests use a private one).
    """
    override = os.environ.get("INFERRER_DEVKAFKA_STATE")
    if override:
        return Path(override)
    return cache_dir().parent / "devkafka-state.json"


def ensure_jars(quiet: bool = False) -> Path:
    """Resolve Kafka and its runtime dependencies with Maven; return the libs folder.

    Idempotent: a completed resolution is marked and reused.
    """
    root = cache_dir()
    libs = root / "libs"
    marker = root / ".complete"
    if marker.exists() and any(libs.glob("kafka_*.jar")):
        return libs
    if shutil.which("mvn") is None:
        raise LauncherError("Maven (mvn) is not on PATH; it is needed to fetch Kafka's jars")
    root.mkdir(parents=True, exist_ok=True)
    lg, la, lv = SLF4J_BINDING
    (root / "pom.xml").write_text(
        _POM.format(scala=SCALA_VERSION, kafka=KAFKA_VERSION, lg=lg, la=la, lv=lv)
    )
    staging = root / "libs.partial"
    shutil.rmtree(staging, ignore_errors=True)
    if not quiet:
        print(f"resolving Apache Kafka {KAFKA_VERSION} jars with Maven ...", file=sys.stderr)
    cmd = [
        "mvn",
        "-B",
        "-q",
        "-f",
        str(root / "pom.xml"),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={staging}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        last = tail(proc.stdout + proc.stderr, 5).splitlines()
        raise LauncherError("Maven could not resolve Kafka's jars: " + " | ".join(last))
    shutil.rmtree(libs, ignore_errors=True)
    staging.rename(libs)
    marker.write_text(KAFKA_VERSION + "\n")
    return libs


def _ephemeral_low() -> int:
    """The first port of the kernel's range for outgoing connections' local ports."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_PORTS = random.SystemRandom()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now.

    Drawn at random below the kernel's ephemeral range: a port the kernel hands out
    (``bind`` to port 0) can be given to some client's outgoing connection before the JVM
    that was told it binds it, and every test opens many connections. Two launchers can
    still draw the same port; :func:`start` retries then."""
    low = min(_ephemeral_low(), 65536)
    if low > 20000:
        for _ in range(50):
            port = _PORTS.randrange(15000, low)
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PortClash(LauncherError):
    """The JVM could not bind the port it was given (another process took it first)."""


# What a JVM's log says when its listener's port is taken.
_BIND_FAILURES = ("Address already in use", "BindException", "seems to be in use")
START_ATTEMPTS = 3


def tail(text: str, lines: int = 12) -> str:
    """The last lines of a tool's output, for an error message."""
    return "\n".join(text.strip().splitlines()[-lines:])


def log_tail(log: Path, lines: int = 12) -> str:
    """The last lines of a server's log, for an error message (the folder that holds
    the log is removed when a start fails)."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return tail(text, lines)


def _taken(port: int) -> bool:
    """Whether something listens on (or holds) ``port`` on 127.0.0.1 now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def exit_error(what: str, returncode: int, log: Path, ports: tuple[int, ...] = ()) -> LauncherError:
    """The error for a JVM that exited while starting: a :class:`PortClash` when one of
    the ports it was given is held by another process now (the message names it), or
    its log says a port was taken (the caller retries on new ports). The log alone does
    not do: a JVM that exits at once may not have flushed it."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        text = ""
    held = [p for p in ports if _taken(p)]
    clash = bool(held) or any(m in text for m in _BIND_FAILURES)
    kind = PortClash if clash else LauncherError
    # The cause in our own words when a port is held: the JVM's log may not say it (a
    # JVM that exits at once may never write what its logging thread was given).
    cause = ""
    if held:
        names = ("ports " if len(held) > 1 else "port ") + ", ".join(map(str, held))
        cause = f" ({names} on 127.0.0.1 held by another process)"
    last = tail(text) if text.strip() else "(no log)"
    return kind(
        f"the {what} JVM exited with code {returncode}{cause}; last lines of {log}:\n{last}"
    )


def _cluster_id() -> str:
    # URL-safe base64 of a random UUID, as Kafka's own `random-uuid` prints; one that
    # starts with "-" would be read as an option by the storage tool, so draw again.
    while True:
        cluster = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster.startswith("-"):
            return cluster


@dataclass
class Broker:
    """A running local broker: addresses, process and working directory."""

    bootstrap: str
    pid: int
    workdir: str
    sasl_bootstrap: str | None = None
    authorizer: bool = False
    startup_seconds: float = 0.0
    users: dict[str, str] = field(default_factory=dict)
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the JVM (TERM, then KILL after ``timeout``) and remove its data."""
        _terminate(self.pid, self._proc, timeout)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def sasl_config(self, user: str) -> dict[str, str]:
        """librdkafka settings to connect to the SASL listener as ``user``."""
        if self.sasl_bootstrap is None:
            raise LauncherError("this broker was started without a SASL listener")
        return {
            "bootstrap.servers": self.sasl_bootstrap,
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "PLAIN",
            "sasl.username": user,
            "sasl.password": self.users[user],
        }

    def to_state(self) -> dict[str, Any]:
        return {
            "bootstrap": self.bootstrap,
            "pid": self.pid,
            "workdir": self.workdir,
            "sasl_bootstrap": self.sasl_bootstrap,
            "authorizer": self.authorizer,
            "startup_seconds": self.startup_seconds,
        }


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); look at its state.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _terminate(pid: int, proc: subprocess.Popen[bytes] | None, timeout: float) -> None:
    if not _alive(pid):
        if proc is not None:
            proc.poll()
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            break
        if proc is None and not _alive(pid):
            break
        time.sleep(0.1)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        if proc is not None:
            proc.wait(5)


def stop_recorded(state: Mapping[str, Any] | None, path: Path) -> int:
    """``stop`` of a launcher's CLI: end the process its state file records, remove its
    work folder and the state file; 0 (also when nothing was running)."""
    if not state:
        print("not running")
        return 0
    _terminate(int(state["pid"]), None, 15)
    shutil.rmtree(state["workdir"], ignore_errors=True)
    path.unlink(missing_ok=True)
    print("stopped")
    return 0


def die_with_parent() -> None:
    """In a child process (a ``preexec_fn``): get SIGKILL when the parent dies, so no
    child outlives a killed or interrupted run."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


def _die_with_parent() -> None:
    """In the JVM child: become a process-group leader and die if the parent dies."""
    os.setsid()
    die_with_parent()


def _properties(
    node_port: int,
    controller_port: int,
    sasl_port: int | None,
    data_dir: Path,
    authorizer: bool,
) -> str:
    listeners = [f"PLAINTEXT://127.0.0.1:{node_port}", f"CONTROLLER://127.0.0.1:{controller_port}"]
    advertised = [f"PLAINTEXT://127.0.0.1:{node_port}"]
    protocol_map = ["PLAINTEXT:PLAINTEXT", "CONTROLLER:PLAINTEXT"]
    lines = [
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@127.0.0.1:{controller_port}",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        f"log.dirs={data_dir}",
        "num.partitions=1",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=3",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "auto.create.topics.enable=false",
        "delete.topic.enable=true",
        "log.segment.delete.delay.ms=1000",
    ]
    if sasl_port is not None:
        listeners.append(f"SASL_PLAINTEXT://127.0.0.1:{sasl_port}")
        advertised.append(f"SASL_PLAINTEXT://127.0.0.1:{sasl_port}")
        protocol_map.append("SASL_PLAINTEXT:SASL_PLAINTEXT")
        users = " ".join(f'user_{u}="{p}"' for u, p in sorted(SASL_USERS.items()))
        lines += [
            "sasl.enabled.mechanisms=PLAIN",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config="
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            f'username="admin" password="{SASL_USERS["admin"]}" {users};',
        ]
    if authorizer:
        lines += [
            "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users=User:ANONYMOUS;User:admin",
            "allow.everyone.if.no.acl.found=true",
        ]
    lines += [
        "listeners=" + ",".join(listeners),
        "advertised.listeners=" + ",".join(advertised),
        "listener.security.protocol.map=" + ",".join(protocol_map),
    ]
    return "\n".join(lines) + "\n"


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise LauncherError("java is not on PATH; Kafka needs Java 17 or newer")
    return java


def _wait_ready(
    bootstrap: str,
    proc: subprocess.Popen[bytes],
    log: Path,
    timeout: float,
    ports: tuple[int, ...] = (),
) -> None:
    # Imported here so `devkafka jars` works before the client library is installed.
    from confluent_kafka.admin import AdminClient

    deadline = time.monotonic() + timeout
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise exit_error("Kafka", proc.returncode, log, ports)
        try:
            md = admin.list_topics(timeout=2)
            if md.brokers:
                return
        except Exception:  # the broker is not up yet
            time.sleep(0.2)
    raise LauncherError(f"Kafka did not answer a metadata request within {timeout:.0f}s; see {log}")


WORKDIR_PREFIX = "inferrer-kafka-"


def sweep_stale_workdirs() -> list[Path]:
    """Remove data folders of brokers whose JVM is gone (a run killed with SIGKILL
    cannot clean up after itself). Returns what was removed."""
    removed: list[Path] = []
    for folder in Path(tempfile.gettempdir()).glob(WORKDIR_PREFIX + "*"):
        pid_file = folder / "jvm.pid"
        try:
            pid = int(pid_file.read_text())
        except (OSError, ValueError):
            # No pid yet: a start in progress (or one that died before the JVM ran);
            # leave young folders alone.
            if time.time() - folder.stat().st_mtime < 600:
                continue
            pid = -1
        if pid > 0 and _alive(pid):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _storage_template(base: list[str]) -> Path:
    """A KRaft log directory formatted by Kafka's own storage tool, once per Kafka version
    (in the cache): every broker's data folder starts as a copy of it. The tool is a JVM
    of its own, a second of CPU and most of one of wall per start."""
    template = cache_dir() / "kraft-template"
    if (template / "meta.properties").exists() and (template / "bootstrap.checkpoint").exists():
        return template
    staging = Path(tempfile.mkdtemp(prefix="kraft-template.", dir=cache_dir()))
    try:
        data = staging / "data"
        props = staging / "format.properties"
        props.write_text(
            "process.roles=broker,controller\nnode.id=1\n"
            "controller.quorum.voters=1@127.0.0.1:9093\ncontroller.listener.names=CONTROLLER\n"
            "listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093\n"
            f"log.dirs={data}\n"
        )
        fmt = subprocess.run(
            [*base, "kafka.tools.StorageTool", "format", "-t", _cluster_id(), "-c", str(props)],
            capture_output=True,
            text=True,
            check=False,
        )
        if fmt.returncode != 0:
            raise LauncherError("formatting KRaft storage failed: " + tail(fmt.stderr, 5))
        try:
            data.rename(template)
        except OSError:  # another launcher made it first
            if not (template / "meta.properties").exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return template


def format_storage(base: list[str], data_dir: Path) -> None:
    """Give ``data_dir`` a formatted KRaft log directory of its own: the template's
    files, with a fresh cluster id and directory id in ``meta.properties`` (what the
    storage tool draws per format)."""
    template = _storage_template(base)
    shutil.copytree(template, data_dir)
    meta = data_dir / "meta.properties"
    fresh = {"cluster.id": _cluster_id(), "directory.id": _cluster_id()}
    lines = []
    for line in meta.read_text().splitlines():
        name = line.partition("=")[0]
        lines.append(f"{name}={fresh[name]}" if name in fresh else line)
    meta.write_text("\n".join(lines) + "\n")


def start(
    *,
    sasl: bool = False,
    authorizer: bool = False,
    timeout: float = 90.0,
    detach: bool = False,
) -> Broker:
    """Start one KRaft broker+controller on loopback and wait until it answers.

    ``detach=False`` ties the JVM to this process (it is killed if we die), as the
    test fixture wants; ``detach=True`` lets it outlive us, for ``devkafka start``.
    A JVM whose port was taken before it bound it is started again on new ports.
    """
    libs = ensure_jars()
    sweep_stale_workdirs()
    began = time.monotonic()
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            return _start_once(libs, sasl, authorizer, timeout, detach, began)
        except PortClash:
            if attempt == START_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _start_once(
    libs: Path, sasl: bool, authorizer: bool, timeout: float, detach: bool, began: float
) -> Broker:
    workdir = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX))
    data_dir = workdir / "data"
    node_port, controller_port = free_port(), free_port()
    sasl_port = free_port() if sasl else None
    props = workdir / "server.properties"
    props.write_text(_properties(node_port, controller_port, sasl_port, data_dir, authorizer))
    log = workdir / "server.log"
    (workdir / "log4j2.yaml").write_text(_LOG4J2.format(path=log))
    classpath = f"{libs}/*"
    java = _java()
    base = [
        java,
        HEAP,
        "-Xms128m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={workdir / 'log4j2.yaml'}",
        "-cp",
        classpath,
    ]
    try:
        format_storage(base, data_dir)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    with open(workdir / "stdout.log", "wb") as out:
        proc = subprocess.Popen(
            [*base, "kafka.Kafka", str(props)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=workdir,
            preexec_fn=os.setsid if detach else _die_with_parent,
        )
    (workdir / "jvm.pid").write_text(f"{proc.pid}\n")
    bootstrap = f"127.0.0.1:{node_port}"
    try:
        ports = (node_port, controller_port) + ((sasl_port,) if sasl_port else ())
        _wait_ready(bootstrap, proc, log, timeout, ports)
    except BaseException:
        _terminate(proc.pid, proc, 10)
        if not detach:
            shutil.rmtree(workdir, ignore_errors=True)
        raise
    return Broker(
        bootstrap=bootstrap,
        pid=proc.pid,
        workdir=str(workdir),
        sasl_bootstrap=f"127.0.0.1:{sasl_port}" if sasl_port else None,
        authorizer=authorizer,
        startup_seconds=round(time.monotonic() - began, 2),
        users=dict(SASL_USERS) if sasl else {},
        _proc=proc,
    )


def read_state(path: Path) -> dict[str, Any] | None:
    """What a launcher's state file records (None when there is none)."""
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@dataclass(frozen=True)
class Launched:
    """What a launcher CLI's ``start`` reports: the state file's record, the address it
    prints on stdout, the line it says on stderr."""

    state: dict[str, Any]
    address: str
    ready: str


def lifecycle_command(
    command: str,
    path: Path,
    address_key: str,
    launch: Callable[[], Launched],
    running: Callable[[Mapping[str, Any]], str],
) -> int:
    """``start``, ``status`` and ``stop`` of a launcher's CLI whose state file is
    ``path``. ``start`` prints the address of the one already running, or launches one in
    the background and records it; ``status`` says whether it runs (1 when not); ``stop``
    ends it (:func:`stop_recorded`)."""
    state = read_state(path)
    live = state if state and _alive(int(state["pid"])) else None
    if command == "start":
        if live is not None:
            print(live[address_key])
            print("already running", file=sys.stderr)
            return 0
        launched = launch()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(launched.state, indent=2) + "\n")
        print(launched.ready, file=sys.stderr)
        print(launched.address)
        return 0
    if command == "status":
        if live is not None:
            print(f"running: {running(live)}")
            return 0
        print("not running")
        return 1
    if command == "stop":
        return stop_recorded(state, path)
    raise ValueError(f"not a lifecycle command: {command!r}")


def guarded(run: Callable[[], int]) -> int:
    """A launcher CLI's exit code: ``run``'s, or a :class:`LauncherError`'s after its
    one ``Error:`` line on stderr."""
    try:
        return run()
    except LauncherError as e:
        print(f"Error: {e}", file=sys.stderr)
        return e.exit_code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.devkafka",
        description=f"Run a local Apache Kafka {KAFKA_VERSION} broker (KRaft, loopback) "
        "for inferrer's tests and demo.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", help="start a broker in the background; print its address")
    p_start.add_argument("--sasl", action="store_true", help="also open a SASL/PLAIN listener")
    p_start.add_argument("--authorizer", action="store_true", help="enable the ACL authorizer")
    p_start.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for ready")
    sub.add_parser("stop", help="stop the broker started by `start` and delete its data")
    sub.add_parser("status", help="say whether the broker started by `start` is running")
    sub.add_parser("jars", help="resolve and cache Kafka's jars with Maven, then exit")
    args = parser.parse_args(argv)

    def launch() -> Launched:
        broker = start(
            sasl=args.sasl, authorizer=args.authorizer, timeout=args.timeout, detach=True
        )
        ready = f"Kafka {KAFKA_VERSION} ready in {broker.startup_seconds:.1f}s"
        return Launched(broker.to_state(), broker.bootstrap, ready)

    def run() -> int:
        if args.command == "jars":
            print(ensure_jars())
            return 0
        return lifecycle_command(
            args.command,
            state_file(),
            "bootstrap",
            launch,
            lambda state: f"{state['bootstrap']} (pid {state['pid']})",
        )

    return guarded(run)


if __name__ == "__main__":
    sys.exit(main())
