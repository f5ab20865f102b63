"""The parallel run's server keeper (tests/servers.py): started once, whoever asks first;
a start that fails is reported to every asker; everything started is stopped at the end.
The servers here are in-memory stand-ins: what is tested is the keeper's protocol."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from inferrer.errors import LauncherError
from tests import servers


class Thing:
    def __init__(self, n: int) -> None:
        self.n, self.stopped = n, False

    def to_state(self) -> dict[str, Any]:
        return {"n": self.n}

    def stop(self) -> None:
        self.stopped = True


def test_a_server_is_started_once_for_all_askers_and_stopped_at_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[Thing] = []
    starters_threads: set[str] = set()

    def start() -> Thing:
        starters_threads.add(threading.current_thread().name)
        started.append(Thing(len(started) + 1))
        return started[-1]

    monkeypatch.setattr(servers, "STARTERS", {"thing": start})
    keeper = servers.Keeper()
    answers: list[dict[str, Any]] = []
    askers = [
        threading.Thread(target=lambda: answers.append(servers.ask(keeper.path, "thing")))
        for _ in range(6)
    ]
    for t in askers:
        t.start()
    for t in askers:
        t.join(30)
    assert answers == [{"n": 1}] * 6
    assert len(started) == 1
    # Started by the keeper's own long-lived thread (a JVM dies with the thread that made it).
    assert starters_threads == {"server-keeper"}
    folder = keeper.folder
    keeper.close()
    assert started[0].stopped
    assert not folder.exists()


def test_a_failed_start_fails_every_asker_with_the_launchers_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []

    def start() -> Thing:
        calls.append(1)
        raise LauncherError("the Kafka JVM exited with code 1; last lines of server.log: boom")

    monkeypatch.setattr(servers, "STARTERS", {"thing": start})
    keeper = servers.Keeper()
    try:
        for _ in range(2):
            with pytest.raises(pytest.fail.Exception) as failed:
                servers.ask(keeper.path, "thing")
            assert "the run's thing could not be started: the Kafka JVM exited" in str(failed.value)
        assert calls == [1], "a failed start is not tried again for every test"
        with pytest.raises(pytest.fail.Exception, match="no such server: 'other'"):
            servers.ask(keeper.path, "other")
    finally:
        keeper.close()
