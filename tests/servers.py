"""One broker and one registry for a whole parallel run (a pytest plugin).

Under pytest-xdist every worker is a process of its own, and each used to start its own
broker and registry: four JVMs of each kind for a run on four workers, each a few
seconds of CPU to start and some to keep. Here the run's controller (the process that
starts the workers) keeps the servers: it opens a Unix socket in a private folder and
tells each worker where it is; the first worker that needs a server asks for it, the
controller starts it (once, whoever asks first) and answers with where it listens, and
stops it when the run ends. The JVMs are the controller's children, started by one
thread that lives as long as they do, so a run killed outright leaves none behind
(``devkafka.die_with_parent``).

Without xdist (``pytest -p no:xdist``, ``-n 0``) there is no controller: the fixtures in
``tests/conftest.py`` start the servers in the test process, as before. Tests share the
servers and so use names of their own (``topic_name``, ``subject_name``, fresh prefixes)
and never compare the broker's whole state.
"""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inferrer.errors import LauncherError
from tools import devkafka, devregistry

WORKER_INPUT_KEY = "inferrer_servers"
# A worker waits this long for a server (a start under load, in turn with the others).
ASK_TIMEOUT = 600.0

# What the controller can start, by the name a worker asks for.
STARTERS: dict[str, Callable[[], Any]] = {
    "kafka": lambda: devkafka.start(sasl=True, authorizer=True),
    "registry": lambda: devregistry.start(),
    "registry-auth": lambda: devregistry.start(basic_auth=True),
}


class Keeper:
    """The controller's side: a socket served by one thread that starts servers on demand
    and keeps them for the run."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="inferrer-servers-"))
        self.path = str(self.folder / "keeper.sock")
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(self.path)
        self._listener.listen(16)
        self._servers: dict[str, Any] = {}
        self._failures: dict[str, str] = {}
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="server-keeper", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        # One thread accepts, starts and answers: a JVM dies with the thread that started
        # it (PR_SET_PDEATHSIG), so that thread lives until the servers are stopped.
        while not self._stopped.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                break
            with conn:
                try:
                    name = conn.makefile("r").readline().strip()
                    conn.sendall(json.dumps(self._answer(name)).encode() + b"\n")
                except OSError:
                    continue  # the worker went away

    def _answer(self, name: str) -> dict[str, Any]:
        if name not in STARTERS:
            return {"error": f"no such server: {name!r}"}
        if name in self._failures:
            return {"error": self._failures[name]}
        if name not in self._servers:
            try:
                self._servers[name] = STARTERS[name]()
            except LauncherError as exc:
                self._failures[name] = str(exc)
                return {"error": str(exc)}
        state: dict[str, Any] = self._servers[name].to_state()
        return state

    def close(self) -> None:
        """Stop every server started, then the thread that started them."""
        for server in self._servers.values():
            server.stop()
        self._stopped.set()
        self._listener.close()
        # Wake a blocked accept() with a connection of our own.
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as poke:
                poke.connect(self.path)
        except OSError:
            pass
        self._thread.join(timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)


def ask(path: str, name: str) -> dict[str, Any]:
    """A worker's side: where the run's server ``name`` listens (started if need be).
    A server that cannot be had fails the test with the launcher's own message."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(ASK_TIMEOUT)
        conn.connect(path)
        conn.sendall(name.encode() + b"\n")
        line = conn.makefile("r").readline()
    if not line:
        pytest.fail(f"the run's controller gave no {name} (it went away)")
    answer: dict[str, Any] = json.loads(line)
    if "error" in answer:
        pytest.fail(f"the run's {name} could not be started: {answer['error']}")
    return answer


def keeper_path(config: pytest.Config) -> str | None:
    """The controller's socket, in a worker of a parallel run; None otherwise."""
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is None:
        return None
    path = workerinput.get(WORKER_INPUT_KEY)
    return str(path) if path else None


def shared_broker(state: dict[str, Any]) -> devkafka.Broker:
    """The run's broker as the controller described it (stopped by the controller)."""
    return devkafka.Broker(
        bootstrap=state["bootstrap"],
        pid=int(state["pid"]),
        workdir=state["workdir"],
        sasl_bootstrap=state.get("sasl_bootstrap"),
        authorizer=bool(state.get("authorizer")),
        startup_seconds=float(state.get("startup_seconds", 0.0)),
        users=dict(devkafka.SASL_USERS) if state.get("sasl_bootstrap") else {},
    )


def shared_registry(state: dict[str, Any]) -> devregistry.Registry:
    """The run's registry as the controller described it (stopped by the controller)."""
    return devregistry.Registry(
        url=state["url"],
        port=int(state["port"]),
        pid=int(state["pid"]),
        workdir=state["workdir"],
        basic_auth=bool(state.get("basic_auth")),
        startup_seconds=float(state.get("startup_seconds", 0.0)),
        users=dict(devregistry.USERS) if state.get("basic_auth") else {},
    )


class ServersPlugin:
    """Registered in the controller of a parallel run only."""

    def __init__(self) -> None:
        self.keeper = Keeper()

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[WORKER_INPUT_KEY] = self.keeper.path

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.keeper.close()


def pytest_configure(config: pytest.Config) -> None:
    # The controller of a parallel run: xdist will start workers (-n N, N > 0).
    workers = getattr(config.option, "numprocesses", None)
    is_worker = hasattr(config, "workerinput")
    if workers and not is_worker and config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(ServersPlugin(), "inferrer-servers")
