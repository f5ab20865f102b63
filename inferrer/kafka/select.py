"""Topic selection: shell globs or ``re:`` regular expressions, excludes, internal topics.

Pure functions over topic names; no Kafka here.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence

from inferrer.errors import NoTopicsMatched, UsageError

REGEX_PREFIX = "re:"
_GLOB_CHARS = frozenset("*?[")

# Topics the cluster or the platform around it keeps for itself.
_INTERNAL_NAMES = frozenset({"_schemas", "__consumer_offsets", "__transaction_state"})
_INTERNAL_PREFIXES = ("__", "_confluent", "_schemas")


def is_internal(topic: str) -> bool:
    """True for topics Kafka or its platform keeps for itself (``__consumer_offsets``,
    ``__transaction_state``, ``_schemas``, ``_confluent-*``, any ``__*``)."""
    return topic in _INTERNAL_NAMES or topic.startswith(_INTERNAL_PREFIXES)


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A compiled, whole-name matcher for a glob, or a regex with the ``re:`` prefix."""
    if pattern.startswith(REGEX_PREFIX):
        source = pattern[len(REGEX_PREFIX) :]
        try:
            return re.compile(source)
        except re.error as e:
            raise UsageError(f"invalid regular expression {pattern!r}: {e}") from e
    return re.compile(fnmatch.translate(pattern))


def is_literal(pattern: str) -> bool:
    """True when the pattern names exactly one topic (no glob characters, no ``re:``)."""
    return not pattern.startswith(REGEX_PREFIX) and not (_GLOB_CHARS & set(pattern))


def _matches(patterns: Sequence[re.Pattern[str]], topic: str) -> bool:
    return any(p.fullmatch(topic) for p in patterns)


def select_topics(
    available: Iterable[str],
    patterns: Sequence[str] = (),
    exclude: Sequence[str] = (),
    *,
    include_internal: bool = False,
) -> list[str]:
    """The sorted topics of ``available`` that match any pattern and no exclude.

    No pattern means every topic. Internal topics are left out unless
    ``include_internal``, or unless a literal pattern names one. Never raises for
    an empty result; see :func:`require_matches`.
    """
    wanted = [compile_pattern(p) for p in patterns] or [re.compile(r".*", re.DOTALL)]
    unwanted = [compile_pattern(p) for p in exclude]
    named = {p for p in patterns if is_literal(p)}
    chosen = set()
    for topic in available:
        if not _matches(wanted, topic) or _matches(unwanted, topic):
            continue
        if is_internal(topic) and not include_internal and topic not in named:
            continue
        chosen.add(topic)
    return sorted(chosen)


def describe_patterns(patterns: Sequence[str], exclude: Sequence[str] = ()) -> str:
    """How a selection reads in a message: ``--topics 'a.*' --exclude 'a.x'``."""
    parts = [f"--topics {p!r}" for p in patterns] or ["(all topics)"]
    parts += [f"--exclude {p!r}" for p in exclude]
    return " ".join(parts)


def require_matches(
    selected: Sequence[str],
    patterns: Sequence[str],
    exclude: Sequence[str] = (),
    *,
    include_internal: bool = False,
) -> None:
    """Raise :class:`NoTopicsMatched` when the selection is empty."""
    if selected:
        return
    hint = "" if include_internal else " (internal topics are left out without --include-internal)"
    raise NoTopicsMatched(f"no topic matches {describe_patterns(patterns, exclude)}{hint}")
