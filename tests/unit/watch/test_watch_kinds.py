"""``watch --discriminator``: the choices reach the watch's config and decide the kinds
its status counts (and its live drift check sees)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

import inferrer.cli.watch_cmd  # noqa: F401  (registers the command on the app)
from inferrer.cli import app
from inferrer.inference import observe, parse_discriminator
from inferrer.records import Record
from inferrer.watch import count_kinds

TOPIC = "ops.alerts"


def _envelopes(n: int) -> list[Record]:
    shapes = {
        "AlertRaised": {"rule": "cpu", "value": 0.5},
        "AlertAcked": {"ackedBy": "ann", "ackedAt": 1},
        "AlertResolved": {"resolvedAt": 2, "durationMs": 3},
    }
    out = []
    for i in range(n):
        kind = sorted(shapes)[i % 3]
        value = {"meta": {"event": kind, "source": "prom"}, "body": shapes[kind], "id": i}
        out.append(Record(TOPIC, 0, i, 1_760_000_000_000 + i, None, json.dumps(value).encode()))
    return out


def test_the_kinds_counted_follow_the_discriminator_choices() -> None:
    observed = observe(_envelopes(60))
    assert count_kinds(observed) == {TOPIC: 3}  # found: /meta/event
    assert count_kinds(observed, [parse_discriminator("ops.*=none")]) == {TOPIC: 1}
    forced = [parse_discriminator("ops.alerts=payload:/meta/source")]
    assert count_kinds(observed, forced) == {TOPIC: 1}  # one value: one kind
    # The last matching choice wins.
    both = [parse_discriminator("ops.*=none"), parse_discriminator("ops.alerts=/meta/event")]
    assert count_kinds(observed, both) == {TOPIC: 3}


def test_a_malformed_discriminator_is_a_usage_error_before_anything_runs() -> None:
    result = CliRunner().invoke(
        app,
        ["watch", "-b", "127.0.0.1:1", "--group", "g", "--discriminator", "ops=/a/b/c"],
    )
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "Error: invalid --discriminator 'ops=/a/b/c': a discriminator is a top-level payload "
        "field or a field of a top-level object ('/a/b/c' is not)"
    ]
