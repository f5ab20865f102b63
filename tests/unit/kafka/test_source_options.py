"""The shared source options, parsed by typer and turned into a SampleConfig that
samples the real broker. A tiny app stands in for the commands that reuse them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from inferrer.cli.common import handles_errors
from inferrer.cli.options import (
    build_sample_config,
)
from inferrer.cli.source import NO_SOURCE_OPTIONS, SourceOptions, with_source_options
from inferrer.kafka.sampler import SampleConfig, StartPosition, sample_topics

app = typer.Typer()
configs: list[SampleConfig] = []


@app.command()
@handles_errors
@with_source_options(from_file=False)
def sample(source_options: SourceOptions = NO_SOURCE_OPTIONS) -> None:
    config = source_options.sample_config()
    configs.append(config)
    result = sample_topics(config)
    print(
        json.dumps(
            {t: [r.value.decode() for r in rs if r.value] for t, rs in result.records.items()}
        )
    )


def test_every_option_reaches_the_config(tmp_path: Path) -> None:
    props = tmp_path / "c.properties"
    props.write_text("security.protocol=PLAINTEXT\n")
    config = build_sample_config(
        "b:1",
        props,
        ["client.id=x"],
        ["a.*", "re:b"],
        ["a.dlq"],
        True,
        50,
        "2024-05-01T12:00:00Z",
        "1m",
        "30s",
    )
    assert dict(config.client.settings) == {
        "bootstrap.servers": "b:1",
        "client.id": "x",
        "security.protocol": "PLAINTEXT",
    }
    assert config.topics == ("a.*", "re:b")
    assert config.exclude == ("a.dlq",)
    assert config.include_internal is True
    assert config.max_messages == 50
    assert config.start == StartPosition("timestamp", 1714564800000)
    assert config.follow == 60.0
    assert config.timeout == 30.0


def test_max_messages_must_be_positive() -> None:
    result = CliRunner().invoke(app, ["-b", "b:1", "--max-messages", "0"])
    assert result.exit_code == 2
    assert "--max-messages" in result.output


def test_progress_bar_only_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from inferrer.cli.progress import sampling_progress
    from inferrer.kafka.sampler import SampleProgress

    with sampling_progress() as callback:  # stderr is captured: not a terminal
        assert callback is None
    with sampling_progress(enabled=True) as callback:
        assert callback is not None
        callback(SampleProgress(received=5, expected=10, topics_done=0, topics=2))
    assert capsys.readouterr().out == ""
