"""Pure parts of the sampler: durations, --from, quotas across partitions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inferrer.errors import UsageError
from inferrer.kafka.sampler import StartPosition, parse_duration, parse_start, plan_quotas


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("5m", 300.0),
        ("1h30m", 5400.0),
        ("2d", 172800.0),
        ("500ms", 0.5),
        ("1w", 604800.0),
        ("2.5", 2.5),
        ("0", 0.0),
        ("1H", 3600.0),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "h", "1x", "1h 30m", "-5", "five"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_duration(text)
    assert info.value.exit_code == 2
    assert str(info.value).startswith(f"invalid duration {text!r}")


def test_parse_start() -> None:
    assert parse_start("latest") == StartPosition("latest")
    assert parse_start("EARLIEST") == StartPosition("earliest")
    assert parse_start("1h", now_ms=10_000_000) == StartPosition(
        "timestamp", 10_000_000 - 3_600_000
    )
    assert parse_start("2024-05-01T12:00:00Z") == StartPosition("timestamp", 1714564800000)
    assert parse_start("2024-05-01T14:00:00+02:00") == StartPosition("timestamp", 1714564800000)
    assert parse_start("2024-05-01T12:00:00") == StartPosition("timestamp", 1714564800000)
    with pytest.raises(UsageError) as info:
        parse_start("yesterday")
    assert str(info.value) == (
        "invalid --from 'yesterday': use latest, earliest, an ISO-8601 time "
        "(2024-05-01T12:00:00Z) or a duration (1h)"
    )


def test_plan_quotas_even_and_redistributed() -> None:
    assert plan_quotas({0: 1000, 1: 1000, 2: 1000}, 1000) == {0: 333, 1: 333, 2: 334}
    assert plan_quotas({0: 10, 1: 1000, 2: 0}, 100) == {0: 10, 1: 90, 2: 0}
    assert plan_quotas({0: 5, 1: 7}, 100) == {0: 5, 1: 7}
    assert plan_quotas({}, 100) == {}
    assert plan_quotas({0: 3}, 0) == {0: 0}


@given(st.dictionaries(st.integers(0, 50), st.integers(0, 5000), max_size=20), st.integers(0, 5000))
def test_plan_quotas_invariants(available: dict[int, int], total: int) -> None:
    quotas = plan_quotas(available, total)
    assert set(quotas) == set(available)
    assert all(0 <= quotas[p] <= available[p] for p in available)
    assert sum(quotas.values()) == min(total, sum(available.values()))
    # Even: a partition below its capacity gets at least the others' share minus one.
    below = [p for p in available if quotas[p] < available[p]]
    for p in below:
        assert all(quotas[q] <= quotas[p] + 1 for q in available)
