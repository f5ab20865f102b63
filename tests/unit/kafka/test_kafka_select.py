"""Topic selection: globs, re: patterns, excludes, internal topics, no-match message."""

from __future__ import annotations

import pytest

from inferrer.errors import NoTopicsMatched, UsageError
from inferrer.kafka.select import is_internal, is_literal, require_matches, select_topics

TOPICS = [
    "bank.payments",
    "bank.accounts",
    "bank.accounts.dlq",
    "shop.orders",
    "__consumer_offsets",
    "__transaction_state",
    "_schemas",
    "_confluent-metrics",
    "__amazon_msk_canary",
]


def test_glob_matches_whole_names_sorted() -> None:
    assert select_topics(TOPICS, ["bank.*"]) == [
        "bank.accounts",
        "bank.accounts.dlq",
        "bank.payments",
    ]
    assert select_topics(TOPICS, ["bank.?ayments"]) == ["bank.payments"]
    assert select_topics(TOPICS, ["bank"]) == []


def test_glob_dot_is_literal() -> None:
    assert select_topics(["bankXpayments", "bank.payments"], ["bank.payments"]) == ["bank.payments"]


def test_regex_prefix_is_a_full_match() -> None:
    assert select_topics(TOPICS, [r"re:bank\.(payments|accounts)"]) == [
        "bank.accounts",
        "bank.payments",
    ]
    assert select_topics(TOPICS, ["re:bank"]) == []


def test_patterns_are_a_union_and_excludes_win() -> None:
    chosen = select_topics(TOPICS, ["bank.*", "shop.*"], ["*.dlq", "re:shop\\..*"])
    assert chosen == ["bank.accounts", "bank.payments"]


def test_no_pattern_means_all_non_internal_topics() -> None:
    assert select_topics(TOPICS) == [
        "bank.accounts",
        "bank.accounts.dlq",
        "bank.payments",
        "shop.orders",
    ]


def test_internal_topics_only_with_include_internal() -> None:
    assert select_topics(TOPICS, ["*"], include_internal=True) == sorted(TOPICS)
    assert select_topics(TOPICS, ["_*"]) == []


def test_a_literal_internal_name_is_selected() -> None:
    assert select_topics(TOPICS, ["_schemas"]) == ["_schemas"]


@pytest.mark.parametrize(
    ("name", "internal"),
    [
        ("__consumer_offsets", True),
        ("__transaction_state", True),
        ("_schemas", True),
        ("_confluent-command", True),
        ("__anything", True),
        ("_private", False),
        ("schemas", False),
        ("bank._schemas", False),
    ],
)
def test_is_internal(name: str, internal: bool) -> None:
    assert is_internal(name) is internal


def test_is_literal() -> None:
    assert is_literal("bank.payments")
    assert not is_literal("bank.*")
    assert not is_literal("bank.[ab]")
    assert not is_literal("re:bank")


def test_invalid_regex_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as info:
        select_topics(TOPICS, ["re:bank.("])
    assert str(info.value).startswith("invalid regular expression 're:bank.(': ")
    assert info.value.exit_code == 2


def test_no_match_message() -> None:
    with pytest.raises(NoTopicsMatched) as info:
        require_matches([], ["bank.*", "re:x"], ["*.dlq"])
    assert str(info.value) == (
        "no topic matches --topics 'bank.*' --topics 're:x' --exclude '*.dlq' "
        "(internal topics are left out without --include-internal)"
    )
    assert info.value.exit_code == 2
    with pytest.raises(NoTopicsMatched) as info:
        require_matches([], [], [], include_internal=True)
    assert str(info.value) == "no topic matches (all topics)"
    require_matches(["a"], ["a"])
